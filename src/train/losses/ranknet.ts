// RankNet (Burges et al., 2005): logistic loss on score differences of ordered pairs within a group.
//
//   L = 1/|P| · Σ_{(i, j) ∈ P} log(1 + exp(−(s_i − s_j))),   P = {(i, j) in one group : y_i > y_j}
//
// Args:
//   scores  (Q, G) model scores, one row per group
//   labels  (Q, G) graded relevance; only pairs with different labels count; a negative label marks padding
// Relations: a smooth pairwise-hinge (pairwise-hinge.ts); LambdaRank reweights its pairs by ΔnDCG.
import type { Tensor } from '../../engine/index.js';
import { checkGroups } from './pairwise-hinge.js';

export function rankNetLoss(scores: Tensor, labels: Tensor): Tensor {
  checkGroups('rankNetLoss', scores, labels);
  const [Q, G] = scores.shape;
  const diff = scores.view(Q, G, 1).sub(scores.view(Q, 1, G)); // (Q, G, G)
  const pairs = labels.view(Q, G, 1).gt(labels.view(Q, 1, G)).logicalAnd(labels.view(Q, 1, G).ge(0)).to(scores.dtype); // y_i > y_j ≥ 0
  // log(1 + e^{−x}) = softplus(−x), computed stably as relu(−x) + log1p(e^{−|x|})
  const loss = diff.neg().relu().add(diff.abs().neg().exp().log1p());
  return loss.mul(pairs).sum().div(pairs.sum().clamp(1));
}

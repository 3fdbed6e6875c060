// Pairwise margin hinge loss (the paper's ranking SFT loss): every positive should outscore every lower-labelled
// document of its group by at least `margin`.
//
//   L = 1/|P| · Σ_{(i, j) ∈ P} max(0, margin − (s_i − s_j)),   P = {(i, j) in one group : y_i > y_j}
//
// Args:
//   scores  (Q, G) model scores, one row per group of G documents (e.g. 1 positive + G−1 hard negatives)
//   labels  (Q, G) graded relevance; only pairs with different labels count, the higher-labelled one first;
//           a negative label marks padding (groups of unequal length) and makes no pair
//   margin  default 1 (PAIRWISE_MARGIN)
// Relations: with margin → 0 and a smooth max it becomes RankNet (ranknet.ts); with one positive per group it is
// the "pairwise hinge" of monoBERT/RankT5-style training.
import { DisrankerError } from '../../util/errors.js';
import type { Tensor } from '../../engine/index.js';

export const PAIRWISE_MARGIN = 1;

export function pairwiseHingeLoss(scores: Tensor, labels: Tensor, margin = PAIRWISE_MARGIN): Tensor {
  checkGroups('pairwiseHingeLoss', scores, labels);
  const [Q, G] = scores.shape;
  const diff = scores.view(Q, G, 1).sub(scores.view(Q, 1, G)); // (Q, G, G): s_i − s_j
  const pairs = labels.view(Q, G, 1).gt(labels.view(Q, 1, G)).logicalAnd(labels.view(Q, 1, G).ge(0)).to(scores.dtype); // (Q, G, G): y_i > y_j ≥ 0
  const hinge = diff.neg().add(margin).relu().mul(pairs);
  return hinge.sum().div(pairs.sum().clamp(1));
}

/** The shape check every group loss shares: scores and labels (Q, G), the same shape. */
export function checkGroups(name: string, scores: Tensor, labels: Tensor): void {
  if (scores.ndim !== 2 || labels.shape.join(',') !== scores.shape.join(',')) {
    throw new DisrankerError('DR_ERR_TENSOR', `${name}: expected scores and labels of the same shape (Q, G), got [${scores.shape}] and [${labels.shape}]`);
  }
}

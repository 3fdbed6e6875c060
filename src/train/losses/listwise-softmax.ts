// Listwise softmax cross-entropy (ListNet-style with a one-level target; the "listwise" rank loss of the paper).
//
//   L = − 1/Q · Σ_q Σ_i p_{q,i} · log softmax(s_q)_i,     p_{q,·} = y_{q,·} / Σ_j y_{q,j}
//
// Args:
//   scores  (Q, G) model scores, one row per query group of G documents
//   targets (Q, G) non-negative relevance (labels, clicks or teacher probabilities); rows summing to 0 are skipped
// Relations: with one positive per group it is the InfoNCE / "softmax CE" loss of dense retrieval and RankLLaMA.
import { DisrankerError } from '../../util/errors.js';
import type { Tensor } from '../../engine/index.js';

export function listwiseSoftmaxLoss(scores: Tensor, targets: Tensor): Tensor {
  if (scores.ndim !== 2 || targets.shape.join(',') !== scores.shape.join(',')) {
    throw new DisrankerError('DR_ERR_TENSOR', `listwiseSoftmaxLoss: expected scores and targets of the same shape (Q, G), got [${scores.shape}] and [${targets.shape}]`);
  }
  const mass = targets.sum(1, true); // (Q, 1)
  const keep = mass.gt(0).to(scores.dtype).squeeze(1); // (Q)
  const p = targets.div(mass.clamp(1e-12)); // (Q, G)
  const perQuery = p.mul(scores.logSoftmax(1)).sum(1).neg().mul(keep); // (Q)
  return perQuery.sum().div(keep.sum().clamp(1));
}

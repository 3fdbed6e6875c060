// The rank losses by name (the `--loss` of ranking SFT and of the label-only student). Each takes scores and
// labels/targets of shape (Q, G), one row per query group.
import type { Tensor } from '../../engine/index.js';
import { listwiseSoftmaxLoss } from './listwise-softmax.js';
import { pairwiseHingeLoss } from './pairwise-hinge.js';
import { rankNetLoss } from './ranknet.js';

export const RANK_LOSSES = {
  /** the paper's: max(0, margin − (s⁺ − s⁻)) over ordered pairs */
  hinge: (s: Tensor, y: Tensor, margin?: number) => pairwiseHingeLoss(s, y, margin),
  ranknet: (s: Tensor, y: Tensor) => rankNetLoss(s, y),
  /** softmax cross-entropy against gain-weighted targets 2^y − 1 */
  listwise: (s: Tensor, y: Tensor) => listwiseSoftmaxLoss(s, y.float().mul(Math.LN2).exp().sub(1).to(s.dtype)),
} as const;
export type RankLossName = keyof typeof RANK_LOSSES;

export { listwiseSoftmaxLoss, pairwiseHingeLoss, rankNetLoss };
export { PAIRWISE_MARGIN } from './pairwise-hinge.js';
export { pointwiseMseLoss } from './pointwise-mse.js';
export { marginMseLoss } from './margin-mse.js';
export { hybridDistillLoss, HYBRID_DEFAULTS } from './hybrid.js';

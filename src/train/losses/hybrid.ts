// The paper's hybrid distillation loss: point-wise MSE on the scores plus Margin-MSE on score differences.
//
//   L = α · MSE(s_S, s_T) + β · MSE(s_S⁺ − s_S⁻, s_T⁺ − s_T⁻)
//
// Args:
//   student, teacher (Q, G) scores of each query's candidates
//   alpha, beta      weights (HYBRID_DEFAULTS: α = 1, β = 1)
//   mask, pairs      as in margin-mse.ts
// Relations: β = 0 is point-wise distillation (pointwise-mse.ts); α = 0 is Margin-MSE (margin-mse.ts).
import type { Tensor } from '../../engine/index.js';
import { marginMseLoss } from './margin-mse.js';
import { pointwiseMseLoss } from './pointwise-mse.js';

export const HYBRID_DEFAULTS = { alpha: 1, beta: 1 };

export function hybridDistillLoss(
  student: Tensor,
  teacher: Tensor,
  opts: { alpha?: number; beta?: number; mask?: Tensor; pairs?: Tensor } = {},
): Tensor {
  const alpha = opts.alpha ?? HYBRID_DEFAULTS.alpha;
  const beta = opts.beta ?? HYBRID_DEFAULTS.beta;
  const point = pointwiseMseLoss(student, teacher, opts.mask);
  if (beta === 0) return point.mul(alpha);
  const margin = marginMseLoss(student, teacher, { mask: opts.mask, pairs: opts.pairs });
  return alpha === 0 ? margin.mul(beta) : point.mul(alpha).add(margin.mul(beta));
}

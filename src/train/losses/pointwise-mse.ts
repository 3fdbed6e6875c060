// Point-wise distillation: the student regresses the teacher's score of each (query, document) pair.
//
//   L = 1/N · Σ_n (s_S(q, d_n) − s_T(q, d_n))²
//
// Args:
//   student (Q, G) or (N) student scores
//   teacher the teacher's scores, same shape
//   mask    optional, same shape: 1 where a pair counts (lists of unequal length are padded with 0)
// Relations: the first term of the paper's hybrid loss (hybrid.ts). Under it the student learns absolute scores,
// so the scale of the teacher's scores matters (see the teacher-score normalisation of `disranker distill`).
import { DisrankerError } from '../../util/errors.js';
import type { Tensor } from '../../engine/index.js';

export function pointwiseMseLoss(student: Tensor, teacher: Tensor, mask?: Tensor): Tensor {
  sameShape('pointwiseMseLoss', student, teacher, mask);
  const sq = student.sub(teacher).square();
  if (!mask) return sq.mean();
  const m = mask.to(student.dtype);
  return sq.mul(m).sum().div(m.sum().clamp(1));
}

/** Shapes every distillation loss checks: student and teacher (and mask) alike, 1-D or (Q, G). */
export function sameShape(name: string, a: Tensor, b: Tensor, mask?: Tensor): void {
  const s = a.shape.join(',');
  if (a.ndim < 1 || a.ndim > 2 || b.shape.join(',') !== s || (mask && mask.shape.join(',') !== s)) {
    throw new DisrankerError(
      'DR_ERR_TENSOR',
      `${name}: expected student and teacher scores of the same shape, (N) or (Q, G)${mask ? ', and a mask like them' : ''}; got [${a.shape}] and [${b.shape}]${mask ? ` and [${mask.shape}]` : ''}`,
    );
  }
}

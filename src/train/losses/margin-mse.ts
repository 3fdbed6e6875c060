// Margin-MSE (Hofstätter et al., 2020): the student matches the teacher's score differences between documents of
// the same query, not the scores themselves.
//
//   L = 1/|P| · Σ_{(i, j) ∈ P} ((s_S,i − s_S,j) − (s_T,i − s_T,j))²
//
// P is every ordered pair i ≠ j within a row (all pairs), or, with `pairs`, the given index pairs per row
// (k sampled pairs per query). Since (i, j) and (j, i) give the same term, all pairs equal all unordered pairs.
//
// Args:
//   student (Q, G) student scores, one row per query's candidates
//   teacher (Q, G) the teacher's scores
//   mask    optional (Q, G): 1 where a candidate exists (pairs with a padded candidate do not count)
//   pairs   optional (Q, K, 2) int64: the (i, j) pairs to use per row instead of all pairs
// Relations: the second term of the paper's hybrid loss (hybrid.ts); invariant to a per-query shift of either score.
import type { Tensor } from '../../engine/index.js';
import { DisrankerError } from '../../util/errors.js';
import { sameShape } from './pointwise-mse.js';

export function marginMseLoss(student: Tensor, teacher: Tensor, opts: { mask?: Tensor; pairs?: Tensor } = {}): Tensor {
  sameShape('marginMseLoss', student, teacher, opts.mask);
  if (student.ndim !== 2) throw new DisrankerError('DR_ERR_TENSOR', `marginMseLoss: expected (Q, G) scores (one row per query), got [${student.shape}]`);
  const [Q, G] = student.shape;
  if (opts.pairs) {
    const p = opts.pairs;
    if (p.ndim !== 3 || p.shape[0] !== Q || p.shape[2] !== 2) throw new DisrankerError('DR_ERR_TENSOR', `marginMseLoss: pairs must be (Q, K, 2) indices, got [${p.shape}]`);
    const i = p.select(2, 0); // (Q, K)
    const j = p.select(2, 1);
    const dS = student.gather(1, i).sub(student.gather(1, j));
    const dT = teacher.gather(1, i).sub(teacher.gather(1, j));
    const sq = dS.sub(dT).square();
    if (!opts.mask) return sq.mean();
    const m = opts.mask.to(student.dtype);
    const w = m.gather(1, i).mul(m.gather(1, j));
    return sq.mul(w).sum().div(w.sum().clamp(1));
  }
  const dS = student.view(Q, G, 1).sub(student.view(Q, 1, G)); // (Q, G, G)
  const dT = teacher.view(Q, G, 1).sub(teacher.view(Q, 1, G));
  const sq = dS.sub(dT).square(); // the diagonal is 0
  const m = opts.mask ? opts.mask.to(student.dtype) : student.detach().mul(0).add(1);
  const w = m.view(Q, G, 1).mul(m.view(Q, 1, G)); // (Q, G, G): both candidates exist
  const pairsCount = w.sum().sub(m.sum()); // minus the diagonal
  return sq.mul(w).sum().div(pairsCount.clamp(1));
}

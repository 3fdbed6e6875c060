// The positions a token-level loss counts (label ≠ -100), so an LM head runs on those rows only instead of every
// (B, T) position: the masked-LM's 15% of tokens, CPT's title + summary. The vocabulary projection of a small
// model's whole batch is most of its step; the loss and gradients are the same.
import { tensor, type Tensor } from '../engine/index.js';
import { IGNORE_INDEX } from '../text/index.js';

/**
 * Rows of the flattened (B·T, H) hidden states whose prediction counts, with their targets (int64 tensors on labels'
 * device). shift 0: position t predicts labels[:, t] (masked LM); shift 1: position t predicts labels[:, t+1] (next
 * token). None counting gives empty tensors, and the mean cross-entropy over them is nan, as torch's over all ignored.
 */
export function labelledRows(labels: Tensor, shift: 0 | 1): { rows: Tensor; targets: Tensor } {
  const [B, T] = labels.shape;
  const flat = labels.data();
  const rows: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + shift < T; t++) {
      const y = Number(flat[b * T + t + shift]);
      if (y === IGNORE_INDEX) continue;
      rows.push(b * T + t);
      targets.push(y);
    }
  }
  return { rows: tensor(rows, { dtype: 'int64', device: labels.device }), targets: tensor(targets, { dtype: 'int64', device: labels.device }) };
}

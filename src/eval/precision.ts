// Precision at a cutoff, trec_eval's `P_k`: relevant documents in the first k ranks / k.
// The divisor is always k, even when the run retrieved fewer than k documents (missing ranks count as non-relevant).
import type { RankedQuery } from './ranking.js';

export function precisionAt(q: RankedQuery, level: number, k: number): number {
  const n = Math.min(k, q.labels.length);
  let rel = 0;
  for (let i = 0; i < n; i++) if (q.labels[i] >= level) rel++;
  return rel / k;
}

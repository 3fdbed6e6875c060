// Reciprocal rank, trec_eval's `recip_rank`: 1 / (rank of the first relevant document), 0 when none is retrieved.
// `recip_rank_cut_k` (MRR@k, e.g. MS MARCO's MRR@10) looks only at the first k ranks.
import type { RankedQuery } from './ranking.js';

export function reciprocalRank(q: RankedQuery, level: number, k = Infinity): number {
  const n = Math.min(k, q.labels.length);
  for (let i = 0; i < n; i++) if (q.labels[i] >= level) return 1 / (i + 1);
  return 0;
}

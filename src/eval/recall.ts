// Recall at a cutoff, trec_eval's `recall_k`: relevant documents in the first k ranks / relevant documents in the
// qrels. A query with no relevant document scores 0.
import { numRelevant, type RankedQuery } from './ranking.js';

export function recallAt(q: RankedQuery, level: number, k: number): number {
  const numRel = numRelevant(q, level);
  if (numRel === 0) return 0;
  const n = Math.min(k, q.labels.length);
  let rel = 0;
  for (let i = 0; i < n; i++) if (q.labels[i] >= level) rel++;
  return rel / numRel;
}

// R-precision, trec_eval's `Rprec`: precision after R documents, R = relevant documents in the qrels.
// When the run retrieved fewer than R documents the missing ranks count as non-relevant (the divisor stays R).
// A query with no relevant document scores 0.
import { numRelevant, type RankedQuery } from './ranking.js';

export function rPrecision(q: RankedQuery, level: number): number {
  const numRel = numRelevant(q, level);
  if (numRel === 0) return 0;
  const n = Math.min(numRel, q.labels.length);
  let rel = 0;
  for (let i = 0; i < n; i++) if (q.labels[i] >= level) rel++;
  return rel / numRel;
}

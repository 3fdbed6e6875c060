// Average precision, trec_eval's `map` (per query; the mean over queries is the MAP), and `map_cut_k`.
//
//   AP@k = (1 / R) Σ_{r ≤ k, doc r relevant} P@r        R = relevant documents in the qrels (label ≥ level)
//
// Relevant documents the run does not retrieve contribute 0. A query with no relevant document scores 0 (and still
// counts in the mean, as in trec_eval). Reference: Buckley & Voorhees, "Retrieval System Evaluation", 2005.
import { numRelevant, type RankedQuery } from './ranking.js';

/** Average precision over the first k ranks (k = Infinity: trec_eval's `map`). */
export function averagePrecision(q: RankedQuery, level: number, k = Infinity): number {
  const n = Math.min(k, q.labels.length);
  let relSoFar = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (q.labels[i] >= level) {
      relSoFar++;
      sum += relSoFar / (i + 1);
    }
  }
  if (relSoFar === 0) return 0;
  return sum / numRelevant(q, level);
}

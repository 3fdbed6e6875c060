// Normalized discounted cumulative gain, trec_eval's `ndcg_cut` (and `ndcg` with no cutoff).
//
//   DCG@k  = Σ_{r=1..k} gain(label_r) / log2(r + 1)        over the run's ranking, unjudged = 0
//   nDCG@k = DCG@k / IDCG@k                                  IDCG from all judged documents of the query, best first
//
// gain: 'linear' (trec_eval: gain = label, labels ≤ 0 gain 0) or 'exp' (gain = 2^label − 1, the learning-to-rank
// form of Burges et al. 2005; our name `ndcg_exp_cut_k`, not a trec_eval measure). A query whose qrels hold no
// positive label has IDCG = 0 and scores 0. The relevance level (-l) does not apply: gains are the graded labels.
// Reference: Järvelin & Kekäläinen, ACM TOIS 20(4), 2002.
import type { RankedQuery } from './ranking.js';

export type Gain = 'linear' | 'exp';

function gainOf(label: number, gain: Gain): number {
  if (label <= 0) return 0;
  return gain === 'linear' ? label : 2 ** label - 1;
}

function dcg(labels: Int32Array, k: number, gain: Gain): number {
  const n = Math.min(k, labels.length);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const g = gainOf(labels[i], gain);
    if (g > 0) sum += g / Math.log2(i + 2); // rank i + 1
  }
  return sum;
}

/** nDCG at cutoff k (k = Infinity: the whole ranking, trec_eval's `ndcg`). */
export function ndcg(q: RankedQuery, k: number, gain: Gain = 'linear'): number {
  const ideal = dcg(q.idealLabels, k, gain);
  if (ideal <= 0) return 0;
  return dcg(q.labels, k, gain) / ideal;
}

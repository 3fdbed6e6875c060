// One query's run joined with its judgements, in trec_eval's ranking order: what every rank metric reads.
// This is trec_eval's `te_form_res_rels`: documents ranked by score descending, then docid descending; each
// retrieved document gets its qrels label, or UNJUDGED (-1) when the qrels do not list it. A negative label in the
// qrels means "in the pool but not judged" (trec_eval's convention): it is never relevant and gains nothing.
import { rankDocs } from '../data/trec.js';

/** Label of a retrieved document that the qrels do not judge (trec_eval's RELVALUE_NONPOOL). */
export const UNJUDGED = -1;

export interface RankedQuery {
  /** Labels of the retrieved documents in rank order (index 0 = rank 1); UNJUDGED when not in the qrels. */
  labels: Int32Array;
  /** Every label ≥ 0 in the query's qrels, sorted descending (the ideal ranking of all judged documents). */
  idealLabels: Int32Array;
}

/** Join a query's run scores (docid -> score; undefined = not retrieved) with its qrels (docid -> label). */
export function rankQuery(scores: Map<string, number> | undefined, judged: Map<string, number>): RankedQuery {
  const ranked = scores ? rankDocs(scores) : [];
  const labels = new Int32Array(ranked.length);
  for (let i = 0; i < ranked.length; i++) {
    const rel = judged.get(ranked[i]);
    labels[i] = rel === undefined || rel < 0 ? UNJUDGED : rel;
  }
  const ideal: number[] = [];
  for (const rel of judged.values()) if (rel >= 0) ideal.push(rel);
  const idealLabels = Int32Array.from(ideal).sort().reverse();
  return { labels, idealLabels };
}

/** Number of relevant documents in the qrels at a relevance level (trec_eval's num_rel). */
export function numRelevant(q: RankedQuery, level: number): number {
  let n = 0;
  for (const rel of q.idealLabels) if (rel >= level) n++;
  return n;
}

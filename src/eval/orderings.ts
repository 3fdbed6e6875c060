// nDCG@10 of the orderings a data set carries: BM25 reranking its candidate lists, the candidates' own order,
// and the ideal (label) order, on each label set (judged, hidden). `disranker data stats` shows these beside the
// counts of src/data/stats.ts; they belong to evaluation because they score rankings.
import { Bm25Index, documentText } from '../data/bm25.js';
import { LAYOUT, openDataset, type Dataset } from '../data/dataset.js';
import type { Hit } from '../data/schema.js';
import { computeStats, type DatasetStats, type OrderingScores } from '../data/stats.js';
import type { Qrels } from '../data/trec.js';
import { ndcg } from './ndcg.js';
import { rankQuery } from './ranking.js';

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** nDCG@10 of BM25 reranking the candidates, the candidates' order, and the label order, over queries with positives. */
export function scoreOrderings(
  name: string,
  qrels: Qrels,
  candidates: Map<string, Hit[]>,
  queries: Map<string, string>,
  bm25: Bm25Index,
): OrderingScores {
  const bm: number[] = [];
  const cand: number[] = [];
  const ideal: number[] = [];
  let noPos = 0;
  for (const [qid, judged] of qrels) {
    const hits = candidates.get(qid);
    const text = queries.get(qid);
    if (!hits || text === undefined) continue;
    if (![...judged.values()].some((l) => l > 0)) {
      noPos++;
      continue;
    }
    const ids = hits.map((h) => h.docid).filter((id) => bm25.has(id));
    const s = bm25.scoreDocs(text, ids);
    bm.push(ndcg(rankQuery(new Map(ids.map((id, i) => [id, s[i]])), judged), 10));
    cand.push(ndcg(rankQuery(new Map(hits.map((h) => [h.docid, -h.rank])), judged), 10));
    ideal.push(ndcg(rankQuery(new Map([...judged].map(([d, l]) => [d, l])), judged), 10));
  }
  return { labels: name, queries: bm.length, queriesWithoutPositives: noPos, ndcg10: { bm25: mean(bm), candidates: mean(cand), ideal: mean(ideal) } };
}

/** The orderings of every label set of a data set (empty without candidate lists). */
export async function datasetOrderings(ds: Dataset): Promise<OrderingScores[]> {
  if (!ds.has(LAYOUT.candidates)) return [];
  const labelSets: [string, Qrels][] = [];
  if (ds.has(LAYOUT.hiddenQrels)) labelSets.push(['hidden', await ds.hiddenQrels()]);
  if (ds.has(LAYOUT.qrels)) labelSets.push(['judged', await ds.qrels()]);
  const candidates = await ds.loadCandidates();
  const queries = await ds.loadQueries();
  const bm25 = new Bm25Index();
  for (const d of (await ds.loadDocuments()).values()) bm25.add(d.docid, documentText(d));
  const qtext = new Map([...queries.values()].map((q) => [q.qid, q.text]));
  return labelSets.map(([name, q]) => scoreOrderings(name, q, candidates, qtext, bm25));
}

/** `disranker data stats`: the counts of src/data/stats.ts with the orderings' nDCG@10 filled in. */
export async function datasetStats(dir: string): Promise<DatasetStats> {
  const stats = await computeStats(dir);
  stats.orderings = await datasetOrderings(await openDataset(dir));
  return stats;
}

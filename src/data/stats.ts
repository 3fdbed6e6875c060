// `disranker data stats`: what a data set holds, measured from its files (never from generator parameters):
// counts, label distribution, (with src/eval/orderings.ts) BM25's nDCG@10 on the candidate lists vs. the candidates' own order and the ideal
// (label) order, the share of relevant documents sharing no query term, click-through rates by position and label,
// and how much of the test queries' vocabulary the training queries and the click log's queries cover.
import { documentText } from './bm25.js';
import { LAYOUT, openDataset, type Dataset } from './dataset.js';
import type { Document, Hit } from './schema.js';
import { judgedSplits } from './sets/split.js';
import { terms } from './tokenize.js';
import type { Qrels } from './trec.js';

export interface OrderingScores {
  /** Which labels: `hidden` (hidden-qrels.txt) or `judged` (qrels.txt). */
  labels: string;
  /** Queries with a candidate list and at least one positive label (others are left out). */
  queries: number;
  queriesWithoutPositives: number;
  ndcg10: { bm25: number; candidates: number; ideal: number };
}

export interface CtrTable {
  /** Which labels the table uses. */
  labels: string;
  positions: number;
  labelValues: number[];
  /** shown[pos-1][label index] and clicks[pos-1][label index]. */
  shown: number[][];
  clicks: number[][];
  /** Shown results whose (query, document) has no label (left out of the table). */
  unlabeled: number;
}

export interface DatasetStats {
  dir: string;
  name: string;
  labelRange: [number, number];
  counts: Record<string, number>;
  intents?: Record<string, number>;
  labelDistribution: Record<string, Record<string, number>>;
  /** Filled by the evaluation layer (src/eval/orderings.ts), which scores rankings. */
  orderings: OrderingScores[];
  lexicalMismatch?: { labels: string; relevantLabel: number; relevantPairs: number; noSharedTerm: number; share: number };
  ctr?: CtrTable;
  /** Of the test split's query terms (distinct per query, stop words out), the share that appear in the train
   * split's queries and in the click log's queries (clicked at least once). Why CPT can help: the click log names
   * the words the labels never show. */
  vocabularyCoverage?: { testTerms: number; inTrainQueries: number; inClickLog: number; inClickLogOnly: number };
}

export async function computeStats(dir: string): Promise<DatasetStats> {
  const ds = await openDataset(dir);
  const counts: Record<string, number> = {};
  const docs = await ds.loadDocuments();
  counts.documents = docs.size;
  const queries = await ds.loadQueries();
  counts.queries = queries.size;
  let intents: Record<string, number> | undefined;
  for (const q of queries.values()) {
    if (q.intent) (intents ??= {})[q.intent] = (intents[q.intent] ?? 0) + 1;
  }
  const labelSets: [string, Qrels][] = [];
  if (ds.has(LAYOUT.hiddenQrels)) labelSets.push(['hidden', await ds.hiddenQrels()]);
  if (ds.has(LAYOUT.qrels)) labelSets.push(['judged', await ds.qrels()]);
  const labelDistribution: Record<string, Record<string, number>> = {};
  for (const [name, q] of labelSets) {
    const dist: Record<string, number> = {};
    let n = 0;
    for (const d of q.values()) {
      for (const l of d.values()) {
        dist[l] = (dist[l] ?? 0) + 1;
        n++;
      }
    }
    counts[`${name}Queries`] = q.size;
    counts[`${name}Judgments`] = n;
    labelDistribution[name] = dist;
  }
  let candidates = new Map<string, Hit[]>();
  if (ds.has(LAYOUT.candidates)) {
    candidates = await ds.loadCandidates();
    counts.candidateLists = candidates.size;
    counts.candidates = [...candidates.values()].reduce((s, h) => s + h.length, 0);
  }
  const qtext = new Map([...queries.values()].map((q) => [q.qid, q.text]));

  const stats: DatasetStats = {
    dir,
    name: ds.meta.name,
    labelRange: [ds.meta.labels.min, ds.meta.labels.max],
    counts,
    intents,
    labelDistribution,
    orderings: [],
  };
  if (labelSets.length > 0) stats.lexicalMismatch = lexicalMismatch(ds, labelSets[0], docs, qtext);
  if (ds.has(LAYOUT.clicks) && labelSets.length > 0) {
    const r = await ctrTable(ds, labelSets[0][0], labelSets[0][1]);
    stats.ctr = r.table;
    Object.assign(counts, r.counts);
    const judged = labelSets.find(([name]) => name === 'judged');
    if (judged) stats.vocabularyCoverage = vocabularyCoverage((await judgedSplits(ds, judged[1])).splits, r.clickedQueries, qtext);
  }
  return stats;
}

/** Relevant = label ≥ 2 on graded scales (max ≥ 3), label ≥ 1 on binary ones. */
export function relevantLabel(ds: Dataset): number {
  return ds.meta.labels.max >= 3 ? 2 : 1;
}

function vocabularyCoverage(splits: { train: string[]; test: string[] }, clicked: Set<string>, qtext: Map<string, string>): DatasetStats['vocabularyCoverage'] {
  const vocab = (qids: Iterable<string>) => new Set([...qids].flatMap((q) => terms(qtext.get(q) ?? '')));
  const train = vocab(splits.train);
  const clickLog = vocab(clicked);
  let n = 0;
  let inTrain = 0;
  let inClicks = 0;
  let clicksOnly = 0;
  for (const q of splits.test) {
    for (const t of new Set(terms(qtext.get(q) ?? ''))) {
      n++;
      const inTrainQueries = train.has(t);
      const inClickLog = clickLog.has(t);
      if (inTrainQueries) inTrain++;
      if (inClickLog) inClicks++;
      if (inClickLog && !inTrainQueries) clicksOnly++;
    }
  }
  const share = (k: number) => (n === 0 ? 0 : k / n);
  return { testTerms: n, inTrainQueries: share(inTrain), inClickLog: share(inClicks), inClickLogOnly: share(clicksOnly) };
}

function lexicalMismatch(ds: Dataset, [name, qrels]: [string, Qrels], docs: Map<string, Document>, qtext: Map<string, string>): DatasetStats['lexicalMismatch'] {
  const level = relevantLabel(ds);
  let pairs = 0;
  let none = 0;
  for (const [qid, judged] of qrels) {
    const text = qtext.get(qid);
    if (text === undefined) continue;
    const qt = new Set(terms(text));
    for (const [docid, label] of judged) {
      const d = docs.get(docid);
      if (label < level || !d) continue;
      pairs++;
      if (!terms(documentText(d)).some((t) => qt.has(t))) none++;
    }
  }
  return { labels: name, relevantLabel: level, relevantPairs: pairs, noSharedTerm: none, share: pairs === 0 ? 0 : none / pairs };
}

async function ctrTable(ds: Dataset, name: string, qrels: Qrels): Promise<{ table: CtrTable; counts: Record<string, number>; clickedQueries: Set<string> }> {
  const { min, max } = ds.meta.labels;
  const labelValues = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const shown: number[][] = [];
  const clicks: number[][] = [];
  let impressions = 0;
  let nShown = 0;
  let nClicks = 0;
  let unlabeled = 0;
  const clickedQueries = new Set<string>();
  for await (const imp of ds.impressions()) {
    impressions++;
    const judged = qrels.get(imp.qid);
    for (const r of imp.results) {
      nShown++;
      if (r.clicked) {
        nClicks++;
        clickedQueries.add(imp.qid);
      }
      const label = judged?.get(r.docid);
      if (label === undefined) {
        unlabeled++;
        continue;
      }
      while (shown.length < r.position) {
        shown.push(labelValues.map(() => 0));
        clicks.push(labelValues.map(() => 0));
      }
      shown[r.position - 1][label - min]++;
      if (r.clicked) clicks[r.position - 1][label - min]++;
    }
  }
  return {
    table: { labels: name, positions: shown.length, labelValues, shown, clicks, unlabeled },
    counts: { impressions, shownResults: nShown, clicks: nClicks },
    clickedQueries,
  };
}

/** A human-readable report. */
export function formatStats(s: DatasetStats): string {
  const out: string[] = [];
  out.push(`data set ${s.dir} (${s.name}), labels ${s.labelRange[0]}-${s.labelRange[1]}`);
  out.push(`counts: ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.intents) out.push(`intents: ${Object.entries(s.intents).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [name, d] of Object.entries(s.labelDistribution)) {
    out.push(`${name} labels: ${Object.entries(d).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  }
  for (const o of s.orderings) {
    out.push(
      `nDCG@10 on ${o.labels} labels (${o.queries} queries with a relevant candidate${o.queriesWithoutPositives ? `, ${o.queriesWithoutPositives} without left out` : ''}): ` +
        `BM25 ${o.ndcg10.bm25.toFixed(4)}, candidate order ${o.ndcg10.candidates.toFixed(4)}, ideal (label order) ${o.ndcg10.ideal.toFixed(4)}`,
    );
  }
  if (s.lexicalMismatch) {
    const m = s.lexicalMismatch;
    out.push(`relevant (label >= ${m.relevantLabel}, ${m.labels}) documents sharing no query term: ${m.noSharedTerm} of ${m.relevantPairs} (${(100 * m.share).toFixed(1)}%)`);
  }
  if (s.vocabularyCoverage) {
    const v = s.vocabularyCoverage;
    const pc = (x: number) => `${(100 * x).toFixed(1)}%`;
    out.push(`test queries' terms (${v.testTerms}) seen in the train queries: ${pc(v.inTrainQueries)}; in the click log's queries: ${pc(v.inClickLog)}; in the click log only: ${pc(v.inClickLogOnly)}`);
  }
  if (s.ctr) {
    const t = s.ctr;
    out.push(`CTR by position (rows) and ${t.labels} label (columns), clicks/shown (${t.unlabeled} shown results without a label left out):`);
    out.push(['pos', ...t.labelValues.map((l) => `label ${l}`)].map((x) => x.padStart(17)).join(''));
    for (let p = 0; p < t.positions; p++) {
      const cells = t.labelValues.map((_, j) => (t.shown[p][j] === 0 ? '-' : `${(t.clicks[p][j] / t.shown[p][j]).toFixed(3)} (${t.shown[p][j]})`));
      out.push([String(p + 1), ...cells].map((x) => x.padStart(17)).join(''));
    }
  }
  return out.join('\n');
}

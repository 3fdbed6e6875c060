// The data every ranker-training stage (teacher SFT, the label-only student, distillation) reads: the judged train
// split's queries with their labelled candidates, and the dev split's candidate lists for keep-best.
import { openDataset } from '../data/dataset.js';
import { judgedSplits } from '../data/sets/split.js';
import { relevantLabel } from '../data/stats.js';
import type { QueryDocument } from '../text/index.js';
import type { Random } from '../util/random.js';

/**
 * Train queries keep their candidates (unlabelled ones count 0) and need a positive (label ≥ the relevant level)
 * and a lower-labelled candidate. `labels: 'hidden'` (synthetic worlds) labels the train queries from
 * hidden-qrels.txt, standing in for more annotation; dev is always judged by qrels.txt.
 */
export async function rankingData(data: string, labels: 'judged' | 'hidden' = 'judged') {
  const ds = await openDataset(data);
  const { splits, source } = await judgedSplits(ds);
  const qrels = await ds.qrels();
  const trainLabels = labels === 'hidden' ? await ds.hiddenQrels() : qrels;
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const candidates = await ds.loadCandidates();
  const level = relevantLabel(ds);
  const item = (qid: string, docid: string): QueryDocument => ({ query: queries.get(qid)!.text, title: docs.get(docid)!.title, summary: docs.get(docid)!.summary });
  const trainQ = trainQueries(splits.train, candidates, trainLabels, (docid) => docs.has(docid), level);
  const dev = new Map(splits.dev.map((qid) => [qid, (candidates.get(qid) ?? []).filter((h) => docs.has(h.docid)).map((h) => ({ docid: h.docid, item: item(qid, h.docid) }))]));
  const devQrels = new Map([...qrels].filter(([q]) => dev.has(q)));
  return { ds, splits, source, trainQ, dev, devQrels, item, docs, queries, candidates };
}

/** A train query: its candidates in list order (the hardest first) with labels, and its positives. */
export interface TrainQuery {
  qid: string;
  scored: { docid: string; label: number }[];
  /** candidates labelled `level` or more that have a lower-labelled candidate to pair with */
  positives: { docid: string; label: number }[];
}

/**
 * The train queries that can make a group: candidates of known documents, labelled (0 when unjudged), and their
 * positives. A positive needs a lower-labelled candidate in its list (a list may hold only labels 2 and up), and a
 * query without such a positive is left out.
 */
export function trainQueries(qids: string[], candidates: Map<string, { docid: string }[]>, labels: Map<string, Map<string, number>>, known: (docid: string) => boolean, level: number): TrainQuery[] {
  return qids
    .map((qid) => {
      const judged = labels.get(qid) ?? new Map<string, number>();
      const scored = (candidates.get(qid) ?? []).filter((h) => known(h.docid)).map((h) => ({ docid: h.docid, label: judged.get(h.docid) ?? 0 }));
      const lowest = Math.min(...scored.map((s) => s.label));
      return { qid, scored, positives: scored.filter((s) => s.label >= level && s.label > lowest) };
    })
    .filter((q) => q.positives.length > 0);
}

/** One ranking group: the items and their labels, the positive first. */
export interface RankingGroup {
  items: QueryDocument[];
  labels: number[];
}

/**
 * A random train query's group: one positive and `groupSize − 1` lower-labelled negatives drawn from the top
 * `hardDepth` of them (from all of them when fewer, repeated on short lists); `groupSize` 0: the whole list.
 */
export function sampleGroup(trainQ: TrainQuery[], item: (qid: string, docid: string) => QueryDocument, rng: Random, groupSize: number, hardDepth: number): RankingGroup {
  const q = trainQ[rng.int(trainQ.length)];
  if (groupSize === 0) return { items: q.scored.map((s) => item(q.qid, s.docid)), labels: q.scored.map((s) => s.label) };
  const pos = rng.pick(q.positives);
  const lower = q.scored.filter((s) => s.label < pos.label); // candidate order: the hardest first
  const hard = lower.slice(0, hardDepth);
  const negs = rng.sample(hard.length >= groupSize - 1 ? hard : lower, groupSize - 1);
  while (negs.length < groupSize - 1) negs.push(rng.pick(lower)); // short lists: repeat negatives
  const chosen = [pos, ...negs];
  return { items: chosen.map((s) => item(q.qid, s.docid)), labels: chosen.map((s) => s.label) };
}

// rank_llm-style JSON candidates with text: `[{ "query": str, "hits": [{ "qid", "docid", "rank", "score", "content" }] }]`
// (e.g. TREC DL's bm25-top100.json). The file is one JSON value, so it is read whole (these files are small).
// MS MARCO passages have no title: documents get `title: ""` and the passage as `summary` (docs/formats.md).
import { z } from 'zod';
import { DisrankerError, InputError } from '../../util/errors.js';
import { BadLines, fieldPath, issueText } from '../io.js';
import { DatasetWriter, DocumentSink, LAYOUT } from '../dataset.js';
import { Id, LABELS_TREC, type CandidateList, type Query } from '../schema.js';
import { readTextFile, type Qrels } from '../trec.js';
import { countJudgments, readQrelsChecked, requireNonEmpty, type ImportOptions, type ImportResult } from './common.js';

const RankllmHit = z.object({
  qid: z.union([z.string(), z.number()]).transform(String).pipe(Id),
  docid: z.union([z.string(), z.number()]).transform(String).pipe(Id),
  rank: z.number().int().min(1),
  score: z.number(),
  content: z.string(),
});

export interface RankllmEntry {
  query: string;
  qid: string;
  hits: z.output<typeof RankllmHit>[];
}

/** Parse and validate a rank_llm JSON file; bad hits are errors (or skipped with `bad.skipBad`). */
export async function readRankllmJson(path: string, bad: BadLines): Promise<RankllmEntry[]> {
  let data: unknown;
  const text = await readTextFile(path);
  if (text.trim() === '') throw new InputError(path, undefined, undefined, 'the file is empty');
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(path, undefined, 'json', `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new InputError(path, undefined, 'json', 'expected an array of {query, hits}');
  const out: RankllmEntry[] = [];
  data.forEach((entry: unknown, i: number) => {
    try {
      const e = entry as { query?: unknown; hits?: unknown };
      if (typeof e !== 'object' || e === null) throw new InputError(path, undefined, `[${i}]`, 'expected an object {query, hits}');
      if (typeof e.query !== 'string' || e.query.trim() === '') throw new InputError(path, undefined, `[${i}].query`, 'missing or empty');
      if (!Array.isArray(e.hits)) throw new InputError(path, undefined, `[${i}].hits`, 'expected an array of hits');
      const hits: RankllmEntry['hits'] = [];
      const seen = new Set<string>();
      e.hits.forEach((h: unknown, j: number) => {
        try {
          const r = RankllmHit.safeParse(h);
          if (!r.success) {
            const issue = r.error.issues[0];
            const what = issueText(issue, h);
            throw new InputError(path, undefined, `[${i}].hits[${j}]${fieldPath(issue.path) === 'record' ? '' : '.' + fieldPath(issue.path)}`, what);
          }
          if (hits.length > 0 && r.data.qid !== hits[0].qid) {
            throw new InputError(path, undefined, `[${i}].hits[${j}].qid`, `"${r.data.qid}" differs from the list's qid "${hits[0].qid}"`);
          }
          if (seen.has(r.data.docid)) throw new InputError(path, undefined, `[${i}].hits[${j}].docid`, `duplicate id "${r.data.docid}" in this list`);
          seen.add(r.data.docid);
          hits.push(r.data);
        } catch (err) {
          bad.handle(err);
        }
      });
      if (hits.length === 0) throw new InputError(path, undefined, `[${i}].hits`, 'no usable hits (the query id comes from them)');
      out.push({ query: e.query, qid: hits[0].qid, hits });
    } catch (err) {
      bad.handle(err);
    }
  });
  requireNonEmpty(out.length, path, 'queries');
  return out;
}

/** Write documents and candidate lists of rank_llm entries into `w`. Returns counts. */
export async function writeRankllmEntries(w: DatasetWriter, entries: RankllmEntry[], path: string): Promise<{ documents: number; candidates: number }> {
  const docs = new DocumentSink(w.file(LAYOUT.documents));
  const cand = w.file(LAYOUT.candidates);
  let n = 0;
  for (const [i, e] of entries.entries()) {
    for (const [j, h] of e.hits.entries()) {
      await docs.add({ docid: h.docid, title: '', summary: h.content, url: '' }, path, undefined, `[${i}].hits[${j}].docid`);
    }
    const list: CandidateList = {
      qid: e.qid,
      hits: [...e.hits].sort((a, b) => a.rank - b.rank).map((h) => ({ docid: h.docid, rank: h.rank, score: h.score })),
    };
    n += list.hits.length;
    await cand.write(list);
  }
  return { documents: docs.size, candidates: n };
}

export async function importRankllmJson(input: string, opts: ImportOptions & { qrels?: string }): Promise<ImportResult> {
  const bad = new BadLines(!!opts.skipBad);
  const labels = opts.labels ?? LABELS_TREC;
  const meta = await DatasetWriter.write(opts.out, { force: opts.force, inputs: [input, ...(opts.qrels ? [opts.qrels] : [])] }, async (w) => {
    const entries = await readRankllmJson(input, bad);
    const queries = new Map<string, Query>();
    const accepted: RankllmEntry[] = [];
    for (const [i, e] of entries.entries()) {
      if (queries.has(e.qid)) {
        bad.handle(new InputError(input, undefined, `[${i}].hits[0].qid`, `duplicate query id "${e.qid}"`));
        continue;
      }
      queries.set(e.qid, { qid: e.qid, text: e.query });
      accepted.push(e);
    }
    const qw = w.file(LAYOUT.queries);
    for (const q of queries.values()) await qw.write(q);
    const counts = await writeRankllmEntries(w, accepted, input);
    let judgments = 0;
    if (opts.qrels) {
      const qrels: Qrels = await readQrelsChecked(opts.qrels, labels, bad);
      judgments = countJudgments(qrels);
      await w.writeQrels(LAYOUT.qrels, qrels);
    }
    return {
      name: 'rankllm-json',
      labels,
      provenance: { importer: 'rankllm-json', input, qrels: opts.qrels, skippedBadLines: bad.count },
      counts: { queries: queries.size, documents: counts.documents, candidates: counts.candidates, judgments },
    };
  });
  return { meta, bad };
}

export function usage(msg: string): never {
  throw new DisrankerError('DR_ERR_USAGE', msg);
}

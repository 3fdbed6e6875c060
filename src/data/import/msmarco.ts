// MS MARCO TSV folder: `collection.tsv` (pid TAB passage), `queries.tsv` (qid TAB query), optionally `qrels.txt`
// (TREC qrels) and `run.tsv` (MS MARCO run: qid TAB pid TAB rank). Any of them may be gzipped (`.gz`).
// Passages get `title: ""`, `summary: <passage>`; the collection is streamed, never held in memory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DisrankerError, InputError } from '../../util/errors.js';
import { BadLines } from '../io.js';
import { DatasetWriter, DocumentSink, LAYOUT } from '../dataset.js';
import { Id, LABELS_TREC, type CandidateList } from '../schema.js';
import { countJudgments, readQrelsChecked, readTsv, requireNonEmpty, type ImportOptions, type ImportResult } from './common.js';
import { readTopics } from './trec-dl.js';

function maybe(dir: string, names: string[]): string | undefined {
  for (const n of names) for (const c of [n, `${n}.gz`]) if (existsSync(join(dir, c))) return join(dir, c);
  return undefined;
}

export async function importMsmarco(dir: string, opts: ImportOptions): Promise<ImportResult> {
  const bad = new BadLines(!!opts.skipBad);
  const labels = opts.labels ?? LABELS_TREC;
  const collection = maybe(dir, ['collection.tsv']);
  const queriesPath = maybe(dir, ['queries.tsv']);
  if (!collection || !queriesPath) throw new DisrankerError('DR_ERR_FILE', `${dir}: an MS MARCO folder needs collection.tsv and queries.tsv (plain or .gz)`);
  const qrelsPath = maybe(dir, ['qrels.txt', 'qrels.tsv']);
  const runPath = maybe(dir, ['run.tsv']);
  const meta = await DatasetWriter.write(opts.out, { force: opts.force, inputs: [dir] }, async (w) => {
    const docs = new DocumentSink(w.file(LAYOUT.documents));
    for await (const { f, lineNo } of readTsv(collection, ['pid', 'passage'], bad)) {
      try {
        if (!Id.safeParse(f[0]).success) throw new InputError(collection, lineNo, 'pid', `"${f[0]}" is not a valid id`);
        if (docs.has(f[0])) throw new InputError(collection, lineNo, 'pid', `duplicate id "${f[0]}"`);
        await docs.add({ docid: f[0], title: '', summary: f[1], url: '' }, collection, lineNo, 'pid');
      } catch (err) {
        bad.handle(err);
      }
    }
    requireNonEmpty(docs.size, collection, 'passages');
    const queries = await readTopics(queriesPath, bad);
    const qw = w.file(LAYOUT.queries);
    for (const q of queries.values()) await qw.write(q);
    let judgments = 0;
    if (qrelsPath) {
      const qrels = await readQrelsChecked(qrelsPath, labels, bad);
      judgments = countJudgments(qrels);
      await w.writeQrels(LAYOUT.qrels, qrels);
    }
    let nCand = 0;
    let nLists = 0;
    if (runPath) {
      const lists = new Map<string, CandidateList>();
      for await (const { f, lineNo } of readTsv(runPath, ['qid', 'pid', 'rank'], bad)) {
        try {
          const [qid, pid, rankText] = f;
          if (!/^\d+$/.test(rankText) || Number(rankText) < 1) throw new InputError(runPath, lineNo, 'rank', `expected a positive integer, found "${rankText}"`);
          if (!queries.has(qid)) throw new InputError(runPath, lineNo, 'qid', `query "${qid}" is not in ${queriesPath}`);
          if (!docs.has(pid)) throw new InputError(runPath, lineNo, 'pid', `passage "${pid}" is not in ${collection}`);
          let l = lists.get(qid);
          if (!l) lists.set(qid, (l = { qid, hits: [] }));
          if (l.hits.some((h) => h.docid === pid)) throw new InputError(runPath, lineNo, 'pid', `duplicate passage "${pid}" for query "${qid}"`);
          const rank = Number(rankText);
          l.hits.push({ docid: pid, rank, score: -rank });
        } catch (err) {
          bad.handle(err);
        }
      }
      const cw = w.file(LAYOUT.candidates);
      for (const l of lists.values()) {
        l.hits.sort((a, b) => a.rank - b.rank);
        nCand += l.hits.length;
        nLists++;
        await cw.write(l);
      }
    }
    return {
      name: 'msmarco',
      labels,
      provenance: { importer: 'msmarco', input: dir, collection, queries: queriesPath, qrels: qrelsPath, run: runPath, title: 'empty (passages have no title)', skippedBadLines: bad.count },
      counts: { queries: queries.size, documents: docs.size, judgments, candidateLists: nLists, candidates: nCand },
    };
  });
  return { meta, bad };
}

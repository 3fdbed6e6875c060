// TREC Deep Learning folder: `topics.tsv` (qid TAB query), `qrels.txt` (TREC qrels, 0-3) and `bm25-top100.json`
// (rank_llm-style candidates with passage text). Passages get `title: ""`, `summary: <passage>`.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DisrankerError, InputError } from '../../util/errors.js';
import { BadLines } from '../io.js';
import { DatasetWriter, LAYOUT } from '../dataset.js';
import { Id, LABELS_TREC, type Query } from '../schema.js';
import { countJudgments, readQrelsChecked, readTsv, requireNonEmpty, type ImportOptions, type ImportResult } from './common.js';
import { readRankllmJson, writeRankllmEntries, type RankllmEntry } from './rankllm-json.js';

function findFile(dir: string, names: string[]): string {
  for (const n of names) {
    for (const c of [n, `${n}.gz`]) if (existsSync(join(dir, c))) return join(dir, c);
  }
  throw new DisrankerError('DR_ERR_FILE', `${dir}: missing ${names.join(' or ')} (a TREC DL folder holds topics.tsv, qrels.txt and bm25-top100.json)`);
}

export async function readTopics(path: string, bad: BadLines): Promise<Map<string, Query>> {
  const queries = new Map<string, Query>();
  for await (const { f, lineNo } of readTsv(path, ['qid', 'query'], bad)) {
    try {
      const [qid, text] = f;
      if (!Id.safeParse(qid).success) throw new InputError(path, lineNo, 'qid', `"${qid}" is not a valid id (empty or has spaces)`);
      if (text.trim() === '') throw new InputError(path, lineNo, 'query', 'empty');
      if (queries.has(qid)) throw new InputError(path, lineNo, 'qid', `duplicate id "${qid}"`);
      queries.set(qid, { qid, text: text.trim() });
    } catch (err) {
      bad.handle(err);
    }
  }
  requireNonEmpty(queries.size, path, 'queries');
  return queries;
}

export async function importTrecDl(dir: string, opts: ImportOptions): Promise<ImportResult> {
  const bad = new BadLines(!!opts.skipBad);
  const labels = LABELS_TREC;
  const topicsPath = findFile(dir, ['topics.tsv', 'queries.tsv']);
  const qrelsPath = findFile(dir, ['qrels.txt', 'qrels.tsv']);
  const candPath = findFile(dir, ['bm25-top100.json', 'candidates.json']);
  const meta = await DatasetWriter.write(opts.out, { force: opts.force, inputs: [dir] }, async (w) => {
    const queries = await readTopics(topicsPath, bad);
    const qrels = await readQrelsChecked(qrelsPath, labels, bad);
    requireNonEmpty(countJudgments(qrels), qrelsPath, 'judgments');
    const entries = await readRankllmJson(candPath, bad);
    const accepted: RankllmEntry[] = [];
    const seen = new Set<string>();
    for (const [i, e] of entries.entries()) {
      try {
        if (!queries.has(e.qid)) throw new InputError(candPath, undefined, `[${i}].hits[0].qid`, `query "${e.qid}" is not in ${topicsPath}`);
        if (seen.has(e.qid)) throw new InputError(candPath, undefined, `[${i}].hits[0].qid`, `a second candidate list for query "${e.qid}"`);
        seen.add(e.qid);
        accepted.push(e);
      } catch (err) {
        bad.handle(err);
      }
    }
    const qw = w.file(LAYOUT.queries);
    for (const q of queries.values()) await qw.write(q);
    const counts = await writeRankllmEntries(w, accepted, candPath);
    await w.writeQrels(LAYOUT.qrels, qrels);
    return {
      name: 'trec-dl',
      labels,
      provenance: { importer: 'trec-dl', input: dir, topics: topicsPath, qrels: qrelsPath, candidates: candPath, title: 'empty (passages have no title)', skippedBadLines: bad.count },
      counts: { queries: queries.size, documents: counts.documents, candidateLists: accepted.length, candidates: counts.candidates, judgments: countJudgments(qrels) },
    };
  });
  return { meta, bad };
}

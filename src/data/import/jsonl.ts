// Generic JSONL: a folder holding the canonical files (documents.jsonl[.gz], queries.jsonl[.gz], and optionally
// judgments.jsonl[.gz] ({qid, docid, label}) or qrels.txt, candidates.jsonl[.gz], clicks.jsonl[.gz]). Every record is
// validated, ids are checked for duplicates, labels against `--labels` (default 0-3), and the data set is rewritten in
// the canonical layout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DisrankerError, InputError } from '../../util/errors.js';
import { BadLines, readJsonl } from '../io.js';
import { DatasetWriter, DocumentSink, LAYOUT } from '../dataset.js';
import { CandidateListSchema, DocumentSchema, ImpressionSchema, JudgmentSchema, LABELS_TREC, QuerySchema } from '../schema.js';
import type { Qrels } from '../trec.js';
import { countJudgments, readQrelsChecked, requireNonEmpty, type ImportOptions, type ImportResult } from './common.js';

function maybe(dir: string, name: string): string | undefined {
  for (const c of [name, `${name}.gz`]) if (existsSync(join(dir, c))) return join(dir, c);
  return undefined;
}

export async function importJsonl(dir: string, opts: ImportOptions): Promise<ImportResult> {
  const bad = new BadLines(!!opts.skipBad);
  const labels = opts.labels ?? LABELS_TREC;
  const docsPath = maybe(dir, 'documents.jsonl');
  const queriesPath = maybe(dir, 'queries.jsonl');
  if (!docsPath || !queriesPath) throw new DisrankerError('DR_ERR_FILE', `${dir}: a JSONL folder needs documents.jsonl and queries.jsonl (plain or .gz)`);
  const meta = await DatasetWriter.write(opts.out, { force: opts.force, inputs: [dir] }, async (w) => {
    const docs = new DocumentSink(w.file(LAYOUT.documents));
    for await (const { record, lineNo } of readJsonl(docsPath, DocumentSchema, { bad })) {
      try {
        if (docs.has(record.docid)) throw new InputError(docsPath, lineNo, 'docid', `duplicate id "${record.docid}"`);
        await docs.add(record, docsPath, lineNo);
      } catch (err) {
        bad.handle(err);
      }
    }
    requireNonEmpty(docs.size, docsPath, 'documents');
    const qids = new Set<string>();
    const qw = w.file(LAYOUT.queries);
    for await (const { record, lineNo } of readJsonl(queriesPath, QuerySchema, { bad })) {
      try {
        if (qids.has(record.qid)) throw new InputError(queriesPath, lineNo, 'qid', `duplicate id "${record.qid}"`);
        qids.add(record.qid);
        await qw.write(record);
      } catch (err) {
        bad.handle(err);
      }
    }
    requireNonEmpty(qids.size, queriesPath, 'queries');
    let qrels: Qrels | undefined;
    const judgPath = maybe(dir, 'judgments.jsonl');
    const qrelsPath = maybe(dir, 'qrels.txt');
    if (judgPath) {
      qrels = new Map();
      for await (const { record, lineNo } of readJsonl(judgPath, JudgmentSchema, { bad })) {
        try {
          if (record.label < labels.min || record.label > labels.max) {
            throw new InputError(judgPath, lineNo, 'label', `label ${record.label} is outside the data set's range ${labels.min}-${labels.max}`);
          }
          let d = qrels.get(record.qid);
          if (!d) qrels.set(record.qid, (d = new Map()));
          if (d.has(record.docid)) throw new InputError(judgPath, lineNo, 'docid', `duplicate judgment: "${record.docid}" is judged twice for query "${record.qid}"`);
          d.set(record.docid, record.label);
        } catch (err) {
          bad.handle(err);
        }
      }
    } else if (qrelsPath) {
      qrels = await readQrelsChecked(qrelsPath, labels, bad);
    }
    if (qrels) await w.writeQrels(LAYOUT.qrels, qrels);
    let nLists = 0;
    let nCandidates = 0;
    const candPath = maybe(dir, 'candidates.jsonl');
    if (candPath) {
      const seen = new Set<string>();
      const cw = w.file(LAYOUT.candidates);
      for await (const { record, lineNo } of readJsonl(candPath, CandidateListSchema, { bad })) {
        try {
          if (seen.has(record.qid)) throw new InputError(candPath, lineNo, 'qid', `a second candidate list for query "${record.qid}"`);
          if (!qids.has(record.qid)) throw new InputError(candPath, lineNo, 'qid', `query "${record.qid}" is not in ${queriesPath}`);
          seen.add(record.qid);
          // A hit without its document would be dropped later without a word: an error, or (--skip-bad) counted,
          // reported and left out.
          const hits = record.hits.filter((h, j) => {
            if (docs.has(h.docid)) return true;
            bad.handle(new InputError(candPath, lineNo, `hits[${j}].docid`, `document "${h.docid}" is not in ${docsPath}`));
            return false;
          });
          if (hits.length === 0) continue;
          await cw.write(hits.length === record.hits.length ? record : { ...record, hits });
          nLists++;
          nCandidates += hits.length;
        } catch (err) {
          bad.handle(err);
        }
      }
    }
    let nImp = 0;
    const clicksPath = maybe(dir, 'clicks.jsonl');
    if (clicksPath) {
      const seen = new Set<string>();
      const iw = w.file(LAYOUT.clicks);
      for await (const { record, lineNo } of readJsonl(clicksPath, ImpressionSchema, { bad })) {
        try {
          if (seen.has(record.id)) throw new InputError(clicksPath, lineNo, 'id', `duplicate impression id "${record.id}"`);
          seen.add(record.id);
          await iw.write(record);
          nImp++;
        } catch (err) {
          bad.handle(err);
        }
      }
    }
    return {
      name: 'jsonl',
      labels,
      provenance: { importer: 'jsonl', input: dir, skippedBadLines: bad.count },
      counts: { queries: qids.size, documents: docs.size, judgments: qrels ? countJudgments(qrels) : 0, candidateLists: nLists, candidates: nCandidates, impressions: nImp },
    };
  });
  return { meta, bad };
}

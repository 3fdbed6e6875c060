// Shared pieces of the importers: TSV and TREC qrels streams with line numbers, bad-line policy, label range checks.
import { InputError } from '../../util/errors.js';
import { BadLines, readLines } from '../io.js';
import type { LabelRange, Meta } from '../schema.js';
import type { Qrels } from '../trec.js';

export interface ImportOptions {
  /** Where the data set goes. */
  out: string;
  /** Count, report and skip bad lines instead of stopping at the first. */
  skipBad?: boolean;
  /** Replace `out` when it exists. */
  force?: boolean;
  /** Label range, for formats that do not fix one. */
  labels?: LabelRange;
}

export interface ImportResult {
  meta: Meta;
  bad: BadLines;
}

/** Rows of a tab-separated file; a row with another column count is an InputError. Blank lines are skipped. */
export async function* readTsv(path: string, columns: readonly string[], bad: BadLines): AsyncGenerator<{ f: string[]; lineNo: number }> {
  for await (const { text, lineNo } of readLines(path, bad)) {
    if (text.trim() === '') continue;
    const f = text.split('\t');
    if (f.length !== columns.length) {
      bad.handle(new InputError(path, lineNo, 'line', `expected ${columns.length} tab-separated columns (${columns.join(', ')}), found ${f.length}`));
      continue;
    }
    yield { f, lineNo };
  }
}

/**
 * Stream TREC qrels (`qid iter docid rel`) into `qrels`, checking column count, integer labels, the label range and
 * repeated (qid, docid) pairs, each as `file:line: field: what`.
 */
export async function readQrelsChecked(path: string, range: LabelRange, bad: BadLines, qrels: Qrels = new Map()): Promise<Qrels> {
  for await (const { text, lineNo } of readLines(path, bad)) {
    const line = text.trim();
    if (line === '') continue;
    try {
      const f = line.split(/\s+/);
      if (f.length !== 4) throw new InputError(path, lineNo, 'line', `expected 4 columns "qid iter docid rel", found ${f.length}`);
      const [qid, , docid, relText] = f;
      if (!/^[+-]?\d+$/.test(relText)) throw new InputError(path, lineNo, 'rel', `expected an integer label, found "${relText}"`);
      const rel = Number(relText);
      if (rel < range.min || rel > range.max) {
        throw new InputError(path, lineNo, 'rel', `label ${rel} is outside the data set's range ${range.min}-${range.max}`);
      }
      let docs = qrels.get(qid);
      if (!docs) qrels.set(qid, (docs = new Map()));
      if (docs.has(docid)) throw new InputError(path, lineNo, 'docid', `duplicate judgment: "${docid}" is judged twice for query "${qid}"`);
      docs.set(docid, rel);
    } catch (err) {
      bad.handle(err);
    }
  }
  return qrels;
}

export function countJudgments(q: Qrels): number {
  let n = 0;
  for (const d of q.values()) n += d.size;
  return n;
}

export function requireNonEmpty(n: number, file: string, what: string): void {
  if (n === 0) throw new InputError(file, undefined, undefined, `no ${what} (the file is empty or every line was bad)`);
}

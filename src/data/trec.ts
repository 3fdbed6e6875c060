// TREC qrels and run files: parse, read (plain or gzip), write.
//
// qrels: `qid iter docid rel` (4 whitespace-separated columns; `iter` is ignored, like trec_eval does; `rel` is an
//        integer graded label, possibly negative).
// run:   `qid Q0 docid rank score tag` (6 columns; `Q0` and `rank` are ignored: trec_eval ranks by score, then
//        docid, and so do we).
// Every problem is an InputError `file:line: field: what`.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DisrankerError, InputError } from '../util/errors.js';
import { utf8Error } from './io.js';

/** qid -> docid -> graded label. */
export type Qrels = Map<string, Map<string, number>>;
/** qid -> docid -> score. */
export type Run = Map<string, Map<string, number>>;

const INTEGER = /^[+-]?\d+$/;
const WS = /\s+/;

/** Parse TREC qrels text (`qid iter docid rel`). A docid judged twice for one query is an error. */
export function parseQrels(text: string, file: string): Qrels {
  const qrels: Qrels = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const lineNo = i + 1;
    const f = line.split(WS);
    if (f.length !== 4) {
      throw new InputError(file, lineNo, 'line', `expected 4 columns "qid iter docid rel", found ${f.length}`);
    }
    const [qid, , docid, relText] = f;
    if (!INTEGER.test(relText)) {
      throw new InputError(file, lineNo, 'rel', `expected an integer relevance label, found "${relText}"`);
    }
    const rel = Number(relText) + 0; // + 0: "-0" is label 0
    if (!Number.isSafeInteger(rel)) throw new InputError(file, lineNo, 'rel', `label ${relText} is too large`);
    let docs = qrels.get(qid);
    if (!docs) {
      docs = new Map();
      qrels.set(qid, docs);
    }
    if (docs.has(docid)) {
      throw new InputError(file, lineNo, 'docid', `document "${docid}" is judged twice for query "${qid}"`);
    }
    docs.set(docid, rel);
  }
  return qrels;
}

/**
 * Parse a TREC run (`qid Q0 docid rank score tag`). Errors: wrong column count, a score that is not a finite number,
 * a docid listed twice for one query, an empty run.
 */
export function parseRun(text: string, file: string): Run {
  const run: Run = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const lineNo = i + 1;
    const f = line.split(WS);
    if (f.length !== 6) {
      throw new InputError(file, lineNo, 'line', `expected 6 columns "qid Q0 docid rank score tag", found ${f.length}`);
    }
    const [qid, , docid, rankText, scoreText] = f;
    if (!INTEGER.test(rankText)) {
      throw new InputError(file, lineNo, 'rank', `expected an integer rank, found "${rankText}"`);
    }
    const score = parseScore(scoreText);
    if (score === undefined) {
      throw new InputError(file, lineNo, 'score', `expected a number, found "${scoreText}"`);
    }
    let docs = run.get(qid);
    if (!docs) {
      docs = new Map();
      run.set(qid, docs);
    }
    if (docs.has(docid)) {
      throw new InputError(file, lineNo, 'docid', `document "${docid}" appears twice for query "${qid}"`);
    }
    docs.set(docid, score);
  }
  if (run.size === 0) throw new InputError(file, undefined, undefined, 'the run is empty (no result lines)');
  return run;
}

/** A finite decimal number (`1`, `-0.5`, `1e-3`), or undefined. Rejects `nan`, `inf`, hex and empty text. */
function parseScore(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const v = Number(text) + 0; // + 0: "-0" scores 0, as it prints
  return Number.isFinite(v) ? v : undefined;
}

/** Read a whole text file as strict UTF-8, gunzipping it first when it starts with the gzip magic bytes. */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new InputError(path, undefined, undefined, `not a valid gzip file: ${(err as Error).message}`);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw utf8Error(path, bytes);
  }
}

/** Read TREC qrels for evaluation: a file without a single judgment is an error naming it. */
export async function readQrels(path: string): Promise<Qrels> {
  const qrels = parseQrels(await readTextFile(path), path);
  if (qrels.size === 0) throw new InputError(path, undefined, undefined, 'the qrels are empty (no judgment lines)');
  return qrels;
}

export async function readRun(path: string): Promise<Run> {
  return parseRun(await readTextFile(path), path);
}

/**
 * Compare two ids the way C's strcmp compares their UTF-8 bytes (which is code point order).
 * JS `<` compares UTF-16 code units, which differs only when surrogate pairs meet characters U+E000..U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const cx = a.codePointAt(i) as number;
      const cy = b.codePointAt(i) as number;
      return cx < cy ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/**
 * A query's documents in trec_eval's ranking order: score descending, then docid descending (by bytes).
 * This is the order every rank-based metric uses; the run's own rank column is ignored.
 */
export function rankDocs(docs: Map<string, number>): string[] {
  const entries = [...docs];
  entries.sort((a, b) => (a[1] !== b[1] ? b[1] - a[1] : compareIds(b[0], a[0])));
  return entries.map((e) => e[0]);
}

/** Query ids sorted the way trec_eval lists them (by bytes, ascending). */
export function sortedQids(ids: Iterable<string>): string[] {
  return [...ids].sort(compareIds);
}

/** TREC qrels text, `qid 0 docid rel`, queries and docids sorted. */
export function formatQrels(q: Qrels): string {
  const out: string[] = [];
  for (const qid of sortedQids(q.keys())) {
    const docs = q.get(qid) as Map<string, number>;
    for (const docid of [...docs.keys()].sort(compareIds)) out.push(`${qid} 0 ${docid} ${docs.get(docid)}\n`);
  }
  return out.join('');
}

/** TREC run text, `qid Q0 docid rank score tag`, ranks 1.. in trec_eval order (score desc, then docid desc). */
export function formatRun(run: Run, tag = 'disranker'): string {
  if (WS.test(tag) || tag === '') throw new DisrankerError('DR_ERR_USAGE', `run tag must be one word, got "${tag}"`);
  const out: string[] = [];
  for (const qid of sortedQids(run.keys())) {
    const docs = run.get(qid) as Map<string, number>;
    rankDocs(docs).forEach((docid, i) => {
      out.push(`${qid} Q0 ${docid} ${i + 1} ${docs.get(docid)} ${tag}\n`);
    });
  }
  return out.join('');
}

/** One hit of a JSON candidate list (e.g. `bm25-top100.json`: `[{query, hits: [{qid, docid, rank, score, ...}]}]`). */
export interface Hit {
  qid: string | number;
  docid: string | number;
  score: number;
}

/** Build a Run from hits. A docid twice for one query, or a non-finite score, is an InputError naming `file`. */
export function runFromHits(hits: Iterable<Hit>, file: string): Run {
  const run: Run = new Map();
  let n = 0;
  for (const h of hits) {
    n++;
    const qid = String(h.qid);
    const docid = String(h.docid);
    if (typeof h.score !== 'number' || !Number.isFinite(h.score)) {
      throw new InputError(file, undefined, `hit ${n} score`, `expected a finite number, found ${JSON.stringify(h.score)}`);
    }
    let docs = run.get(qid);
    if (!docs) {
      docs = new Map();
      run.set(qid, docs);
    }
    if (docs.has(docid)) throw new InputError(file, undefined, `hit ${n} docid`, `document "${docid}" appears twice for query "${qid}"`);
    docs.set(docid, h.score);
  }
  if (run.size === 0) throw new InputError(file, undefined, undefined, 'no hits');
  return run;
}

/** Read a JSON candidate file `[{ "hits": [{ "qid", "docid", "score" }, ...] }, ...]` (plain or gzip) as a Run. */
export async function readHitsJson(path: string): Promise<Run> {
  let data: unknown;
  try {
    data = JSON.parse(await readTextFile(path));
  } catch (err) {
    if (err instanceof DisrankerError) throw err;
    throw new InputError(path, undefined, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new InputError(path, undefined, undefined, 'expected a JSON array of {query, hits}');
  const hits: Hit[] = [];
  data.forEach((entry: unknown, i: number) => {
    const h = (entry as { hits?: unknown } | null)?.hits;
    if (!Array.isArray(h)) throw new InputError(path, undefined, `[${i}].hits`, 'expected an array of hits');
    for (const hit of h as Hit[]) hits.push(hit);
  });
  return runFromHits(hits, path);
}

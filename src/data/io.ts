// Streaming line IO for data files: read line by line (gzip by `.gz` suffix, strict UTF-8, exact line numbers),
// validate JSONL records with zod, write lines atomically (temp file + rename) with back-pressure.
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { z } from 'zod';
import { DisrankerError, InputError } from '../util/errors.js';
import { removeOnInterrupt, tempPathFor } from '../util/fs.js';

export interface Line {
  /** The line's text without its line ending (and without a leading BOM on line 1). */
  text: string;
  /** 1-based line number. */
  lineNo: number;
}

/**
 * Read a text file line by line, as strict UTF-8; `.gz` files are gunzipped on the fly. Nothing is held in memory
 * beyond the current chunk. Invalid UTF-8 is an InputError naming `file:line`; a truncated or corrupt gzip stream is an
 * InputError naming the line where the data ended. Blank lines are yielded too (callers decide). With `bad` skipping,
 * a line that is not valid UTF-8 is counted and skipped (a broken gzip stream is always fatal).
 */
export async function* readLines(path: string, bad?: BadLines): AsyncGenerator<Line> {
  try {
    const st = await fsp.stat(path);
    if (!st.isFile()) throw new Error('not a file');
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: Readable = file;
  const gz = path.endsWith('.gz');
  if (gz) {
    const gunzip = createGunzip();
    file.on('error', (e) => gunzip.destroy(e));
    stream = file.pipe(gunzip);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let lineNo = 0;
  const decode = (bytes: Buffer): string | undefined => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      const err = new InputError(path, lineNo, undefined, `invalid UTF-8 (${firstBadByte(bytes)})`);
      if (!bad) throw err;
      bad.handle(err);
      return undefined;
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        let bytes = chunk.subarray(start, nl);
        if (pending.length > 0) {
          pending.push(bytes);
          bytes = Buffer.concat(pending);
          pending = [];
        }
        lineNo++;
        const text = decode(bytes);
        if (text !== undefined) yield { text, lineNo };
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (err) {
    if (err instanceof DisrankerError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (gz && (e.code?.startsWith('Z_') || /zlib|gzip|header|end of file/i.test(e.message))) {
      throw new InputError(path, lineNo + 1, undefined, `truncated or corrupt gzip data (${e.message})`);
    }
    throw new DisrankerError('DR_ERR_FILE', `${path}: cannot read: ${e.message}`, { cause: err });
  } finally {
    // Also when the reader stops early: close the file (a piped gunzip does not close its source).
    file.destroy();
  }
  if (pending.length > 0) {
    lineNo++;
    const text = decode(Buffer.concat(pending));
    if (text !== undefined) yield { text, lineNo };
  }
}

/** Where the first invalid UTF-8 byte of a line is: `bad byte 0xff at byte 4 of the line`. */
export function firstBadByte(bytes: Uint8Array): string {
  // Feed the line one byte at a time to a streaming fatal decoder: the first byte it rejects is the culprit.
  const d = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      d.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return `bad byte 0x${bytes[i].toString(16).padStart(2, '0')} at byte ${i + 1} of the line`;
    }
  }
  return 'incomplete multi-byte sequence at the end of the line';
}

/**
 * The InputError for a whole file's bytes that are not valid UTF-8, naming the line of the first bad byte (a newline
 * byte never occurs inside a multi-byte sequence, so lines can be checked one by one).
 */
export function utf8Error(file: string, bytes: Uint8Array): InputError {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    try {
      decoder.decode(line);
    } catch {
      return new InputError(file, lineNo, undefined, `invalid UTF-8 (${firstBadByte(line)})`);
    }
    start = end + 1;
  }
  return new InputError(file, undefined, undefined, 'not valid UTF-8 text');
}

/** Policy for bad lines: stop at the first (default), or count, report and skip them (`--skip-bad`). */
export class BadLines {
  count = 0;
  readonly examples: string[] = [];
  constructor(readonly skipBad = false, readonly maxExamples = 10) {}

  /** Throw `err` unless skipping; when skipping, count it. Only InputErrors are skippable. */
  handle(err: unknown): void {
    if (!this.skipBad || !(err instanceof InputError)) throw err;
    this.count++;
    if (this.examples.length < this.maxExamples) this.examples.push(err.message);
  }

  /** A human summary ("skipped 3 bad lines: ..."), or '' when none. */
  report(): string {
    if (this.count === 0) return '';
    const more = this.count > this.examples.length ? `\n  ... and ${this.count - this.examples.length} more` : '';
    return `skipped ${this.count} bad line${this.count === 1 ? '' : 's'}:\n  ${this.examples.join('\n  ')}${more}`;
  }
}

/** `results.3.clicked` → `results[3].clicked`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || 'record';
}

/**
 * The text of a zod issue about `value` (the whole record): "missing" when there is no value at the issue's path
 * (zod says "expected string, received undefined", or just "Invalid input" for a union), the alternatives for a
 * union of types ("expected string or number, received boolean"), else zod's message.
 */
export function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  let v: unknown = value;
  for (const k of issue.path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  if (v === undefined) return 'missing';
  if (issue.code === 'invalid_union') {
    const expected = issue.errors.flat().filter((e) => e.code === 'invalid_type' && e.path.length === 0).map((e) => (e as { expected: string }).expected);
    if (expected.length === issue.errors.length) return `expected ${expected.join(' or ')}, received ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`;
  }
  return issue.message;
}

/** Validate `value` with `schema`; a failure is an InputError naming the first bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string, lineNo: number | undefined): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  return fail(file, lineNo, fieldPath(issue.path), issueText(issue, value));
}

function fail(file: string, lineNo: number | undefined, field: string, what: string): never {
  throw new InputError(file, lineNo, field, what);
}

export interface JsonlOptions {
  bad?: BadLines;
}

/** Stream the records of a JSONL file (gzip by suffix), each validated by `schema`. Blank lines are ignored. */
export async function* readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: JsonlOptions = {},
): AsyncGenerator<{ record: z.output<S>; lineNo: number }> {
  const bad = opts.bad ?? new BadLines(false);
  for await (const { text, lineNo } of readLines(path, bad)) {
    if (text.trim() === '') continue;
    let record: z.output<S>;
    try {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputError(path, lineNo, 'json', `not valid JSON (${(err as Error).message})`);
      }
      record = validate(schema, value, path, lineNo);
    } catch (err) {
      bad.handle(err);
      continue;
    }
    yield { record, lineNo };
  }
}

/**
 * Write lines to `target` atomically: everything goes to a temp file beside it (gzip when `target` ends in `.gz`),
 * renamed over `target` by `close()`; `abort()` removes it. Writes are buffered and respect back-pressure.
 */
export class LineWriter {
  private readonly tmp: string;
  private readonly file: Writable;
  private readonly sink: Writable;
  private buf: string[] = [];
  private bufLen = 0;
  private failed: Error | undefined;
  private readonly release: () => void;
  lines = 0;

  constructor(readonly target: string, opts: { gzipLevel?: number } = {}) {
    this.tmp = tempPathFor(target);
    this.release = removeOnInterrupt(this.tmp);
    this.file = createWriteStream(this.tmp);
    this.file.on('error', (e) => (this.failed ??= e));
    if (target.endsWith('.gz')) {
      const gz = createGzip({ level: opts.gzipLevel ?? 6 });
      gz.on('error', (e) => (this.failed ??= e));
      gz.pipe(this.file);
      this.sink = gz;
    } else {
      this.sink = this.file;
    }
  }

  /** Append one line (a newline is added). Await the result: it waits when the stream is full. */
  async writeLine(line: string): Promise<void> {
    this.buf.push(line, '\n');
    this.bufLen += line.length + 1;
    this.lines++;
    if (this.bufLen >= 1 << 16) await this.flush();
  }

  /** Append one JSON record as a line. */
  async write(record: unknown): Promise<void> {
    await this.writeLine(JSON.stringify(record));
  }

  private async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.buf.length === 0) return;
    const s = this.buf.join('');
    this.buf = [];
    this.bufLen = 0;
    if (!this.sink.write(s)) await once(this.sink, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.sink.end();
    await finished(this.file);
    if (this.failed) throw this.failed;
    await fsp.rename(this.tmp, this.target);
    this.release();
  }

  async abort(): Promise<void> {
    this.sink.destroy();
    this.file.destroy();
    await fsp.rm(this.tmp, { force: true });
    this.release();
  }
}

/** Run `fn` with a LineWriter on `target`; close on success, abort (nothing written) on failure. */
export async function withLineWriter<T>(target: string, fn: (w: LineWriter) => Promise<T>): Promise<T> {
  const w = new LineWriter(target);
  try {
    const r = await fn(w);
    await w.close();
    return r;
  } catch (err) {
    await w.abort();
    throw err;
  }
}

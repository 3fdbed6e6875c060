// A data set is a folder with a fixed layout (docs/formats.md). `openDataset` reads one (streaming where it can);
// `DatasetWriter` writes one atomically: everything goes to a hidden temp folder renamed into place on success.
import { existsSync, promises as fsp, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DisrankerError, InputError } from '../util/errors.js';
import { BadLines, LineWriter, readJsonl, validate } from './io.js';
import {
  CandidateListSchema,
  DocumentSchema,
  ImpressionSchema,
  MetaSchema,
  QuerySchema,
  type CandidateList,
  type Document,
  type Hit,
  type Impression,
  type LabelRange,
  type Meta,
  type Query,
} from './schema.js';
import { formatQrels, parseQrels, readTextFile, type Qrels } from './trec.js';
import { hashString } from '../util/random.js';
import { assertSafeOutput, removeOnInterrupt, removeStaleTemps, tempPathFor } from '../util/fs.js';

/** File names of the layout. JSONL files may be stored plain or gzipped (`.gz` suffix); readers accept both. */
export const LAYOUT = {
  meta: 'meta.json',
  documents: 'documents.jsonl.gz',
  queries: 'queries.jsonl',
  qrels: 'qrels.txt',
  hiddenQrels: 'hidden-qrels.txt',
  candidates: 'candidates.jsonl',
  clicks: 'clicks.jsonl.gz',
  splits: 'splits',
} as const;

/** Check every label of `qrels` is in `range`; the error names the line of the first bad one. */
export function checkQrelsLabels(text: string, qrels: Qrels, range: LabelRange, file: string): void {
  for (const docs of qrels.values()) {
    for (const label of docs.values()) {
      if (label < range.min || label > range.max) {
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          const f = lines[i].trim().split(/\s+/);
          if (f.length === 4 && (Number(f[3]) < range.min || Number(f[3]) > range.max)) {
            throw new InputError(file, i + 1, 'rel', `label ${f[3]} is outside the data set's range ${range.min}-${range.max}`);
          }
        }
        throw new InputError(file, undefined, 'rel', `label ${label} is outside the range ${range.min}-${range.max}`);
      }
    }
  }
}

/** Read TREC qrels (plain or gzip) and check the labels against `range`. */
export async function readQrelsInRange(path: string, range: LabelRange): Promise<Qrels> {
  const text = await readTextFile(path);
  const qrels = parseQrels(text, path);
  checkQrelsLabels(text, qrels, range, path);
  return qrels;
}

export class Dataset {
  constructor(
    readonly dir: string,
    readonly meta: Meta,
  ) {}

  /** The path of a layout file, trying `name`, then with/without `.gz`; undefined when absent. */
  path(name: string): string | undefined {
    const alt = name.endsWith('.gz') ? name.slice(0, -3) : `${name}.gz`;
    for (const n of [name, alt]) {
      const p = join(this.dir, n);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.path(name) !== undefined;
  }

  private need(name: string): string {
    const p = this.path(name);
    if (!p) throw new DisrankerError('DR_ERR_FILE', `${join(this.dir, name)}: missing (this data set has: ${this.meta.files.join(', ')})`);
    return p;
  }

  async *documents(bad?: BadLines): AsyncGenerator<Document> {
    for await (const { record } of readJsonl(this.need(LAYOUT.documents), DocumentSchema, { bad })) yield record;
  }

  async *queries(bad?: BadLines): AsyncGenerator<Query> {
    for await (const { record } of readJsonl(this.need(LAYOUT.queries), QuerySchema, { bad })) yield record;
  }

  async *candidates(bad?: BadLines): AsyncGenerator<CandidateList> {
    for await (const { record } of readJsonl(this.need(LAYOUT.candidates), CandidateListSchema, { bad })) yield record;
  }

  async *impressions(bad?: BadLines): AsyncGenerator<Impression> {
    for await (const { record } of readJsonl(this.need(LAYOUT.clicks), ImpressionSchema, { bad })) yield record;
  }

  /** All documents by id (a duplicate id is an error). */
  async loadDocuments(): Promise<Map<string, Document>> {
    const file = this.need(LAYOUT.documents);
    const out = new Map<string, Document>();
    for await (const { record, lineNo } of readJsonl(file, DocumentSchema)) {
      if (out.has(record.docid)) throw new InputError(file, lineNo, 'docid', `duplicate id "${record.docid}"`);
      out.set(record.docid, record);
    }
    return out;
  }

  async loadQueries(): Promise<Map<string, Query>> {
    const file = this.need(LAYOUT.queries);
    const out = new Map<string, Query>();
    for await (const { record, lineNo } of readJsonl(file, QuerySchema)) {
      if (out.has(record.qid)) throw new InputError(file, lineNo, 'qid', `duplicate id "${record.qid}"`);
      out.set(record.qid, record);
    }
    return out;
  }

  /** qid → hits in rank order. */
  async loadCandidates(): Promise<Map<string, Hit[]>> {
    const file = this.need(LAYOUT.candidates);
    const out = new Map<string, Hit[]>();
    for await (const { record, lineNo } of readJsonl(file, CandidateListSchema)) {
      if (out.has(record.qid)) throw new InputError(file, lineNo, 'qid', `duplicate candidate list for query "${record.qid}"`);
      out.set(record.qid, [...record.hits].sort((a, b) => a.rank - b.rank));
    }
    return out;
  }

  /** The judged labels (`qrels.txt`), checked against `meta.labels`. */
  async qrels(): Promise<Qrels> {
    return readQrelsInRange(this.need(LAYOUT.qrels), this.meta.labels);
  }

  /** Synthetic data sets only: the ground-truth labels of every (query, candidate) pair. */
  async hiddenQrels(): Promise<Qrels> {
    return readQrelsInRange(this.need(LAYOUT.hiddenQrels), this.meta.labels);
  }

  /** Query ids of a split written by `data split` (`splits/<name>.txt`). */
  async split(name: string): Promise<string[]> {
    const p = this.need(join(LAYOUT.splits, `${name}.txt`));
    return (await readTextFile(p)).split('\n').map((s) => s.trim()).filter((s) => s !== '');
  }
}

/** Open a data set folder: reads and validates `meta.json`. */
export async function openDataset(dir: string): Promise<Dataset> {
  const metaPath = join(dir, LAYOUT.meta);
  if (!existsSync(metaPath)) {
    throw new DisrankerError('DR_ERR_FILE', `${dir}: not a disranker data set (no ${LAYOUT.meta}); create one with \`disranker data import\` or \`data synth\``);
  }
  let value: unknown;
  try {
    value = JSON.parse(await readTextFile(metaPath));
  } catch (err) {
    if (err instanceof DisrankerError) throw err;
    throw new InputError(metaPath, undefined, 'json', `not valid JSON (${(err as Error).message})`);
  }
  return new Dataset(dir, validate(MetaSchema, value, metaPath, undefined));
}

/** Collects documents, dropping exact repeats (same id and same content); a same id with other content is an error. */
export class DocumentSink {
  private readonly seen = new Map<string, number>();
  constructor(private readonly writer: LineWriter) {}

  get size(): number {
    return this.seen.size;
  }

  has(docid: string): boolean {
    return this.seen.has(docid);
  }

  /** Returns false when `doc` repeats one already written. */
  async add(doc: Document, file: string, lineNo: number | undefined, field = 'docid'): Promise<boolean> {
    const h = hashString(`${doc.title}\u0000${doc.summary}\u0000${doc.url}`);
    const prev = this.seen.get(doc.docid);
    if (prev !== undefined) {
      if (prev === h) return false;
      throw new InputError(file, lineNo, field, `duplicate id "${doc.docid}" with different content`);
    }
    this.seen.set(doc.docid, h);
    await this.writer.write(doc);
    return true;
  }
}

export interface DatasetWriterOptions {
  /** Replace `out` when it exists and is not empty (only when it is a disranker output). */
  force?: boolean;
  /** The inputs the data set is made from: `out` may not be one of them or a folder holding one. */
  inputs?: readonly string[];
}

/**
 * Write a data set folder atomically. Files are written into `.<out>.<pid>.<random>.tmp/`; `commit` writes meta.json
 * and renames the folder to `out`; `abort` (or any error before commit) removes it, leaving `out` untouched. The temp
 * folder is also removed on SIGINT/SIGTERM, and a later writer of the same `out` removes those of dead processes.
 */
export class DatasetWriter {
  private readonly writers = new Map<string, LineWriter>();
  private readonly extra = new Set<string>();

  private constructor(
    readonly out: string,
    readonly tmpDir: string,
    private readonly force: boolean,
    private readonly release: () => void,
  ) {}

  static async create(out: string, opts: DatasetWriterOptions = {}): Promise<DatasetWriter> {
    out = assertSafeOutput(out, { inputs: opts.inputs, force: opts.force });
    removeStaleTemps(out);
    await fsp.mkdir(dirname(out), { recursive: true });
    const tmp = tempPathFor(out);
    const release = removeOnInterrupt(tmp);
    await fsp.mkdir(tmp);
    return new DatasetWriter(out, tmp, !!opts.force, release);
  }

  /** A line writer for a layout file (created on first use). */
  file(name: string): LineWriter {
    let w = this.writers.get(name);
    if (!w) {
      w = new LineWriter(join(this.tmpDir, name));
      this.writers.set(name, w);
    }
    return w;
  }

  async writeText(name: string, text: string): Promise<void> {
    await fsp.mkdir(dirname(join(this.tmpDir, name)), { recursive: true });
    await fsp.writeFile(join(this.tmpDir, name), text);
    this.extra.add(name);
  }

  async writeQrels(name: string, qrels: Qrels): Promise<void> {
    await this.writeText(name, formatQrels(qrels));
  }

  async commit(meta: Omit<Meta, 'format' | 'version' | 'files'>): Promise<Meta> {
    for (const w of this.writers.values()) await w.close();
    const files = [...this.writers.keys(), ...this.extra].sort();
    const full: Meta = { format: 'disranker-dataset', version: 1, ...meta, files };
    await fsp.writeFile(join(this.tmpDir, LAYOUT.meta), `${JSON.stringify(full, null, 2)}\n`);
    if (existsSync(this.out)) {
      if (!this.force && (await fsp.readdir(this.out)).length > 0) {
        throw new DisrankerError('DR_ERR_USAGE', `${this.out} appeared while writing; not replacing it`);
      }
      // Both renames in one synchronous step: no signal handler runs between them.
      const old = `${this.tmpDir}.old`;
      renameSync(this.out, old);
      renameSync(this.tmpDir, this.out);
      this.release();
      await fsp.rm(old, { recursive: true, force: true });
    } else {
      await fsp.rename(this.tmpDir, this.out);
      this.release();
    }
    return full;
  }

  async abort(): Promise<void> {
    for (const w of this.writers.values()) await w.abort().catch(() => undefined);
    await fsp.rm(this.tmpDir, { recursive: true, force: true });
    this.release();
  }

  /** Run `fn`, committing its meta on success and removing everything on failure. */
  static async write(
    out: string,
    opts: DatasetWriterOptions,
    fn: (w: DatasetWriter) => Promise<Omit<Meta, 'format' | 'version' | 'files'>>,
  ): Promise<Meta> {
    const w = await DatasetWriter.create(out, opts);
    try {
      return await w.commit(await fn(w));
    } catch (err) {
      await w.abort();
      throw err;
    }
  }
}

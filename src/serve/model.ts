// The served model: an export folder (`disranker export onnx`) opened with onnxruntime-node and its tokenizer.
// No engine and no models code: a serving host needs neither libtorch nor a compiler.
//
// Encoding follows training: the cross-encoder gets `[CLS] query [SEP] document [SEP]` (the query capped at half
// the budget, the document cut from its end, as src/text/pair.ts), the decoder the RankLLaMA template + eos
// (src/text/ranking.ts). The query is encoded once per request, not once per document.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { documentText, encodeRankingInputs, loadTokenizer, type TextTokenizer } from '../text/index.js';
import { encodeHead } from '../text/truncate.js';
import { DisrankerError } from '../util/errors.js';

export const ONNX_FILE = 'model.onnx';
export const EXPORT_META_FILE = 'disranker_export.json';

/** disranker_export.json as written by src/models/onnx/export.ts (the fields serving reads). */
export interface ExportMeta {
  format: number;
  kind: 'cross-encoder' | 'decoder';
  architecture: string;
  inputs: string[];
  output: string;
  num_labels: number;
  max_length: number;
  quantize: string | null;
  template?: string;
}

/** A document as the APIs accept it. */
export interface RerankDocument {
  title?: string;
  text: string;
}

/** One encoded (query, document) input, unpadded. */
export interface EncodedRow {
  ids: number[];
  typeIds: number[];
}

export interface ModelOptions {
  /** Intra-op threads of the one ORT session. Default: the host's cores. */
  threads?: number;
  /** Longest input in tokens (special tokens included). Default min(512, the model's max_length). */
  maxLength?: number;
}

/** Documents longer than the token budget, when the request asked not to truncate. */
export class TooLongError extends DisrankerError {
  constructor(readonly index: number, readonly tokens: number, readonly limit: number) {
    super('DR_ERR_INPUT', `document ${index} has ${tokens} tokens with the query, more than the limit of ${limit}; shorten it or set truncate to true`);
  }
}

function readMeta(dir: string): ExportMeta {
  const file = join(dir, EXPORT_META_FILE);
  if (!existsSync(file)) throw new DisrankerError('DR_ERR_FILE', `${file}: missing; is ${dir} a folder written by 'disranker export onnx'?`);
  let meta: ExportMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as ExportMeta;
  } catch (err) {
    throw new DisrankerError('DR_ERR_MODEL', `${file}: not valid JSON (${(err as Error).message})`);
  }
  if (meta.kind !== 'cross-encoder' && meta.kind !== 'decoder') throw new DisrankerError('DR_ERR_MODEL', `${file}: kind ${JSON.stringify(meta.kind)} is not 'cross-encoder' or 'decoder'`);
  if (!Number.isInteger(meta.max_length) || meta.max_length < 4) throw new DisrankerError('DR_ERR_MODEL', `${file}: max_length ${JSON.stringify(meta.max_length)} is not an integer ≥ 4`);
  return meta;
}

export class RerankModel {
  readonly maxLength: number;
  readonly padId: number;
  private readonly maxQuery: number;
  private readonly budget: number;

  private constructor(
    readonly dir: string,
    readonly meta: ExportMeta,
    readonly tokenizer: TextTokenizer,
    readonly session: ort.InferenceSession,
    readonly threads: number,
    maxLength: number,
  ) {
    this.maxLength = maxLength;
    this.budget = maxLength - (meta.kind === 'cross-encoder' ? tokenizer.numSpecialTokens(true) : 0);
    this.maxQuery = Math.floor(this.budget / 2);
    this.padId = tokenizer.special.pad?.id ?? (meta.kind === 'decoder' ? (tokenizer.special.eos?.id ?? 0) : 0);
  }

  /** Opens an export folder: model.onnx, disranker_export.json, config.json, tokenizer.json. */
  static async load(dir: string, opts: ModelOptions = {}): Promise<RerankModel> {
    if (!existsSync(dir)) throw new DisrankerError('DR_ERR_FILE', `${dir}: no such model folder`);
    const meta = readMeta(dir);
    const onnxFile = join(dir, ONNX_FILE);
    if (!existsSync(onnxFile)) throw new DisrankerError('DR_ERR_FILE', `${onnxFile}: missing`);
    const tokenizer = loadTokenizer(dir);
    const config = existsSync(join(dir, 'config.json')) ? (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size?: number }) : {};
    if (typeof config.vocab_size === 'number' && tokenizer.vocabSize > config.vocab_size) {
      throw new DisrankerError('DR_ERR_MODEL', `${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}; they do not belong together`);
    }
    const maxLength = Math.min(opts.maxLength ?? 512, meta.max_length);
    const threads = opts.threads ?? Math.max(1, cpus().length);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxFile, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new DisrankerError('DR_ERR_MODEL', `${onnxFile}: onnxruntime cannot load it (${(err as Error).message})`, { cause: err });
    }
    const missing = meta.inputs.filter((i) => !session.inputNames.includes(i));
    if (missing.length) throw new DisrankerError('DR_ERR_MODEL', `${onnxFile}: the graph lacks input(s) ${missing.join(', ')}`);
    return new RerankModel(dir, meta, tokenizer, session, threads, maxLength);
  }

  /**
   * Encodes (query, document) inputs. With truncate, long documents are cut to the budget; without, a document
   * that does not fit throws TooLongError (the service answers 413).
   */
  encode(query: string, docs: RerankDocument[], truncate: boolean): EncodedRow[] {
    const tok = this.tokenizer;
    if (this.meta.kind === 'decoder') {
      const items = docs.map((d) => ({ query, title: d.title, summary: d.text }));
      if (!truncate) {
        const full = encodeRankingInputs(tok, items, { maxLength: 1 << 30 });
        full.lengths.forEach((n, i) => {
          if (n > this.maxLength) throw new TooLongError(i, n, this.maxLength);
        });
      }
      const b = encodeRankingInputs(tok, items, { maxLength: this.maxLength });
      return b.lengths.map((n, i) => {
        const start = i * b.shape[1];
        return { ids: Array.from(b.inputIds.subarray(start, start + n)), typeIds: new Array<number>(n).fill(0) };
      });
    }
    const q = encodeHead(tok, query.trim(), this.maxQuery);
    const room = this.budget - q.length;
    return docs.map((d, i) => {
      const ids = encodeHead(tok, documentText({ title: d.title, summary: d.text }), truncate ? room : room + 1);
      if (ids.length > room) throw new TooLongError(i, q.length + ids.length + (this.maxLength - this.budget), this.maxLength);
      return tok.applyTemplate(q, ids);
    });
  }

  /** Scores rows in one padded batch (right padding): logits[:, 0] per row. */
  async score(rows: EncodedRow[]): Promise<Float32Array> {
    const B = rows.length;
    const T = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    const ids = new BigInt64Array(B * T).fill(BigInt(this.padId));
    const mask = new BigInt64Array(B * T);
    const types = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      const r = rows[b];
      for (let t = 0; t < r.ids.length; t++) {
        ids[b * T + t] = BigInt(r.ids[t]);
        mask[b * T + t] = 1n;
        types[b * T + t] = BigInt(r.typeIds[t] ?? 0);
      }
    }
    const all: Record<string, BigInt64Array> = { input_ids: ids, attention_mask: mask, token_type_ids: types };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.meta.inputs) feeds[name] = new ort.Tensor('int64', all[name], [B, T]);
    const out = await this.session.run(feeds);
    const logits = out[this.meta.output].data as Float32Array;
    const L = this.meta.num_labels;
    return L === 1 ? logits : Float32Array.from({ length: B }, (_, b) => logits[b * L]);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

// The served model: an export folder (`disranker export onnx`): one onnxruntime-node session in a worker thread
// (inference.ts) and the tokenizer (encoder.ts) in worker threads (tokenize-pool.ts), so the event loop only
// handles HTTP. No engine and no models code: a serving host needs neither libtorch nor a compiler.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DisrankerError } from '../util/errors.js';
import { InferenceWorker } from './inference.js';
import { PairEncoder, type EncodedRow, type RerankDocument } from './encoder.js';
import { TokenizePool } from './tokenize-pool.js';

export { TooLongError, type EncodedRow, type RerankDocument } from './encoder.js';

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

export interface ModelOptions {
  /** Intra-op threads of the one ORT session. Default: the host's cores. */
  threads?: number;
  /** Longest input in tokens (special tokens included). Default min(512, the model's max_length). */
  maxLength?: number;
  /** Tokenizer worker threads; 0 encodes on the event loop. Default 1 up to 4 cores, else cores / 4 (at most 4). */
  tokenizerThreads?: number;
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
  readonly padId: number;

  private constructor(
    readonly dir: string,
    readonly meta: ExportMeta,
    readonly encoder: PairEncoder,
    private readonly pool: TokenizePool | null,
    private readonly session: InferenceWorker,
    readonly threads: number,
    readonly maxLength: number,
  ) {
    const tok = encoder.tokenizer;
    this.padId = tok.special.pad?.id ?? (meta.kind === 'decoder' ? (tok.special.eos?.id ?? 0) : 0);
  }

  get tokenizer() {
    return this.encoder.tokenizer;
  }

  /** Tokenizer worker threads (0: the event loop encodes). */
  get tokenizerThreads(): number {
    return this.pool?.size ?? 0;
  }

  /** Opens an export folder: model.onnx, disranker_export.json, config.json, tokenizer.json. */
  static async load(dir: string, opts: ModelOptions = {}): Promise<RerankModel> {
    if (!existsSync(dir)) throw new DisrankerError('DR_ERR_FILE', `${dir}: no such model folder`);
    const meta = readMeta(dir);
    const onnxFile = join(dir, ONNX_FILE);
    if (!existsSync(onnxFile)) throw new DisrankerError('DR_ERR_FILE', `${onnxFile}: missing`);
    const maxLength = Math.min(opts.maxLength ?? 512, meta.max_length);
    const spec = { dir, kind: meta.kind, maxLength };
    const encoder = new PairEncoder(spec);
    const tokenizer = encoder.tokenizer;
    const config = existsSync(join(dir, 'config.json')) ? (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size?: number }) : {};
    if (typeof config.vocab_size === 'number' && tokenizer.vocabSize > config.vocab_size) {
      throw new DisrankerError('DR_ERR_MODEL', `${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}; they do not belong together`);
    }
    const threads = opts.threads ?? Math.max(1, cpus().length);
    const session = await InferenceWorker.open({ onnxFile, threads, output: meta.output });
    const missing = meta.inputs.filter((i) => !session.inputNames.includes(i));
    if (missing.length) {
      await session.close();
      throw new DisrankerError('DR_ERR_MODEL', `${onnxFile}: the graph lacks input(s) ${missing.join(', ')}`);
    }
    const cores = cpus().length;
    const workers = opts.tokenizerThreads ?? (cores <= 4 ? 1 : Math.min(4, Math.floor(cores / 4)));
    const pool = workers > 0 ? new TokenizePool(spec, workers) : null;
    return new RerankModel(dir, meta, encoder, pool, session, threads, maxLength);
  }

  /** Encodes (query, document) inputs (see encoder.ts) in a worker thread; throws TooLongError. */
  encode(query: string, docs: RerankDocument[], truncate: boolean): Promise<EncodedRow[]> {
    if (this.pool) return this.pool.encode(query, docs, truncate);
    return Promise.resolve().then(() => this.encoder.encode(query, docs, truncate));
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
    const feeds: Record<string, BigInt64Array> = {};
    for (const name of this.meta.inputs) feeds[name] = all[name];
    const { logits } = await this.session.run([B, T], feeds);
    const L = this.meta.num_labels;
    return L === 1 ? logits : Float32Array.from({ length: B }, (_, b) => logits[b * L]);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.session.close();
  }
}

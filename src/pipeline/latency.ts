// Latency per 100 candidates: one query-like batch of 100 (query, candidate) pairs scored at once, timed over
// `rounds` rounds after a warm-up round (the median is reported). The libtorch models (teacher, student) go through
// the same scorer as reranking; the exported ONNX student through onnxruntime-node directly (the pipeline layer
// does not load src/serve), with the same thread count as libtorch's intra-op pool.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { threadInfo } from '../engine/index.js';
import { BertForSequenceClassification } from '../models/bert.js';
import { loadHfModel } from '../models/hf.js';
import { LlamaForCausalLM } from '../models/llama.js';
import { scorePairs } from '../models/score.js';
import { encodePairs, loadTokenizer, type QueryDocument } from '../text/index.js';
import { DisrankerError } from '../util/errors.js';

export const LATENCY_PAIRS = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median milliseconds to score `pairs` in one batch with a model folder on libtorch. */
export function timeTorchModel(dir: string, pairs: QueryDocument[], opts: { rounds: number; maxLength: number }): number {
  const { model } = loadHfModel(dir);
  try {
    if (!(model instanceof LlamaForCausalLM) && !(model instanceof BertForSequenceClassification)) throw new DisrankerError('DR_ERR_MODEL', `${dir}: not a ranking model`);
    model.eval();
    const tok = loadTokenizer(dir);
    const times: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const t0 = performance.now();
      scorePairs(model, tok, pairs, { batchSize: pairs.length, maxLength: opts.maxLength });
      if (r > 0) times.push(performance.now() - t0); // round 0 warms up
    }
    return median(times);
  } finally {
    model.dispose();
  }
}

/** Median milliseconds to tokenize and score `pairs` in one batch with an ONNX export folder (a cross-encoder). */
export async function timeOnnxModel(dir: string, pairs: QueryDocument[], opts: { rounds: number; maxLength: number }): Promise<number> {
  const file = join(dir, 'model.onnx');
  if (!existsSync(file)) throw new DisrankerError('DR_ERR_FILE', `${file}: missing`);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threadInfo().intraOp, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  try {
    const tok = loadTokenizer(dir);
    const times: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const t0 = performance.now();
      const enc = encodePairs(tok, pairs, { maxLength: opts.maxLength, padding: 'longest' });
      const dims = [enc.shape[0], enc.shape[1]];
      const i64 = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (x) => BigInt(x)), dims);
      const all: Record<string, ort.Tensor> = { input_ids: i64(enc.inputIds), attention_mask: i64(enc.attentionMask), token_type_ids: i64(enc.tokenTypeIds) };
      const feeds = Object.fromEntries(session.inputNames.map((n) => [n, all[n]]));
      await session.run(feeds);
      if (r > 0) times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.release();
  }
}

// Text generation from the decoder's LM head: greedy or top-k sampling (seeded), stopping at eos, so a user can
// see what continued pre-training taught: `query: {query} document:` in, a title out.
//
// Prompts run in batches of at most `batchSize` (memory stays bounded however many queries come in); within a batch,
// prompts of different lengths are left-padded with position_ids = cumsum(mask) - 1 (pads 1), as HF's generate()
// does, so every row sees the positions it would see alone. Top-k sampling draws each prompt's tokens from its own
// seeded stream, so the output does not depend on the batching. There is no KV cache: each step re-runs the whole
// sequence, which is fine for inspection and tests, not for serving long outputs.
import { noGrad, tensor, tidy } from '../engine/index.js';
import { DisrankerError } from '../util/errors.js';
import type { TextTokenizer } from '../text/index.js';
import { RANKLLAMA_TEMPLATE } from '../text/index.js';
import { firstEos, type LlamaForCausalLM } from './llama.js';
import { GENERATE_DEFAULTS, MAX_NEW_TOKENS } from './defaults.js';
import { checkTokenizerFits } from './inputs.js';
import { checkSeed, mulberry32 } from '../util/random.js';


export interface GenerateOptions {
  /** New tokens per prompt at most. Default 32. */
  maxNewTokens?: number;
  /** Sample from the k most likely tokens; 1 or absent = greedy (argmax, first index on ties). */
  topK?: number;
  /** Divides the logits before top-k sampling. Default 1. */
  temperature?: number;
  /** Seed of the sampler (top-k only); the same seed gives the same text. Default 0. */
  seed?: number;
  /** Stop ids. Default: the config's eos_token_id (all of them when it is a list). */
  eosTokenId?: number | number[];
  /** Pad id for batching. Default: the config's pad_token_id, else the first eos, else 0. */
  padTokenId?: number;
  /** Prompts run together at most. Default GENERATE_BATCH_SIZE. */
  batchSize?: number;
}

/** Default prompts per forward batch: bounds memory (the logits alone are batch × tokens × vocabulary floats). */
export const GENERATE_BATCH_SIZE = 16;

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1), the same on every machine. */
export const seededRandom = mulberry32;

/** The sampler of prompt `i`: prompt 0 uses `seed` itself, the others streams derived from it (golden-ratio steps). */
function rowRandom(seed: number, i: number): () => number {
  return seededRandom((seed + Math.imul(i, 0x9e3779b9)) >>> 0);
}

/**
 * Continues each prompt (token ids, bos included if the model wants one). Returns the new ids of each row,
 * ending with the eos id when the row stopped there.
 */
export function generate(model: LlamaForCausalLM, prompts: number[][], opts: GenerateOptions = {}): number[][] {
  const maxNew = opts.maxNewTokens ?? GENERATE_DEFAULTS.maxNewTokens;
  const topK = opts.topK ?? GENERATE_DEFAULTS.topK;
  const temperature = opts.temperature ?? GENERATE_DEFAULTS.temperature;
  const seed = opts.seed ?? GENERATE_DEFAULTS.seed;
  const batchSize = opts.batchSize ?? GENERATE_BATCH_SIZE;
  const bad = (what: string) => new DisrankerError('DR_ERR_INPUT', `generate: ${what}`);
  if (!Number.isInteger(maxNew) || maxNew < 0 || maxNew > MAX_NEW_TOKENS) throw bad(`maxNewTokens must be an integer between 0 and ${MAX_NEW_TOKENS}, got ${maxNew}`);
  if (!Number.isInteger(topK) || topK < 1) throw bad(`topK must be a positive integer, got ${topK}`);
  if (!(temperature > 0)) throw bad(`temperature must be > 0, got ${temperature}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw bad(`batchSize must be a positive integer, got ${batchSize}`);
  checkSeed('generate: seed', seed);
  const V = model.config.vocab_size;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw bad(`a prompt is empty (prompt ${i}; pass at least bos)`);
    const id = p.find((x) => !Number.isInteger(x) || x < 0 || x >= V);
    if (id !== undefined) throw bad(`prompt ${i} has token id ${id}, outside the model's vocabulary (vocab_size ${V}): the tokenizer does not match the model`);
  });
  const c = model.config;
  const eosIds = new Set(opts.eosTokenId !== undefined ? [opts.eosTokenId].flat() : c.eos_token_id === null ? [] : [c.eos_token_id].flat());
  const pad = opts.padTokenId ?? c.pad_token_id ?? firstEos(c) ?? 0;
  const settings: BatchSettings = { maxNew, topK, temperature, eosIds, pad };
  const out: number[][] = [];
  for (let s = 0; s < prompts.length; s += batchSize) {
    const rows = prompts.slice(s, s + batchSize);
    out.push(...generateBatch(model, rows, rows.map((_, j) => rowRandom(seed, s + j)), settings));
  }
  return out;
}

interface BatchSettings {
  maxNew: number;
  topK: number;
  temperature: number;
  eosIds: Set<number>;
  pad: number;
}

/** One batch of `generate`: `random[b]` samples row b. */
function generateBatch(model: LlamaForCausalLM, prompts: number[][], random: (() => number)[], p: BatchSettings): number[][] {
  const { maxNew, topK, temperature, eosIds, pad } = p;
  const device = model.model.embed_tokens.weight.device;
  const wasTraining = model.training;
  model.eval();
  const seqs = prompts.map((p) => [...p]);
  const out: number[][] = prompts.map(() => []);
  let active = prompts.map((_, i) => i);
  try {
    for (let step = 0; step < maxNew && active.length > 0; step++) {
      const rows = active.map((i) => seqs[i]);
      const T = Math.max(...rows.map((r) => r.length));
      const ids: number[][] = [];
      const mask: number[][] = [];
      const pos: number[][] = [];
      for (const r of rows) {
        const n = T - r.length;
        ids.push([...Array<number>(n).fill(pad), ...r]);
        mask.push([...Array<number>(n).fill(0), ...r.map(() => 1)]);
        pos.push([...Array<number>(n).fill(1), ...r.map((_, j) => j)]);
      }
      // Last-position logits (B, V) as numbers.
      const last = tidy(() =>
        noGrad(() => {
          const logits = model.forward({
            inputIds: tensor(ids, { dtype: 'int64', device }),
            attentionMask: tensor(mask, { dtype: 'int64', device }),
            positionIds: tensor(pos, { dtype: 'int64', device }),
          });
          const l = logits.select(1, T - 1).to('float32');
          if (topK === 1) return { greedy: l.argmax(-1).toArray() };
          const [vals, idx] = l.div(temperature).topk(Math.min(topK, l.size(-1)), -1);
          return { probs: vals.softmax(-1).toArray(), idx: idx.toArray(), k: vals.size(-1) };
        }),
      );
      const next: number[] = [];
      for (let b = 0; b < rows.length; b++) {
        if (last.greedy) {
          next.push(last.greedy[b]);
          continue;
        }
        const k = last.k!;
        let u = random[active[b]]();
        let pick = last.idx![b * k + k - 1];
        for (let j = 0; j < k; j++) {
          u -= last.probs![b * k + j];
          if (u < 0) {
            pick = last.idx![b * k + j];
            break;
          }
        }
        next.push(pick);
      }
      const still: number[] = [];
      active.forEach((i, b) => {
        seqs[i].push(next[b]);
        out[i].push(next[b]);
        if (!eosIds.has(next[b])) still.push(i);
      });
      active = still;
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** The prompt part of a ranking template: everything before the first {title}/{summary}, with the query filled in. */
export function promptFromTemplate(template: string, query: string): string {
  const cut = template.search(/\{(title|summary)\}/);
  return (cut < 0 ? template : template.slice(0, cut)).replace('{query}', query.trim()).trimEnd();
}

export interface GenerateTextOptions extends GenerateOptions {
  /** Default RankLLaMA's `query: {query} document: {title} {summary}`; the prompt ends before {title}. */
  template?: string;
}

/** Generates the document text (usually a title) the model expects after `query: {query} document:` for each query. */
export function generateForQueries(model: LlamaForCausalLM, tok: TextTokenizer, queries: string[], opts: GenerateTextOptions = {}): string[] {
  checkTokenizerFits(tok, model.config.vocab_size);
  const template = opts.template ?? RANKLLAMA_TEMPLATE;
  const bos = tok.addsBos ? tok.special.bos?.id : undefined;
  const eos = opts.eosTokenId ?? tok.special.eos?.id ?? firstEos(model.config) ?? undefined;
  const prompts = queries.map((q) => [...(bos !== undefined ? [bos] : []), ...tok.encode(promptFromTemplate(template, q))]);
  const outs = generate(model, prompts, { ...opts, eosTokenId: eos });
  return outs.map((ids) => tok.decode(ids, { skipSpecialTokens: true }).trim());
}

export { GENERATE_DEFAULTS, MAX_NEW_TOKENS };

// `disranker bench decoder` (this script: `node --import tsx bench/decoder.ts [--help]`): the teacher decoder
// (LlamaForCausalLM with the score head only, CPT_DEFAULTS.model with a 4,000-token vocabulary) timed on
//   (a) a ranking SFT step on a fresh batch: Q groups × G documents of T tokens → rank() → scores (Q, G) → pairwise
//       margin hinge → backward → AdamW (decay on matrices, none on norm weights);
//   (b) reranking: rank() under noGrad of N candidates in batches of B, reported per 100 candidates.
// Inputs are random ids, right-padded with id 0 after random lengths, from xorshift32: bench/torch_decoder.py draws
// the same tokens, and runs the same model in PyTorch for the side-by-side table (bench/decoder-vs-torch.ts).
// --save-init writes the initial weights (HF names) so the PyTorch side can start from them (--init there).
import { buildInfo, manualSeed, noGrad, saveSafetensors, setThreads, tensor, threadInfo, tidy, type Tensor } from '../src/engine/index.js';
import { LlamaForCausalLM, llamaConfig, type LlamaConfig } from '../src/models/llama.js';
import { CPT_DEFAULTS, SFT_DEFAULTS, TOKENIZER_DEFAULTS } from '../src/pipeline/defaults.js';
import { pairwiseHingeLoss } from '../src/train/losses/pairwise-hinge.js';
import { AdamW } from '../src/train/optimizer.js';
import { DisrankerError } from '../src/util/errors.js';
import { intFlag, positiveFlag } from '../src/util/flags.js';
import { benchArgs, isMain, runMain, median } from './util.js';

/** The teacher's default shape (the SFT stage's scratch model) with the default BPE vocabulary; pad id 0. */
export const TEACHER_CONFIG: Partial<LlamaConfig> = {
  ...CPT_DEFAULTS.model,
  vocab_size: TOKENIZER_DEFAULTS.vocabSize,
  max_position_embeddings: SFT_DEFAULTS.maxLength,
  pad_token_id: 0,
  bos_token_id: null,
  eos_token_id: null,
};

/** xorshift32 from a seed; bench/torch_decoder.py has the same generator. */
function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** n rows of T ids in [1, vocab), right-padded with id 0 after a length in [minLen, T]; [n, T] int64 tensors. */
function randomBatch(seed: number, n: number, T: number, vocab: number, minLen: number): { inputIds: Tensor; attentionMask: Tensor } {
  const next = xorshift32(seed);
  const ids = new BigInt64Array(n * T);
  const mask = new BigInt64Array(n * T);
  for (let i = 0; i < n; i++) {
    const length = minLen + (next() % (T - minLen + 1));
    for (let j = 0; j < T; j++) {
      const t = 1 + (next() % (vocab - 1));
      ids[i * T + j] = j < length ? BigInt(t) : 0n;
      mask[i * T + j] = j < length ? 1n : 0n;
    }
  }
  return { inputIds: tensor(ids, { shape: [n, T] }), attentionMask: tensor(mask, { shape: [n, T] }) };
}

export interface BenchDecoderOptions {
  steps: string;
  warmup: string;
  threads?: string;
  groups: string;
  'group-size': string;
  seq: string;
  'min-len': string;
  rerank: string;
  'rerank-batch': string;
  lr: string;
  config: string;
  'save-init'?: string;
  json?: boolean;
}

export async function benchDecoder(opts: BenchDecoderOptions): Promise<Record<string, unknown>> {
  if (opts.threads) setThreads(intFlag('--threads', opts.threads, 1));
  const steps = intFlag('--steps', opts.steps, 1);
  const warmup = intFlag('--warmup', opts.warmup, 0);
  const Q = intFlag('--groups', opts.groups, 1);
  const G = intFlag('--group-size', opts['group-size'], 2);
  const T = intFlag('--seq', opts.seq, 2);
  const minLen = intFlag('--min-len', opts['min-len'], 1);
  if (minLen > T) throw new DisrankerError('DR_ERR_USAGE', `--min-len ${minLen} exceeds --seq ${T}`);
  const N = intFlag('--rerank', opts.rerank, 1);
  const RB = intFlag('--rerank-batch', opts['rerank-batch'], 1);
  const lr = positiveFlag('--lr', opts.lr);
  let overrides: Partial<LlamaConfig>;
  try {
    overrides = JSON.parse(opts.config) as Partial<LlamaConfig>;
  } catch {
    throw new DisrankerError('DR_ERR_USAGE', `--config: expected a JSON object, got ${opts.config}`);
  }
  const config = llamaConfig({ ...TEACHER_CONFIG, ...overrides });
  const V = config.vocab_size;

  manualSeed(0);
  const model = new LlamaForCausalLM(config, { lm: false, score: true });
  if (opts['save-init']) saveSafetensors(opts['save-init'], model.stateDict(), { format: 'pt' });
  const opt = AdamW.forModule(model, { lr, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8 });

  // a fresh batch every step (seed 1000 + step), built before timing; labels: 1 positive + G−1 negatives per group
  const batches = tidy(() => Array.from({ length: warmup + steps }, (_, i) => randomBatch(1000 + i, Q * G, T, V, minLen)));
  const labels = tidy(() => tensor(Array.from({ length: Q }, () => Array.from({ length: G }, (_, j) => (j === 0 ? 1 : 0))), { dtype: 'int64' }));

  model.train();
  const stepMs: number[] = [];
  const losses: number[] = [];
  let firstScores: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const loss = tidy(() => {
      const scores = model.rank(batches[i]).view(Q, G);
      const l = pairwiseHingeLoss(scores, labels);
      l.backward();
      opt.step();
      opt.zeroGrad();
      if (i === 0) firstScores = scores.detach().select(0, 0).toArray();
      return l.item();
    });
    const dt = performance.now() - t0;
    losses.push(loss);
    if (i >= warmup) stepMs.push(dt);
  }

  model.eval();
  const cands = tidy(() => randomBatch(2, N, T, V, minLen));
  const rerankMs: number[] = [];
  let rerankHead: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out: number[] = [];
    for (let s = 0; s < N; s += RB) {
      const b = Math.min(RB, N - s);
      const scores = tidy(() => noGrad(() => model.rank({ inputIds: cands.inputIds.narrow(0, s, b), attentionMask: cands.attentionMask.narrow(0, s, b) }).toArray()));
      out.push(...scores);
    }
    if (i >= warmup) rerankMs.push(((performance.now() - t0) * 100) / N);
    if (i === 0) rerankHead = out.slice(0, 4);
  }

  const th = threadInfo();
  const result = {
    impl: 'disranker',
    model: `llama L${config.num_hidden_layers} H${config.hidden_size} I${config.intermediate_size} A${config.num_attention_heads}/${config.num_key_value_heads} V${V}`,
    groups: Q,
    group_size: G,
    seq: T,
    rerank: N,
    rerank_batch: RB,
    steps,
    warmup,
    step_ms_median: round(median(stepMs)),
    rerank_ms_per_100_median: round(median(rerankMs)),
    threads: { intra_op: th.intraOp, openblas: th.blas },
    loss_all: losses,
    first_scores: firstScores,
    rerank_scores_head: rerankHead,
    torch_version: buildInfo().torchVersion,
    step_ms_all: stepMs.map(round),
    rerank_ms_per_100_all: rerankMs.map(round),
  };
  tidy(() => {
    for (const b of batches) [b.inputIds, b.attentionMask].forEach((t) => t.dispose());
    [cands.inputIds, cands.attentionMask, labels].forEach((t) => t.dispose());
  });
  model.dispose();
  opt.dispose();
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log(`disranker decoder bench (${result.model}, seq ${T}, threads ${th.intraOp}+${th.blas} BLAS)`);
    console.log(`  SFT step (${Q}×${G} sequences, hinge, AdamW)  median ${result.step_ms_median} ms   (${steps} steps after ${warmup} warm-up)`);
    console.log(`  rerank (${N} candidates, batch ${RB}, no grad)  median ${result.rerank_ms_per_100_median} ms per 100 candidates`);
    console.log(`  loss ${losses.map((l) => l.toFixed(4)).join(' ')}`);
  }
  return result;
}

const round = (x: number) => Math.round(x * 100) / 100;

export const DECODER_FLAGS = {
  steps: { type: 'string', default: '5', help: 'timed training steps, and timed rerank passes' },
  warmup: { type: 'string', default: '2', help: 'warm-up steps (and passes)' },
  threads: { type: 'string', help: 'intra-op threads (default: the engine default for this host)' },
  groups: { type: 'string', default: String(SFT_DEFAULTS.groupsPerStep), help: 'groups per SFT step' },
  'group-size': { type: 'string', default: String(SFT_DEFAULTS.groupSize), help: 'documents per group' },
  seq: { type: 'string', default: String(SFT_DEFAULTS.maxLength), help: 'tokens per sequence (padded width)' },
  'min-len': { type: 'string', default: '16', help: 'shortest real length (lengths are uniform in [min-len, seq])' },
  rerank: { type: 'string', default: '512', help: 'candidates per rerank pass' },
  'rerank-batch': { type: 'string', default: '32', help: 'rerank batch size' },
  lr: { type: 'string', default: String(SFT_DEFAULTS.lr), help: 'AdamW learning rate' },
  config: { type: 'string', default: '{}', help: 'JSON overriding fields of the teacher config' },
  'save-init': { type: 'string', help: 'write the initial weights to this safetensors file' },
  json: { type: 'boolean', help: 'print one JSON object' },
} as const;

if (isMain(import.meta.url)) {
  await runMain(() =>
    benchDecoder(benchArgs('disranker bench decoder: time a ranking SFT step and reranking with the teacher decoder (2 layers, hidden 128)', DECODER_FLAGS)),
  );
}

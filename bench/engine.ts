// `disranker bench engine` (this script: `node --import tsx bench/engine.ts [--help]`): trains the reference BERT (4 layers, H 256, 4 heads, FFN 1024, vocab 30522)
// on random pairs with an MSE loss and AdamW, and times training steps and forward passes.
// bench/torch_engine.py runs the same model in PyTorch for the side-by-side table (bench/engine-vs-torch.ts).
import {
  autocast,
  buildInfo,
  cudaSynchronize,
  manualSeed,
  mseLoss,
  noGrad,
  parseDType,
  randint,
  randn,
  setThreads,
  threadInfo,
  tidy,
  ones,
  zeros,
  cat,
} from '../src/engine/index.js';
import { BertForSequenceClassification, bertConfig } from '../src/models/bert.js';
import { AdamW } from '../src/train/optimizer.js';
import { intFlag, parseThreads } from '../src/util/flags.js';
import { benchArgs, isMain, runMain, median } from './util.js';

export interface BenchEngineOptions {
  dtype: string;
  steps: string;
  warmup: string;
  batch: string;
  seq: string;
  threads?: string;
  device: string;
  json?: boolean;
}

export const REFERENCE_BERT = {
  vocab_size: 30522,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 1024,
  max_position_embeddings: 512,
};

export async function benchEngine(opts: BenchEngineOptions): Promise<Record<string, unknown>> {
  const dtype = parseDType(opts.dtype);
  if (dtype !== 'float32' && dtype !== 'bfloat16') throw new Error(`--dtype must be fp32 or bf16, got ${opts.dtype}`);
  if (opts.threads) setThreads(parseThreads('--threads', opts.threads));
  const steps = intFlag('--steps', opts.steps, 1);
  const warmup = intFlag('--warmup', opts.warmup, 0);
  const B = intFlag('--batch', opts.batch, 1);
  const T = intFlag('--seq', opts.seq, 2);
  const device = opts.device;
  manualSeed(0);
  const model = new BertForSequenceClassification(bertConfig(REFERENCE_BERT));
  if (device !== 'cpu') model.toDevice(device);
  const opt = AdamW.forModule(model, { lr: 1e-4, weightDecay: 0.01 });
  const sync = () => device !== 'cpu' && cudaSynchronize();
  const mixed = (fn: () => ReturnType<typeof model.score>) => (dtype === 'bfloat16' ? autocast(fn, 'bfloat16', device === 'cpu' ? 'cpu' : 'cuda') : fn());

  // One fixed batch: random token ids, all positions real, query segment 0 / document segment 1.
  const batch = tidy(() => {
    const inputIds = randint(1, REFERENCE_BERT.vocab_size, [B, T], { device });
    const attentionMask = ones([B, T], { dtype: 'int64', device });
    const half = Math.floor(T / 4);
    const tokenTypeIds = cat([zeros([B, half], { dtype: 'int64', device }), ones([B, T - half], { dtype: 'int64', device })], 1);
    const target = randn([B], { device });
    return { inputIds, attentionMask, tokenTypeIds, target };
  });
  const inputs = { inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds };

  model.train();
  const stepMs: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const loss = tidy(() => {
      const l = mseLoss(mixed(() => model.score(inputs)).float(), batch.target);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
    sync();
    const dt = performance.now() - t0;
    losses.push(loss);
    if (i >= warmup) stepMs.push(dt);
  }

  model.eval();
  const fwd = (b: number) => {
    const ms: number[] = [];
    const sub = tidy(() => ({
      inputIds: batch.inputIds.narrow(0, 0, b).contiguous(),
      attentionMask: batch.attentionMask.narrow(0, 0, b).contiguous(),
      tokenTypeIds: batch.tokenTypeIds.narrow(0, 0, b).contiguous(),
    }));
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      tidy(() => noGrad(() => mixed(() => model.score(sub)).toArray()));
      sync();
      if (i >= warmup) ms.push(performance.now() - t0);
    }
    return ms;
  };
  const fwd16 = fwd(B);
  const fwd1 = fwd(1);

  const th = threadInfo();
  const result = {
    impl: 'disranker',
    model: `bert L${REFERENCE_BERT.num_hidden_layers} H${REFERENCE_BERT.hidden_size} A${REFERENCE_BERT.num_attention_heads} FFN${REFERENCE_BERT.intermediate_size} V${REFERENCE_BERT.vocab_size}`,
    batch: B,
    seq: T,
    dtype: dtype === 'bfloat16' ? 'bf16' : 'fp32',
    device,
    steps,
    warmup,
    step_ms_median: round(median(stepMs)),
    step_ms_min: round(Math.min(...stepMs)),
    fwd_b16_ms_median: round(median(fwd16)),
    fwd_b1_ms_median: round(median(fwd1)),
    threads: { intra_op: th.intraOp, openblas: th.blas },
    loss_first: losses[0],
    loss_last: losses[losses.length - 1],
    torch_version: buildInfo().torchVersion,
    step_ms_all: stepMs.map(round),
    fwd_b16_ms_all: fwd16.map(round),
    fwd_b1_ms_all: fwd1.map(round),
  };
  model.dispose();
  opt.dispose();
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log(`disranker engine bench (${result.model}, batch ${B}, seq ${T}, ${result.dtype}, ${device}, threads ${th.intraOp}+${th.blas} BLAS)`);
    console.log(`  train step  median ${result.step_ms_median} ms   min ${result.step_ms_min} ms   (${steps} steps after ${warmup} warm-up)`);
    console.log(`  forward b${B} median ${result.fwd_b16_ms_median} ms   forward b1 median ${result.fwd_b1_ms_median} ms`);
  }
  return result;
}

const round = (x: number) => Math.round(x * 100) / 100;

export const ENGINE_FLAGS = {
  dtype: { type: 'string', default: 'fp32', help: 'compute dtype: fp32 or bf16 (bf16 = mixed precision, fp32 master weights)' },
  steps: { type: 'string', default: '5', help: 'timed training steps' },
  warmup: { type: 'string', default: '2', help: 'warm-up steps' },
  batch: { type: 'string', default: '16', help: 'batch size' },
  seq: { type: 'string', default: '128', help: 'sequence length' },
  threads: { type: 'string', help: 'intra-op threads (default: the engine default for this host)' },
  device: { type: 'string', default: 'cpu', help: 'cpu or cuda' },
  json: { type: 'boolean', help: 'print one JSON object' },
} as const;

if (isMain(import.meta.url)) {
  await runMain(() => benchEngine(benchArgs('disranker bench engine: train the reference BERT (4 layers, hidden 256) and time training and forward steps', ENGINE_FLAGS)));
}

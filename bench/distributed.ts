// Data-parallel speed on this machine: `node --import tsx bench/distributed.ts [--steps N] [--batch B] [--len T] [--size PRESET] [--json]`.
// One run, three settings of a teacher CPT step (CPT_DEFAULTS.model or a TEACHER_SIZES preset, 4k vocabulary: forward, LM loss, backward,
// gradient averaging, AdamW) on random token ids:
//   1 process × 1 thread, batch B          the baseline for scaling efficiency
//   1 process × 2 threads, batch 2B        the same cores used by intra-op threads
//   2 processes × 1 thread, batch B each   data-parallel over Gloo on loopback (global batch 2B)
// Reported: the median step time (the first step is warm-up), examples/s, scaling efficiency
// (examples/s of 2 processes ÷ 2 × those of 1 process × 1 thread) and the all-reduce time of the teacher's
// gradients per step. The machine may be shared: numbers are for this moment.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { manualSeed, ProcessGroup, randint, tidy } from '../src/engine/index.js';
import { LlamaForCausalLM, llamaConfig } from '../src/models/llama.js';
import { AdamW } from '../src/train/optimizer.js';
import { TEACHER_SIZES, type TeacherSize } from '../src/pipeline/defaults.js';
import { TEACHER_CONFIG } from './decoder.js';
import { median } from './util.js';
import { freePort } from '../src/util/net.js';

interface WorkerResult {
  rank: number;
  world: number;
  threads: number;
  batch: number;
  stepMs: number;
  allReduceMs: number;
  parameters: number;
}

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const sizeArg = args.includes('--size') ? (args[args.indexOf('--size') + 1] as TeacherSize) : undefined;
if (sizeArg && !(sizeArg in TEACHER_SIZES)) throw new Error(`--size: one of ${Object.keys(TEACHER_SIZES).join(', ')}`);
const modelConfig = { ...TEACHER_CONFIG, ...(sizeArg ? TEACHER_SIZES[sizeArg] : {}) };

function worker(): void {
  const steps = flag('steps', 6);
  const batch = flag('batch', 8);
  const len = flag('len', 64);
  const group = ProcessGroup.fromTorchrunEnv();
  manualSeed(1);
  const model = new LlamaForCausalLM(llamaConfig({ ...modelConfig, max_position_embeddings: len }));
  const params = model.parameters().filter((p) => p.requiresGrad);
  if (group) group.broadcast(params, 0);
  const opt = AdamW.forModule(model, { lr: 1e-4, weightDecay: 0.01 });
  const times: number[] = [];
  const reduce: number[] = [];
  model.train();
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    tidy(() => {
      manualSeed(1000 * s + (group?.rank ?? 0));
      const ids = randint(0, TEACHER_CONFIG.vocab_size!, [batch, len]);
      model.lmLoss({ inputIds: ids }, ids).backward();
    });
    if (group) reduce.push(group.averageGradients(params));
    opt.step();
    opt.zeroGrad();
    times.push(performance.now() - t0);
  }
  const r: WorkerResult = {
    rank: group?.rank ?? 0,
    world: group?.worldSize ?? 1,
    threads: Number(process.env.DISRANKER_THREADS ?? 1),
    batch,
    stepMs: median(times.slice(1)),
    allReduceMs: reduce.length ? median(reduce.slice(1)) : 0,
    parameters: model.numParameters(),
  };
  opt.dispose();
  group?.destroy();
  console.log(JSON.stringify(r));
}

async function launch(world: number, threads: number, batch: number): Promise<WorkerResult[]> {
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const runs = Array.from({ length: world }, (_, rank) =>
    new Promise<WorkerResult>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DISRANKER_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
      if (world > 1) Object.assign(env, { RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
      const p = spawn(process.execPath, [...process.execArgv, self, '--worker', ...(sizeArg ? ['--size', sizeArg] : []), '--steps', String(flag('steps', 6)), '--len', String(flag('len', 64)), '--batch', String(batch)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`worker ${rank} exited with ${code}`))));
    }),
  );
  return Promise.all(runs);
}

async function main(): Promise<void> {
  const b = flag('batch', 8);
  const base = (await launch(1, 1, b))[0];
  const threads2 = (await launch(1, 2, 2 * b))[0];
  const dp = await launch(2, 1, b);
  const dpStep = Math.max(...dp.map((r) => r.stepMs));
  const rows = [
    { setting: '1 process × 1 thread', batch: b, step_ms: base.stepMs, examples_per_s: (1000 * b) / base.stepMs, allreduce_ms: 0 },
    { setting: '1 process × 2 threads', batch: 2 * b, step_ms: threads2.stepMs, examples_per_s: (2000 * b) / threads2.stepMs, allreduce_ms: 0 },
    { setting: '2 processes × 1 thread', batch: 2 * b, step_ms: dpStep, examples_per_s: (2000 * b) / dpStep, allreduce_ms: median(dp.map((r) => r.allReduceMs)) },
  ];
  const efficiency = rows[2].examples_per_s / (2 * rows[0].examples_per_s);
  const vsThreads = rows[2].examples_per_s / rows[1].examples_per_s;
  if (args.includes('--json')) {
    console.log(JSON.stringify({ parameters: base.parameters, len: flag('len', 64), rows, scaling_efficiency: efficiency, dp_vs_threads: vsThreads }));
    return;
  }
  console.log(`teacher CPT step (${sizeArg ?? 'default size'}, ${(base.parameters / 1e6).toFixed(2)}M parameters, ${flag('len', 64)} tokens per example), median of ${flag('steps', 6) - 1} steps after warm-up`);
  console.log('| setting | global batch | step (ms) | examples/s | all-reduce per step (ms) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.setting} | ${r.batch} | ${r.step_ms.toFixed(0)} | ${r.examples_per_s.toFixed(1)} | ${r.allreduce_ms ? r.allreduce_ms.toFixed(1) : '–'} |`);
  console.log(`scaling efficiency of 2 processes (vs 2 × 1 process × 1 thread): ${(100 * efficiency).toFixed(0)}%; 2 processes × 1 thread vs 1 process × 2 threads: ${vsThreads.toFixed(2)}×`);
}

if (args.includes('--worker')) worker();
else await main();

// Side-by-side: `disranker bench engine` against the same model in PyTorch (bench/torch_engine.py),
// interleaved (ours, torch, ours, torch, ...) with the same thread settings, medians over all timed steps.
//
//   node --import tsx bench/engine-vs-torch.ts [--rounds 2] [--steps 10] [--warmup 3] [--dtype fp32|bf16] [--markdown]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median } from './util.js';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    dtype: { type: 'string', default: 'fp32' },
    threads: { type: 'string', default: '1' },
    blas: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    markdown: { type: 'boolean', default: false },
  },
});

const env = { ...process.env, OPENBLAS_NUM_THREADS: a.blas, DISRANKER_THREADS: a.threads, DISRANKER_FROM_SOURCE: '1' };
const common = ['--steps', a.steps!, '--warmup', a.warmup!, '--dtype', a.dtype!, '--threads', a.threads!];
type R = { step_ms_all: number[]; fwd_b16_ms_all: number[]; fwd_b1_ms_all: number[]; loss_last: number; torch_version: string };
const run = (cmd: string, args: string[]): R => {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
};
const ours: R[] = [];
const torch: R[] = [];
for (let i = 0; i < Number(a.rounds); i++) {
  ours.push(run(process.execPath, ['bin/disranker.js', 'bench', 'engine', '--json', ...common]));
  torch.push(run(a.python!, ['bench/torch_engine.py', ...common]));
  process.stderr.write(`round ${i + 1}/${a.rounds} done\n`);
}
const col = (rs: R[], k: 'step_ms_all' | 'fwd_b16_ms_all' | 'fwd_b1_ms_all') => median(rs.flatMap((r) => r[k]));
const rows = (['step_ms_all', 'fwd_b16_ms_all', 'fwd_b1_ms_all'] as const).map((k) => {
  const o = col(ours, k);
  const t = col(torch, k);
  return { metric: k.replace('_all', '_median'), disranker: +o.toFixed(1), pytorch: +t.toFixed(1), ratio: +(o / t).toFixed(3) };
});
const summary = {
  dtype: a.dtype,
  threads: { intra_op: Number(a.threads), openblas: Number(a.blas) },
  timed_steps_each: Number(a.rounds) * Number(a.steps),
  torch_version: torch[0].torch_version,
  rows,
};
if (a.markdown) {
  console.log(`| ${a.dtype} | disranker (ms) | PyTorch ${summary.torch_version} (ms) | ratio |`);
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.metric} | ${r.disranker} | ${r.pytorch} | ${r.ratio} |`);
} else console.log(JSON.stringify(summary, null, 2));

// Side-by-side: `disranker bench decoder` (the teacher decoder's ranking SFT step and reranking) against the same
// model in PyTorch (bench/torch_decoder.py), interleaved (ours, torch, ours, torch, ...) with the same thread
// settings, medians over all timed steps. Each round PyTorch starts from the weights our run saved (--save-init /
// --init) on the same random tokens, so the table also reports how far the two runs' numbers drift apart.
// The target: ours ≤ 1.10× PyTorch for the training step.
//
//   node --import tsx bench/decoder-vs-torch.ts [--rounds 2] [--steps 5] [--warmup 2] [--markdown]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './util.js';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    blas: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    markdown: { type: 'boolean', default: false },
  },
});

const env = { ...process.env, OPENBLAS_NUM_THREADS: a.blas, DISRANKER_THREADS: a.threads, DISRANKER_FROM_SOURCE: '1' };
const common = ['--steps', a.steps!, '--warmup', a.warmup!, '--threads', a.threads!];
type R = {
  step_ms_all: number[];
  rerank_ms_per_100_all: number[];
  loss_all: number[];
  first_scores: number[];
  rerank_scores_head: number[];
  torch_version: string;
};
const run = (cmd: string, args: string[]): R => {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
};
const maxDiff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));

const dir = mkdtempSync(join(tmpdir(), 'disranker-decoder-bench-'));
const ours: R[] = [];
const torch: R[] = [];
let drift = 0;
try {
  for (let i = 0; i < Number(a.rounds); i++) {
    const init = join(dir, `init-${i}.safetensors`);
    ours.push(run(process.execPath, ['bin/disranker.js', 'bench', 'decoder', '--json', '--save-init', init, ...common]));
    torch.push(run(a.python!, ['bench/torch_decoder.py', '--init', init, ...common]));
    const [o, t] = [ours[i], torch[i]];
    drift = Math.max(drift, maxDiff(o.loss_all, t.loss_all), maxDiff(o.first_scores, t.first_scores), maxDiff(o.rerank_scores_head, t.rerank_scores_head));
    process.stderr.write(`round ${i + 1}/${a.rounds} done\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const col = (rs: R[], k: 'step_ms_all' | 'rerank_ms_per_100_all') => median(rs.flatMap((r) => r[k]));
const rows = (
  [
    ['sft_step_ms_median', 'step_ms_all'],
    ['rerank_ms_per_100_median', 'rerank_ms_per_100_all'],
  ] as const
).map(([metric, k]) => {
  const o = col(ours, k);
  const t = col(torch, k);
  return { metric, disranker: +o.toFixed(1), pytorch: +t.toFixed(1), ratio: +(o / t).toFixed(3) };
});
const summary = {
  model: 'teacher decoder: L2 H128 I344 A4/2 V4000, tied embeddings, score head',
  sft_step: '4 groups × 8 documents × 128 tokens, pairwise hinge, AdamW',
  rerank: '512 candidates × 128 tokens, batch 32, no grad',
  threads: { intra_op: Number(a.threads), openblas: Number(a.blas) },
  timed_steps_each: Number(a.rounds) * Number(a.steps),
  torch_version: torch[0].torch_version,
  target: 'sft step ratio ≤ 1.10',
  // largest |ours − torch| over the losses of every step, the first step's scores and the first rerank scores
  max_abs_drift: drift,
  rows,
};
if (a.markdown) {
  console.log(`| fp32, ${a.threads}+${a.blas} BLAS threads | disranker (ms) | PyTorch ${summary.torch_version} (ms) | ratio |`);
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.metric} | ${r.disranker} | ${r.pytorch} | ${r.ratio} |`);
  console.log(`\n${summary.timed_steps_each} timed steps each; same initial weights and tokens: max |ours − torch| over losses and scores = ${drift.toExponential(2)}`);
} else console.log(JSON.stringify(summary, null, 2));

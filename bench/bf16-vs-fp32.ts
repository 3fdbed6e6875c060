// bf16 mixed precision against fp32 in one run: the reference BERT's training step and forward passes
// (`disranker bench engine`, interleaved fp32, bf16, fp32, bf16, ...), and the toy regression's loss after
// 200 steps in each precision (the issue's target: bf16 faster, its loss within 5% of fp32's).
//
//   node --import tsx bench/bf16-vs-fp32.ts [--rounds 2] [--steps 10] [--warmup 3] [--markdown]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { median } from './util.js';
import { toyRegression } from './toy-regression.js';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    markdown: { type: 'boolean', default: false },
  },
});
type R = { step_ms_all: number[]; fwd_b16_ms_all: number[]; fwd_b1_ms_all: number[] };
const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
const run = (dtype: string): R => {
  const r = spawnSync(process.execPath, ['bin/disranker.js', 'bench', 'engine', '--json', '--dtype', dtype, '--steps', a.steps!, '--warmup', a.warmup!], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bench engine --dtype ${dtype} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
};
const fp32: R[] = [];
const bf16: R[] = [];
for (let i = 0; i < Number(a.rounds); i++) {
  fp32.push(run('fp32'));
  bf16.push(run('bf16'));
  process.stderr.write(`round ${i + 1}/${a.rounds} done\n`);
}
const rows = (['step_ms_all', 'fwd_b16_ms_all', 'fwd_b1_ms_all'] as const).map((k) => {
  const f = median(fp32.flatMap((r) => r[k]));
  const b = median(bf16.flatMap((r) => r[k]));
  return { metric: k.replace('_all', '_median'), fp32: +f.toFixed(1), bf16: +b.toFixed(1), speedup: +(f / b).toFixed(3) };
});
const toyFp32 = toyRegression(false).loss;
const toyBf16 = toyRegression(true).loss;
const toy = { steps: 200, loss_fp32: toyFp32, loss_bf16: toyBf16, relative_diff: (toyBf16 - toyFp32) / toyFp32 };
if (a.markdown) {
  console.log('| reference BERT | fp32 (ms) | bf16 (ms) | bf16 speed-up |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.metric} | ${r.fp32} | ${r.bf16} | ${r.speedup}x |`);
  console.log(`\ntoy regression, loss after 200 steps: fp32 ${toyFp32.toFixed(5)}, bf16 ${toyBf16.toFixed(5)} (${(100 * toy.relative_diff).toFixed(2)}%)`);
} else console.log(JSON.stringify({ timed_steps_each: Number(a.rounds) * Number(a.steps), rows, toy_regression: toy }, null, 2));

// `disranker demo`: the main job on its embedded default data (see README).
import type { Command } from 'commander';
import { intFlag, positiveFlag } from '../../util/flags.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: synthetic world → vocabulary → CPT of a small decoder on clicks → ranking evaluation')
    .option('--out <dir>', 'output folder', 'runs/demo')
    .option('--seed <n>', 'random seed', '0')
    .option('--preset <name>', 'synthetic world size: tiny, small, medium, large', 'small')
    .option('--steps <n>', 'CPT optimizer steps', '1000')
    .option('--batch-size <n>', 'CPT examples per step', '16')
    .option('--lr <x>', 'peak learning rate (warmup, then cosine decay)', '2e-3')
    .option('--checkpoint-every <n>', 'checkpoint every n steps (an interrupted run resumes from it)', '100')
    .action(async (opts: { out: string; seed: string; preset: string; steps: string; batchSize: string; lr: string; checkpointEvery: string }) => {
      const { runDemo } = await import('../../pipeline/demo.js');
      await runDemo({
        out: opts.out,
        seed: intFlag('--seed', opts.seed),
        preset: opts.preset,
        steps: intFlag('--steps', opts.steps, 1),
        batchSize: intFlag('--batch-size', opts.batchSize, 1),
        lr: positiveFlag('--lr', opts.lr),
        checkpointEvery: intFlag('--checkpoint-every', opts.checkpointEvery, 1),
      });
    });
}

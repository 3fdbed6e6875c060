// `disranker demo`: the main job on its embedded default data (see README).
import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on the embedded default data')
    .option('--out <dir>', 'output folder', 'runs/demo')
    .option('--seed <n>', 'random seed', '0')
    .option('--preset <name>', 'synthetic world size: tiny, small, medium, large', 'small')
    .option('--steps <n>', 'training steps', '600')
    .option('--lr <x>', 'peak learning rate', '5e-4')
    .action(async (opts: { out: string; seed: string; preset: string; steps: string; lr: string }) => {
      const { runDemo } = await import('../../pipeline/demo.js');
      await runDemo({ out: opts.out, seed: Number(opts.seed), preset: opts.preset, steps: Number(opts.steps), lr: Number(opts.lr), labels: process.env.DEMO_LABELS as 'hidden' | undefined });
    });
}

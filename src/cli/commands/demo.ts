// `disranker demo`: the main job on its embedded default data (see README).
import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on the embedded default data')
    .option('--out <dir>', 'output folder', 'runs/demo')
    .option('--seed <n>', 'random seed', '0')
    .action(async (opts: { out: string; seed: string }) => {
      const { runDemo } = await import('../../pipeline/demo.js');
      await runDemo({ out: opts.out, seed: Number(opts.seed) });
    });
}

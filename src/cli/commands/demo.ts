// `disranker demo`: the main job on its embedded default data (see README).
import type { Command } from 'commander';
import { CPT_DEFAULTS, DEMO_DEFAULTS } from '../../pipeline/defaults.js';
import { TRAIN_DEFAULTS } from '../../train/defaults.js';
import { addOptions } from '../options.js';

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('the main job: synthetic world → vocabulary → CPT of a small decoder on clicks → ranking evaluation');
  addOptions(
    cmd,
    ['out', DEMO_DEFAULTS.out],
    ['seed', DEMO_DEFAULTS.seed],
    ['preset', DEMO_DEFAULTS.preset],
    ['steps', CPT_DEFAULTS.steps, { help: 'CPT optimizer steps' }],
    ['batchSize', CPT_DEFAULTS.batchSize, { help: 'CPT examples per optimizer step' }],
    ['gradAccum', TRAIN_DEFAULTS.gradAccum],
    ['lr', CPT_DEFAULTS.lr],
    ['maxGradNorm', CPT_DEFAULTS.maxGradNorm ?? 0],
    ['bf16'],
    ['skipNonFinite'],
    ['checkpointEvery', CPT_DEFAULTS.checkpointEvery],
    ['fresh'],
    ['force', undefined, { help: 'replace finished stage runs made with other settings (only disranker run folders)' }],
    ['quiet'],
  );
  cmd.action(async (opts) => {
    const { demoAction } = await import('../actions/demo.js');
    await demoAction(opts);
  });
}

// `disranker pipeline run`: the whole method as one cached, resumable job (docs/pipeline.md).
import type { Command } from 'commander';
import { PIPELINE_RUN_DEFAULTS } from '../../pipeline/defaults.js';
import { DEFAULT_PIPELINE_PRESET, PIPELINE_PRESETS, PIPELINE_STAGES, STAGE_GROUPS } from '../../pipeline/pipeline-config.js';
import { addOptions } from '../options.js';

export const PIPELINE_OUT = 'runs/pipeline';

export function registerPipeline(program: Command): void {
  const pipeline = program.command('pipeline').description('the whole method as one cached, resumable job');
  const stages = [...PIPELINE_STAGES, ...Object.keys(STAGE_GROUPS)].join(', ');
  const run = pipeline
    .command('run')
    .description(
      'world (or --data) → tokenizer → teacher CPT → ranking SFT (+ SFT-only ablation) → teacher scoring → student pre-training → ' +
        'label-only, point-wise, Margin-MSE and hybrid students → test evaluation with significance → ONNX export and latency; ' +
        'writes OUT/report.json and OUT/report.html. Each stage is cached under a hash of its settings and inputs.',
    )
    .option('--config <file>', 'configuration file (JSON, or YAML .yaml/.yml); its fields go over the preset')
    .option('--preset <name>', `configuration preset: ${Object.keys(PIPELINE_PRESETS).join(', ')} (default: the config file's, else ${DEFAULT_PIPELINE_PRESET})`)
    .option('--data <dir>', 'an imported data set folder instead of the synthetic world (stages it cannot feed are skipped, with the reason)')
    .option('--set <key=value...>', 'override configuration fields, e.g. --set distill.beta=0.5 cpt.steps=200')
    .option('--from <stage>', `rerun this stage and everything downstream of it, even if done: ${stages}`)
    .option('--only <stage>', 'rerun only this stage (its upstream stages must be done)');
  addOptions(run, ['out', PIPELINE_OUT], ['seed', undefined, { help: 'random seed (0 … 2^32−1); default: the configuration\'s' }], ['quiet']);
  addOptions(run, ['jobs', PIPELINE_RUN_DEFAULTS.jobs, { help: 'stages run side by side when their upstream stages allow it, each in its own process with cores / n threads (1: one after the other)' }]);
  run.action(async (opts) => {
    const { pipelineRunAction } = await import('../actions/pipeline.js');
    await pipelineRunAction(opts);
  });

  // one stage of a pipeline run, in a process of its own (pipeline run --jobs); it reports to its parent
  pipeline
    .command('stage', { hidden: true })
    .requiredOption('--config <file>', 'the run\'s pipeline.config.json')
    .requiredOption('--out <dir>', 'the run\'s folder')
    .requiredOption('--stage <name>', 'the stage')
    .action(async (opts) => {
      const { pipelineStageAction } = await import('../actions/pipeline.js');
      await pipelineStageAction(opts);
    });
}

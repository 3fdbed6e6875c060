// The trainer's flags every training command shares (teacher cpt|sft, student pretrain|train, distill): added to a
// command from the option table with the library's defaults, and turned back into the trainer's settings.
import type { Command } from 'commander';
import { TRAIN_DEFAULTS } from '../train/defaults.js';
import type { TrainConfig } from '../train/trainer.js';
import { addLaunchOptions } from './launch.js';
import { addOptions } from './options.js';

export interface TrainerFlags {
  gradAccum: number;
  weightDecay: number;
  maxGradNorm: number;
  bf16?: boolean;
  skipNonFinite?: boolean;
  checkpointEvery: number;
  logEvery: number;
  fresh?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/**
 * Adds the trainer's flags and the launcher's (`--nproc` ...; not with `launch: false`, for a command that runs more
 * than training); `maxGradNorm` is the command's default (null: none).
 */
export function addTrainerOptions(cmd: Command, maxGradNorm: number | null = TRAIN_DEFAULTS.maxGradNorm, opts: { launch?: boolean } = {}): void {
  addOptions(
    cmd,
    ['gradAccum', TRAIN_DEFAULTS.gradAccum],
    ['weightDecay', TRAIN_DEFAULTS.weightDecay],
    ['maxGradNorm', maxGradNorm ?? 0],
    ['bf16'],
    ['skipNonFinite'],
    ['checkpointEvery', TRAIN_DEFAULTS.checkpointEvery],
    ['logEvery', TRAIN_DEFAULTS.logEvery],
    ['fresh'],
    ['force', undefined, { help: 'replace a finished run made with other settings (only a disranker run folder)' }],
    ['quiet'],
  );
  if (opts.launch !== false) addLaunchOptions(cmd);
}

/** The trainer settings the flags give. */
export function trainerConfig(o: TrainerFlags): Partial<TrainConfig> {
  return {
    gradAccum: o.gradAccum,
    weightDecay: o.weightDecay,
    maxGradNorm: o.maxGradNorm > 0 ? o.maxGradNorm : null,
    bf16: Boolean(o.bf16),
    nonFinite: o.skipNonFinite ? 'skip' : 'stop',
    checkpointEvery: o.checkpointEvery,
    logEvery: o.logEvery,
  };
}

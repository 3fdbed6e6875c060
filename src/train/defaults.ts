// The training defaults, written once: the trainer, the optimizer and the CLI's --help all read these.
import type { ScheduleKind } from './schedule.js';

export const TRAIN_DEFAULTS = {
  /** peak learning rate */
  lr: 1e-4,
  /** AdamW's decoupled weight decay (not applied to biases and norm weights) */
  weightDecay: 0.01,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  schedule: 'cosine' as ScheduleKind,
  /** linear warmup steps; null: 10% of the steps, at most 30 */
  warmupSteps: null as number | null,
  /** the schedule decays to this fraction of the peak lr */
  minLrFactor: 0.1,
  /** micro-batches per optimizer step */
  gradAccum: 1,
  /** clip the global gradient L2 norm to this (null: no clipping) */
  maxGradNorm: 1.0 as number | null,
  bf16: false,
  /** a step with a NaN/inf loss or gradient stops training ('stop') or is skipped ('skip') */
  nonFinite: 'stop' as 'stop' | 'skip',
  /** a metrics line every n steps */
  logEvery: 10,
  /** a checkpoint every n steps (and at the end) */
  checkpointEvery: 100,
  /** evaluate every n steps when the task can (0: only at the end) */
  evalEvery: 0,
};

/** The default warmup for a number of steps: 10% of them, at most 30. */
export function defaultWarmup(steps: number): number {
  return Math.min(30, Math.round(steps / 10));
}

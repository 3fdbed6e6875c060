// Learning-rate schedules as pure functions of the step: lrFactor(step) multiplies the base lr.
// Linear warmup from 0 to 1 over `warmupSteps`, then linear or cosine decay to `minFactor` at `totalSteps`
// (the shapes of HF's get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup).

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface Schedule {
  kind: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
  /** the factor reached at the end of decay (default 0) */
  minFactor?: number;
}

export function lrFactor(s: Schedule, step: number): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return step / s.warmupSteps;
  if (s.kind === 'constant') return 1;
  const min = s.minFactor ?? 0;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  const decay = s.kind === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return min + (1 - min) * decay;
}

// The training loop every stage uses (CPT, ranking SFT, student pre-training, distillation). It reads top to
// bottom as a list of steps, like nanoGPT's train.py:
//
//   for each optimizer step s (from the checkpoint's step on a resume):
//     reseed torch and the data sampler from (seed, s)          → resuming sees the same data and dropout
//     lr ← base lr × schedule(s)
//     for each of the `gradAccum` micro-batches: loss/gradAccum backward (under bf16 autocast if asked)
//     clip the global gradient norm (it is measured even without clipping)
//     a NaN/inf loss or gradient: stop with an error, or skip the step (`nonFinite: 'skip'`)
//     AdamW step, zero the gradients
//     every `logEvery` steps: a JSONL metrics line (step, loss, lr, grad norm, examples/s, tokens/s)
//     every `evalEvery` steps and at the end: evaluate, keep the best weights (best/model.safetensors)
//     every `checkpointEvery` steps and at the end: an atomic checkpoint (src/train/checkpoint.ts)
//
// Resuming is bit-exact on the same machine and libtorch: the checkpoint holds the weights, AdamW's state, the
// step (which fixes the data position and the RNG streams) and the loss history; the metrics log is cut back to
// the checkpoint's step. A checkpoint made with other settings, or a corrupt one, is refused (see checkpoint.ts).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { autocast, clipGradNorm, loadSafetensors, manualSeed, saveSafetensors, tensor, tidy, type Module, type ProcessGroup, type Tensor } from '../engine/index.js';
import { DisrankerError } from '../util/errors.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { hashString, splitmix32 } from '../util/random.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { assertSameConfig, findCheckpoint, MODEL_FILE, OPTIMIZER_FILE, readCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { defaultWarmup, TRAIN_DEFAULTS } from './defaults.js';
import { worldGroup } from './distributed.js';
import { AdamW } from './optimizer.js';
import { lrFactor, type Schedule, type ScheduleKind } from './schedule.js';

export interface TrainConfig {
  steps: number;
  lr: number;
  weightDecay: number;
  schedule: ScheduleKind;
  /** null: defaultWarmup(steps) */
  warmupSteps: number | null;
  minLrFactor: number;
  gradAccum: number;
  maxGradNorm: number | null;
  bf16: boolean;
  nonFinite: 'stop' | 'skip';
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  evalEvery: number;
}

/** A config with the defaults of src/train/defaults.ts filled in. */
export function trainConfig(partial: Partial<TrainConfig> & { steps: number; seed: number }): TrainConfig {
  const { betas: _b, eps: _e, ...defaults } = TRAIN_DEFAULTS;
  return { ...defaults, ...partial };
}

/** What one micro-batch's loss counted, for the throughput columns of the metrics log. */
export interface LossResult {
  loss: Tensor;
  /** examples in the micro-batch */
  examples: number;
  /** tokens in the micro-batch (0 if not meaningful) */
  tokens?: number;
}

/** What the trainer trains: a model, its batches and its loss. */
export interface TrainTask<B> {
  model: Module;
  /** The micro-batch `micro` of optimizer step `step`: a pure function of (step, micro, seed), so a resume sees the same data. */
  batch(step: number, micro: number): B;
  /** The mean loss on one micro-batch (a scalar tensor) and what it counted. Called inside a tidy scope. */
  loss(batch: B): LossResult;
  /** Evaluation on held-out data (model in eval mode, no grad); higher `metric` is better unless `minimize`. */
  evaluate?: (step: number) => Promise<Record<string, number>> | Record<string, number>;
  /** the metric keep-best compares */
  metric?: string;
  minimize?: boolean;
}

export interface TrainOptions {
  /** the run folder: checkpoint/, metrics.jsonl, best/ */
  dir: string;
  config: TrainConfig;
  /** Everything else that decides the result, compared on resume: model config, data path and fingerprint, task options. */
  identity: Record<string, unknown>;
  /** discard an existing checkpoint instead of resuming */
  fresh?: boolean;
  reporter?: Reporter;
  /** the name shown on the progress bar */
  name?: string;
  /**
   * Data-parallel training over this group (default: the group of torchrun's variables, see distributed.ts; null:
   * train alone). Rank r trains the micro-batches `micro × worldSize + r`, gradients are averaged before the step,
   * and only rank 0 writes the run folder.
   */
  distributed?: ProcessGroup | null;
}

export interface TrainResult {
  steps: number;
  /** the step a resumed run started from (0 for a fresh run) */
  resumedFrom: number;
  losses: number[];
  skipped: number[];
  evals: { step: number; metrics: Record<string, number> }[];
  best: CheckpointState['best'];
  /** best/model.safetensors when evaluation kept a best model */
  bestWeights: string | null;
  metricsFile: string;
  seconds: number;
  /** data-parallel runs: the world size and the milliseconds spent averaging gradients (all steps) */
  distributed?: { worldSize: number; rank: number; allReduceMs: number };
}

export const CHECKPOINT_DIR = 'checkpoint';
export const METRICS_FILE = 'metrics.jsonl';
export const BEST_DIR = 'best';

/** The seed of step `step`'s random streams: independent of every other step's. */
export function stepSeed(seed: number, step: number): number {
  return splitmix32((seed >>> 0) ^ hashString(`step-${step}`));
}

/** The fields of the config that change the result (log and checkpoint cadence do not). */
export function resultConfig(c: TrainConfig): Record<string, unknown> {
  const { logEvery: _l, checkpointEvery: _c, ...rest } = c;
  return rest;
}

export async function train<B>(task: TrainTask<B>, opts: TrainOptions): Promise<TrainResult> {
  const c = opts.config;
  const group = opts.distributed === undefined ? worldGroup() : opts.distributed;
  const rank = group?.rank ?? 0;
  const world = group?.worldSize ?? 1;
  const main = rank === 0; // only rank 0 writes the run folder, the metrics and the progress bar
  const reporter = main ? (opts.reporter ?? silentReporter) : silentReporter;
  const { model } = task;
  const ckptDir = join(opts.dir, CHECKPOINT_DIR);
  const metricsFile = join(opts.dir, METRICS_FILE);
  const bestFile = join(opts.dir, BEST_DIR, MODEL_FILE);
  // A checkpoint resumes with the same world size only (the data each rank saw depends on it).
  const runConfig = { train: resultConfig(c), ...opts.identity, ...(world > 1 ? { distributed: { world_size: world } } : {}) };
  if (main) mkdirSync(opts.dir, { recursive: true });
  let allReduceMs = 0;

  const params = model.parameters().filter((p) => p.requiresGrad);
  const opt = AdamW.forModule(model, { lr: c.lr, weightDecay: c.weightDecay });
  const schedule: Schedule = { kind: c.schedule, warmupSteps: c.warmupSteps ?? defaultWarmup(c.steps), totalSteps: c.steps, minFactor: c.minLrFactor };

  // Resume, or start afresh.
  let state: Omit<CheckpointState, 'files' | 'checksum' | 'format' | 'version'> = {
    step: 0,
    dataPosition: 0,
    rng: { seed: c.seed, scheme: 'per-step' },
    losses: [],
    skipped: [],
    best: null,
    evals: [],
    config: runConfig,
  };
  if (opts.fresh && main) {
    for (const d of [ckptDir, `${ckptDir}.old`, join(opts.dir, BEST_DIR)]) rmSync(d, { recursive: true, force: true });
    rmSync(metricsFile, { force: true });
  }
  group?.barrier(); // the other ranks look for the checkpoint after rank 0 cleared it
  const found = findCheckpoint(ckptDir);
  if (found) {
    const saved = readCheckpoint(found);
    assertSameConfig(found, saved.config, runConfig);
    tidy(() => model.loadStateDict(loadSafetensors(join(found, MODEL_FILE)), { source: found }));
    opt.loadState(join(found, OPTIMIZER_FILE));
    state = { step: saved.step, dataPosition: saved.dataPosition, rng: saved.rng, losses: saved.losses, skipped: saved.skipped, best: saved.best, evals: saved.evals, config: saved.config };
    if (main) truncateMetrics(metricsFile, state.step);
    reporter.info(`resuming ${opts.name ?? 'training'} from the checkpoint at step ${state.step} (${found})`);
  } else if (main) {
    rmSync(metricsFile, { force: true });
  }
  const resumedFrom = state.step;
  if (group) {
    // Every rank must resume from the same step (the run folder is shared), then starts from rank 0's weights.
    const steps = group.allGather(tensor([state.step]));
    const seen = steps.map((t) => t.item());
    steps.forEach((t) => t.dispose());
    if (seen.some((s) => s !== seen[0])) {
      throw new DisrankerError(
        'DR_ERR_CHECKPOINT',
        `the ranks see different checkpoints in ${ckptDir} (steps ${seen.join(', ')} for ranks 0…${world - 1}); every rank must see the same run folder (a shared filesystem across machines)`,
      );
    }
    tidy(() => group.broadcast([...model.stateDict().values()], 0));
    if (main) reporter.info(`data-parallel ${opts.name ?? 'training'} on ${world} processes (Gloo): ${c.gradAccum} micro-batch(es) per process and step`);
  }

  const checkpoint = () =>
    saveCheckpoint(ckptDir, state, (tmp) => {
      saveSafetensors(join(tmp, MODEL_FILE), model.stateDict(), { format: 'pt' });
      opt.saveState(join(tmp, OPTIMIZER_FILE));
      return [MODEL_FILE, OPTIMIZER_FILE];
    });

  const evaluate = async () => {
    if (!task.evaluate) return;
    model.eval();
    const metrics = await task.evaluate(state.step);
    model.train();
    state.evals.push({ step: state.step, metrics });
    appendFileSync(metricsFile, JSON.stringify({ step: state.step, eval: metrics }) + '\n');
    const name = task.metric ?? Object.keys(metrics)[0];
    const value = metrics[name];
    const better = state.best === null || (task.minimize ? value < state.best.value : value > state.best.value);
    if (Number.isFinite(value) && better) {
      state.best = { step: state.step, metric: name, value, metrics };
      mkdirSync(join(opts.dir, BEST_DIR), { recursive: true });
      saveSafetensors(bestFile, model.stateDict(), { format: 'pt', step: String(state.step) });
    }
  };

  const t0 = performance.now();
  const bar = reporter.progress(opts.name ?? 'training', c.steps, state.step);
  model.train();
  let window = { loss: 0, steps: 0, examples: 0, tokens: 0, t: performance.now() };
  try {
    while (state.step < c.steps) {
      const step = state.step;
      // dropout and other draws differ between ranks; rank 0 keeps the single-process stream
      manualSeed(rank === 0 ? stepSeed(c.seed, step) : splitmix32(stepSeed(c.seed, step) ^ hashString(`rank-${rank}`)));
      opt.setLrFactor(lrFactor(schedule, step));

      // forward and backward over the micro-batches
      let loss = 0;
      let examples = 0;
      let tokens = 0;
      for (let micro = 0; micro < c.gradAccum; micro++) {
        const batch = task.batch(step, micro * world + rank); // rank r's share of the global micro-batches
        loss += tidy(() => {
          const r = c.bf16 ? autocast(() => task.loss(batch)) : task.loss(batch);
          const l = r.loss.float();
          l.div(c.gradAccum).backward();
          examples += r.examples;
          tokens += r.tokens ?? 0;
          return l.item();
        });
      }
      loss /= c.gradAccum;
      if (group) {
        // the mean loss over all ranks (NaN anywhere is NaN everywhere), the examples and tokens of the global batch
        const sums = tensor([loss, examples, tokens], { dtype: 'float64' });
        group.allReduce([sums], 'sum');
        [loss, examples, tokens] = sums.toArray() as number[];
        sums.dispose();
        loss /= world;
        allReduceMs += group.averageGradients(params);
      }
      const gradNorm = clipGradNorm(params, c.maxGradNorm ?? Infinity);

      // a NaN/inf loss or gradient never reaches the weights
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        opt.zeroGrad();
        const what = !Number.isFinite(loss) ? `the loss is ${loss}` : `the gradient norm is ${gradNorm}`;
        if (c.nonFinite === 'stop') {
          const kept = !main ? 'rank 0 keeps the last good checkpoint' : findCheckpoint(ckptDir) ? `the last good checkpoint (step ${readCheckpoint(findCheckpoint(ckptDir)!).step}) in ${ckptDir} is kept` : 'no checkpoint was written';
          throw new DisrankerError(
            'DR_ERR_NONFINITE',
            `step ${step + 1}: ${what}; training stopped and ${kept}. Lower --lr, clip gradients (--max-grad-norm), use fp32, or pass --skip-nonfinite to skip such steps.`,
          );
        }
        state.skipped.push(step);
        reporter.warn(`step ${step + 1}: ${what}; the step is skipped (--skip-nonfinite)`);
      } else {
        opt.step();
        opt.zeroGrad();
      }
      state.losses.push(Number.isFinite(loss) ? loss : NaN);
      state.step++;
      state.dataPosition += c.gradAccum;

      // log, evaluate, checkpoint
      if (Number.isFinite(loss)) {
        window.loss += loss;
        window.steps++;
      }
      window.examples += examples;
      window.tokens += tokens;
      if (state.step % c.logEvery === 0 || state.step === c.steps) {
        const dt = (performance.now() - window.t) / 1000;
        const line = {
          step: state.step,
          loss: window.steps ? window.loss / window.steps : null,
          lr: c.lr * lrFactor(schedule, step),
          grad_norm: gradNorm,
          examples_per_s: window.examples / dt,
          tokens_per_s: window.tokens / dt,
        };
        if (main) appendFileSync(metricsFile, JSON.stringify(group ? { ...line, allreduce_ms_total: allReduceMs } : line) + '\n');
        window = { loss: 0, steps: 0, examples: 0, tokens: 0, t: performance.now() };
      }
      if (main && ((c.evalEvery > 0 && state.step % c.evalEvery === 0) || state.step === c.steps)) await evaluate();
      if (main && (state.step % c.checkpointEvery === 0 || state.step === c.steps)) checkpoint();
      bar.update(state.step, { loss: Number.isFinite(loss) ? loss.toFixed(4) : String(loss) });
    }
  } finally {
    bar.stop();
    opt.dispose();
  }
  model.eval();
  return {
    steps: state.step,
    resumedFrom,
    losses: state.losses,
    skipped: state.skipped,
    evals: state.evals,
    best: state.best,
    bestWeights: state.best && existsSync(bestFile) ? bestFile : null,
    metricsFile,
    seconds: (performance.now() - t0) / 1000,
    ...(group ? { distributed: { worldSize: world, rank, allReduceMs } } : {}),
  };
}

/** Keeps the metrics lines up to `step` (a resumed run rewrites what came after its checkpoint). */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as { step: number }).step <= step;
      } catch {
        return false; // a line cut by the kill
      }
    });
  writeFileAtomicSync(file, kept.map((l) => l + '\n').join(''));
}

/** Mean of the first and last `n` values of a loss history (what model cards report). */
export function lossSummary(losses: number[], n = 10): { first: number; last: number } {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const finite = losses.filter(Number.isFinite);
  return { first: mean(finite.slice(0, n)), last: mean(finite.slice(-n)) };
}

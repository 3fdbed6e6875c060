// A stage's output folder carries a marker, run.json: which stage made it, with which configuration, and whether it
// finished (with its result). A rerun with the same configuration returns the finished result without working;
// a rerun with other settings is refused (naming each differing field) unless --force, which replaces only a
// folder that has this marker: disranker never deletes what it did not make.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DisrankerError } from '../util/errors.js';
import { assertSafeOutput, STAGE_MARKER, writeFileAtomicSync } from '../util/fs.js';
import { configDifferences } from '../train/checkpoint.js';
import { isMainRank } from '../train/distributed.js';
import { CHECKPOINT_DIR, lossSummary, type TrainResult } from '../train/trainer.js';

export const RUN_MARKER = STAGE_MARKER;
export const RUN_FORMAT = 'disranker.run';

export interface RunMarker<R = unknown> {
  format: typeof RUN_FORMAT;
  stage: string;
  config: Record<string, unknown>;
  finished: boolean;
  result?: R;
}

export function readRunMarker<R>(dir: string): RunMarker<R> | null {
  const f = join(dir, RUN_MARKER);
  if (!existsSync(f)) return null;
  let m: RunMarker<R>;
  try {
    m = JSON.parse(readFileSync(f, 'utf8')) as RunMarker<R>;
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${f}: not a readable run marker (${(err as Error).message}); remove ${dir} or choose another --out`);
  }
  if (m?.format !== RUN_FORMAT) throw new DisrankerError('DR_ERR_FILE', `${f}: not a disranker run marker; remove ${dir} or choose another --out`);
  return m;
}

/**
 * Opens `dir` for `stage` with `config`. Returns the finished result when the same configuration already ran
 * to the end; otherwise marks the folder as this stage's unfinished run (an unfinished run resumes).
 */
export function beginRun<R>(dir: string, stage: string, config: Record<string, unknown>, opts: { force?: boolean; inputs?: string[] } = {}): { done: R | null } {
  // In a data-parallel run only rank 0 claims and writes the folder; the others (after it, see mainFirst) only read.
  if (!isMainRank()) {
    const m = readRunMarker<R>(dir);
    return { done: m && m.stage === stage && m.finished && configDifferences(m.config, config).length === 0 ? ((m.result ?? null) as R | null) : null };
  }
  // never the working directory, home, /, an input or a folder above one; an existing non-empty folder only if
  // disranker made it
  assertSafeOutput(dir, { force: true, inputs: opts.inputs });
  if (existsSync(dir)) {
    if (!isFolder(dir)) throw new DisrankerError('DR_ERR_USAGE', `${dir} exists and is a file, not a folder; choose another --out`);
    const marker = readRunMarker<R>(dir);
    if (!marker) {
      if (readdirSync(dir).length > 0) {
        throw new DisrankerError('DR_ERR_USAGE', `${dir} exists, is not empty and was not made by disranker (no ${RUN_MARKER}); choose another --out`);
      }
    } else if (marker.stage !== stage) {
      throw new DisrankerError('DR_ERR_USAGE', `${dir} holds a disranker ${marker.stage} run, not a ${stage} run; choose another --out`);
    } else {
      const diff = configDifferences(marker.config, config);
      if (diff.length === 0 && marker.finished) return { done: (marker.result ?? null) as R | null };
      if (diff.length > 0 && !opts.force) {
        throw new DisrankerError(
          'DR_ERR_USAGE',
          `${dir} holds a${marker.finished ? ' finished' : 'n unfinished'} ${stage} run made with other settings:\n  ${diff.join('\n  ')}\n` +
            `Pass --force to replace it, or choose another --out.`,
        );
      }
      if (diff.length > 0) rmSync(dir, { recursive: true, force: true }); // --force, and the folder is ours
    }
  }
  mkdirSync(dir, { recursive: true });
  writeMarker(dir, { format: RUN_FORMAT, stage, config, finished: false });
  return { done: null };
}

/** Marks the run finished with its result. */
export function finishRun<R>(dir: string, stage: string, config: Record<string, unknown>, result: R): void {
  if (!isMainRank()) return;
  writeMarker(dir, { format: RUN_FORMAT, stage, config, finished: true, result });
}

function writeMarker(dir: string, m: RunMarker): void {
  writeFileAtomicSync(join(dir, RUN_MARKER), JSON.stringify(m, null, 2) + '\n');
}

function isFolder(p: string): boolean {
  try {
    return readdirSync(resolve(p)) !== undefined;
  } catch {
    return false;
  }
}

/** What every ranker-training stage returns: its model, steps, losses and dev evaluations. */
export interface RankerTrainResult {
  modelDir: string;
  steps: number;
  resumedFrom: number;
  loss: { first10: number; last10: number };
  dev: { step: number; metrics: Record<string, number> }[];
  best: { step: number; ndcg_cut_10: number; pnr: number } | null;
  metricsFile: string;
  seconds: number;
  cached?: boolean;
}

/** The stage's result from the trainer's (keep-best on dev nDCG@10 and PNR). */
export function rankerResult(modelDir: string, r: TrainResult): RankerTrainResult {
  const loss = lossSummary(r.losses);
  return {
    modelDir,
    steps: r.steps,
    resumedFrom: r.resumedFrom,
    loss: { first10: loss.first, last10: loss.last },
    dev: r.evals,
    best: r.best ? { step: r.best.step, ndcg_cut_10: r.best.metrics.ndcg_cut_10, pnr: r.best.metrics.pnr } : null,
    metricsFile: r.metricsFile,
    seconds: r.seconds,
  };
}

/** Marks the stage finished with its result; its checkpoint goes (the model folder holds the result). */
export function finishTrainingRun<R>(dir: string, stage: string, config: Record<string, unknown>, result: R): R {
  finishRun(dir, stage, config, result);
  if (isMainRank()) rmSync(join(dir, CHECKPOINT_DIR), { recursive: true, force: true });
  return result;
}

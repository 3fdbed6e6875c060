// One checkpoint format for every training stage: a folder
//
//   checkpoint/
//     model.safetensors       the weights (the module's state dict, fp32)
//     optimizer.safetensors   AdamW's state (step, exp_avg, exp_avg_sq per parameter)
//     state.json              the step, the data position, the RNG scheme, the loss history, keep-best state,
//                             the run's full configuration, and a SHA-256 of each file above and of itself
//
// Writing is atomic: the new folder is written beside the old one (`checkpoint.tmp-PID`) and swapped in with two
// renames, so a crash at any point leaves one complete checkpoint (the new one, or the previous as `.old`).
// Loading verifies every checksum first: a truncated file, or one overwritten in place at the same size, is refused
// with an error that names it, before any weight is used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DisrankerError } from '../util/errors.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { canonicalJson } from '../util/json.js';

export { canonicalJson };

export const CHECKPOINT_FORMAT = 'disranker.checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';

/** What state.json holds (the weights and optimizer state are beside it). */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** optimizer steps done */
  step: number;
  /** micro-batches consumed: the data position (step × gradient accumulation) */
  dataPosition: number;
  /** how random numbers are drawn: every step reseeds torch and the data sampler from (seed, step) */
  rng: { seed: number; scheme: 'per-step' };
  /** the loss of every step done, in order (NaN never: such a step stops training or is skipped) */
  losses: number[];
  /** steps skipped for a non-finite loss or gradient (with --skip-nonfinite) */
  skipped: number[];
  /** keep-best: the best evaluation so far */
  best: { step: number; metric: string; value: number; metrics: Record<string, number> } | null;
  /** every evaluation so far */
  evals: { step: number; metrics: Record<string, number> }[];
  /** the run's configuration: what would change the result (hyperparameters, model config, data and its fingerprint) */
  config: Record<string, unknown>;
  /** SHA-256 (hex) of each weight file */
  files: Record<string, string>;
  /** SHA-256 (hex) of this JSON without this field */
  checksum?: string;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function stateChecksum(s: CheckpointState): string {
  const { checksum: _omit, ...rest } = s;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * Writes a checkpoint folder atomically. `write(tmpDir)` saves the weight files into the temp folder; their
 * checksums are taken here, then state.json is written and the folder swapped in.
 */
export function saveCheckpoint(dir: string, state: Omit<CheckpointState, 'files' | 'checksum' | 'format' | 'version'>, write: (tmpDir: string) => string[]): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const names = write(tmp);
    const files: Record<string, string> = {};
    for (const n of names) files[n] = sha256File(join(tmp, n));
    const full: CheckpointState = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...state, files };
    full.checksum = stateChecksum(full);
    writeFileAtomicSync(join(tmp, STATE_FILE), JSON.stringify(full));
    rmSync(old, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The checkpoint folder to resume from: `dir`, or `dir.old` after a crash between the two renames; null if none. */
export function findCheckpoint(dir: string): string | null {
  if (existsSync(join(dir, STATE_FILE))) return dir;
  const old = `${dir}.old`;
  if (existsSync(join(old, STATE_FILE))) return old;
  return null;
}

/** Reads and verifies a checkpoint's state: its own checksum and every weight file's. Throws naming the bad file. */
export function readCheckpoint(dir: string): CheckpointState {
  const file = join(dir, STATE_FILE);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as CheckpointState;
  } catch (err) {
    throw new DisrankerError('DR_ERR_CHECKPOINT', `${file}: not a readable checkpoint state (${(err as Error).message}); ${FRESH_HINT}`);
  }
  if (!state || state.format !== CHECKPOINT_FORMAT) throw new DisrankerError('DR_ERR_CHECKPOINT', `${file}: not a disranker checkpoint (format "${state?.format}"); ${FRESH_HINT}`);
  if (state.version !== CHECKPOINT_VERSION) throw new DisrankerError('DR_ERR_CHECKPOINT', `${file}: checkpoint version ${state.version}, this disranker reads version ${CHECKPOINT_VERSION}; ${FRESH_HINT}`);
  if (state.checksum !== stateChecksum(state)) throw new DisrankerError('DR_ERR_CHECKPOINT', `${file}: checksum mismatch: the file was modified or corrupted; ${FRESH_HINT}`);
  for (const [name, sum] of Object.entries(state.files)) {
    const f = join(dir, name);
    if (!existsSync(f)) throw new DisrankerError('DR_ERR_CHECKPOINT', `${f}: missing from the checkpoint; ${FRESH_HINT}`);
    if (sha256File(f) !== sum) throw new DisrankerError('DR_ERR_CHECKPOINT', `${f}: checksum mismatch: the file was truncated, modified or corrupted after it was written; ${FRESH_HINT}`);
  }
  return state;
}

export const FRESH_HINT = 'start afresh with --fresh (the checkpoint is discarded) or write to another --out';

/** Flattens nested config objects to dotted keys: {a: {b: 1}} → {"a.b": 1}. */
export function flattenConfig(v: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x && typeof x === 'object' && !Array.isArray(x)) Object.assign(out, flattenConfig(x as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = x;
  }
  return out;
}

/** The fields whose values differ between two configurations, as `field: old → new`. */
export function configDifferences(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const a = flattenConfig(saved);
  const b = flattenConfig(now);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const show = (x: unknown) => (x === undefined ? '(unset)' : JSON.stringify(x));
  return keys.filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).map((k) => `${k}: ${show(a[k])} → ${show(b[k])}`);
}

/** Refuses to resume when the configuration changed; the message names each differing field. */
export function assertSameConfig(dir: string, saved: Record<string, unknown>, now: Record<string, unknown>): void {
  const diff = configDifferences(saved, now);
  if (diff.length > 0) {
    throw new DisrankerError(
      'DR_ERR_CHECKPOINT',
      `cannot resume from ${dir} (${basename(dir)}): it was made with other settings, and resuming would change the result:\n  ${diff.join('\n  ')}\n` +
        `Resume with the checkpoint's settings, or ${FRESH_HINT}.`,
    );
  }
}

// Parsing of numeric command-line options and environment variables, with errors that name the flag or variable.
import { DisrankerError } from './errors.js';
import { checkSeed, MAX_SEED } from './random.js';

const usage = (msg: string): never => {
  throw new DisrankerError('DR_ERR_USAGE', msg);
};

/** A decimal integer (`12`, `-3`, `+4`), or NaN: no empty text (which Number() reads as 0), no `1e3`, `0x10`, `1.0`. */
function integerValue(value: string | number): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  const t = value.trim();
  return /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
}

/** An integer flag value ≥ min. */
export function intFlag(flag: string, value: string, min = 0): number {
  const n = integerValue(value);
  if (!Number.isSafeInteger(n) || n < min) usage(`${flag}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** An integer flag (or environment variable) value in [min, max]; the error names `flag` and the range. */
export function boundedIntFlag(flag: string, value: string | number, min: number, max: number): number {
  const n = integerValue(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) usage(`${flag}: expected an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

/** A finite number flag value > 0. */
export function positiveFlag(flag: string, value: string): number {
  const n = typeof value === 'string' && value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`${flag}: expected a positive number, got "${value}"`);
  return n;
}

/** A seed: an integer in 0 … 2^32 − 1 (the PRNGs keep 32 bits; a larger seed would alias a smaller one). */
export function validateSeed(flag: string, value: string | number): number {
  const n = boundedIntFlag(flag, value, 0, MAX_SEED);
  checkSeed(flag, n);
  return n;
}

/** The most threads `--threads`, DISRANKER_THREADS and OPENBLAS_NUM_THREADS accept. */
export const MAX_THREADS = 1024;

/** A thread count (a flag or an environment variable): an integer in 1 … MAX_THREADS. */
export function parseThreads(name: string, value: string | number): number {
  return boundedIntFlag(name, value, 1, MAX_THREADS);
}

// The one parser of numeric and enumerated flags and environment variables (the CLI's option table, the bench
// scripts, the engine's thread settings): each validates the raw text and names the flag or variable in its error.
import { DisrankerError } from './errors.js';
import { checkSeed, MAX_SEED } from './random.js';

export type Parser<T> = (flag: string, raw: string) => T;

const usage = (msg: string): never => {
  throw new DisrankerError('DR_ERR_USAGE', msg);
};

/** A decimal integer (`12`, `-3`, `+4`), or NaN: no empty text (which Number() reads as 0), no `1e3`, `0x10`, `1.0`. */
function integerValue(value: string | number): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  const t = value.trim();
  return /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
}

/** An integer in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (flag, raw) => (max < Number.MAX_SAFE_INTEGER ? boundedIntFlag(flag, raw, min, max) : intFlag(flag, raw, min));
}

/** A finite number > 0. */
export const positive: Parser<number> = (flag, raw) => positiveFlag(flag, raw);

/** A finite number ≥ 0. */
export const nonNegative: Parser<number> = (flag, raw) => {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < 0) usage(`${flag}: expected a number ≥ 0, got "${raw}"`);
  return n;
};

/** A probability in (0, 1]. */
export const rate: Parser<number> = (flag, raw) => {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1) usage(`${flag}: expected a number in (0, 1], got "${raw}"`);
  return n;
};

/** A comma-separated list of `item`s (at least one), each checked by `item`; repeats are dropped. */
export function list<T>(item: Parser<T>): Parser<T[]> {
  return (flag, raw) => {
    const parts = raw.split(',').map((s) => s.trim());
    if (parts.some((s) => s === '')) usage(`${flag}: expected a comma-separated list without empty items, got "${raw}"`);
    return [...new Set(parts.map((s) => item(flag, s)))];
  };
}

/** One of `choices`. */
export function choice<T extends string>(choices: readonly T[]): Parser<T> {
  return (flag, raw) => {
    if (!choices.includes(raw as T)) usage(`${flag}: expected one of ${choices.join(', ')}, got "${raw}"`);
    return raw as T;
  };
}

/** A 32-bit unsigned seed: 0 … 2^32 − 1 (larger seeds would alias in the 32-bit generators). */
export const seed: Parser<number> = (flag, raw) => validateSeed(flag, raw);

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

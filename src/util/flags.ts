// The one parser of numeric and enumerated flags (the CLI's option table, the bench scripts): each validates the
// raw text and names the flag in its error.
import { DisrankerError } from './errors.js';

export type Parser<T> = (flag: string, raw: string) => T;


function usage(message: string): never {
  throw new DisrankerError('DR_ERR_USAGE', message);
}

/** An integer in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (flag, raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      usage(`${flag}: expected an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, got "${raw}"`);
    }
    return n;
  };
}

/** A finite number > 0. */
export const positive: Parser<number> = (flag, raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) usage(`${flag}: expected a positive number, got "${raw}"`);
  return n;
};

/** A finite number ≥ 0. */
export const nonNegative: Parser<number> = (flag, raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) usage(`${flag}: expected a number ≥ 0, got "${raw}"`);
  return n;
};

/** One of `choices`. */
export function choice<T extends string>(choices: readonly T[]): Parser<T> {
  return (flag, raw) => {
    if (!choices.includes(raw as T)) usage(`${flag}: expected one of ${choices.join(', ')}, got "${raw}"`);
    return raw as T;
  };
}

/** A 32-bit unsigned seed: 0 … 2^32 − 1 (larger seeds would alias in the 32-bit generators). */
export const seed: Parser<number> = int(0, 2 ** 32 - 1);

/** An integer flag value ≥ min. */
export function intFlag(flag: string, value: string, min = 0): number {
  return int(min)(flag, value);
}

/** A finite number flag value > 0. */
export function positiveFlag(flag: string, value: string): number {
  return positive(flag, value);
}

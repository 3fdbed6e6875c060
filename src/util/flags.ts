// Parsing of numeric command-line options, with errors that name the flag.
import { DisrankerError } from './errors.js';

/** An integer flag value ≥ min. */
export function intFlag(flag: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new DisrankerError('DR_ERR_USAGE', `${flag}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** A finite number flag value > 0. */
export function positiveFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new DisrankerError('DR_ERR_USAGE', `${flag}: expected a positive number, got "${value}"`);
  return n;
}

// mulberry32: a small seeded PRNG, uniform floats in [0, 1), the same sequence on every machine
// (32-bit integer arithmetic only). src/data/random.ts builds forkable streams on the same generator.
import { DisrankerError } from './errors.js';

/** Seeds are 32-bit: 0 … 2^32 − 1. */
export const MAX_SEED = 0xffff_ffff;

/** Throw unless `seed` is an integer in 0 … MAX_SEED (outside it, seeds would alias: `seed >>> 0`). */
export function checkSeed(what: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new DisrankerError('DR_ERR_USAGE', `${what}: a seed must be an integer between 0 and ${MAX_SEED}, got ${seed}`);
  }
}

export function mulberry32(seed: number): () => number {
  checkSeed('seed', seed);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

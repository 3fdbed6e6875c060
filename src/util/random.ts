// The one seeded PRNG of the project: mulberry32 (a 32-bit stream), splitmix32 seeding for independent named
// streams, and the sampling helpers the data, models and text code need. Same seed, same sequence, on every
// platform: everything here is 32-bit integer arithmetic.
import { DisrankerError } from './errors.js';

/** Seeds are 32-bit: 0 … 2^32 − 1. */
export const MAX_SEED = 0xffff_ffff;

/** Throw unless `seed` is an integer in 0 … MAX_SEED (outside it, seeds would alias: `seed >>> 0`). */
export function checkSeed(what: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new DisrankerError('DR_ERR_USAGE', `${what}: a seed must be an integer between 0 and ${MAX_SEED}, got ${seed}`);
  }
}

/** splitmix32: a good 32-bit hash of a 32-bit state; used to derive independent seeds. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a hash of a string, 32-bit. Used to give named sub-streams and stable per-id decisions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Random {
  private state: number;

  /** `seed`: an integer in 0 … 2^32 − 1 (anything else is an error rather than an alias of a smaller seed). */
  constructor(seed: number) {
    checkSeed('seed', seed);
    this.state = splitmix32(seed >>> 0);
  }

  /** A stream whose state is `seed` itself (no splitmix seeding): the plain mulberry32 sequence of that seed. */
  static raw(seed: number): Random {
    checkSeed('seed', seed);
    const r = new Random(0);
    r.state = seed | 0;
    return r;
  }

  /** An independent stream for a named purpose (`rng.fork('docs')`): adding draws to one stream never shifts another. */
  fork(name: string): Random {
    return new Random(splitmix32(this.state ^ hashString(name)));
  }

  /** mulberry32: uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    return mulberry32Output(this.state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal (Box-Muller; one value per call, the second one is dropped to keep the stream simple). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** `k` distinct items (fewer if there are fewer), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k >= items.length) return this.shuffle([...items]);
    const picked = new Set<number>();
    const out: T[] = [];
    while (out.length < k) {
      const i = this.int(items.length);
      if (!picked.has(i)) {
        picked.add(i);
        out.push(items[i]);
      }
    }
    return out;
  }
}

/**
 * Zipf-like sampler over ranks 0..n-1 with exponent s (P(i) ∝ 1/(i+1)^s), via a precomputed CDF and binary search.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;
  constructor(n: number, s: number) {
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += 1 / Math.pow(i + 1, s);
      this.cdf[i] = acc;
    }
    for (let i = 0; i < n; i++) this.cdf[i] /= acc;
  }
  draw(rng: Random): number {
    const r = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** The output function of mulberry32 for a state (the state advances by 0x6d2b79f5 per draw). */
function mulberry32Output(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** A bare mulberry32 stream seeded directly (no splitmix): uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const r = Random.raw(seed);
  return () => r.next();
}

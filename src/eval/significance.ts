// Paired significance tests on per-query differences d_i = run_i − baseline_i, and Holm's correction.
//
// - paired t-test: t = mean(d) / (sd(d) / √n), df = n − 1, two-sided p from Student's t.
// - paired randomization (permutation) test: each of R rounds flips the sign of every d_i with probability ½
//   (exchanging the two runs' values on that query); p = (1 + #{|Σ±d_i| ≥ |Σd_i|}) / (1 + R), two-sided.
//   Smucker, Allan & Carterette, "A comparison of statistical significance tests for IR evaluation", CIKM 2007.
// - bootstrap: B resamples of the n differences with replacement; the 95% CI is the 2.5th and 97.5th percentiles
//   of the resampled means (percentile method, linear interpolation between order statistics).
// - Holm (1979) step-down correction of a family of p-values.
// Both resampling tests take a seed and give the same answer every time for the same seed.
import { studentTTwoSided } from './stats.js';
import { Random } from '../util/random.js';
import { boundedIntFlag } from '../util/flags.js';
import { DEFAULT_BOOTSTRAP, DEFAULT_PERMUTATIONS, DEFAULT_SEED, MAX_BOOTSTRAP, MAX_PERMUTATIONS } from './defaults.js';

export { DEFAULT_BOOTSTRAP, DEFAULT_PERMUTATIONS, DEFAULT_SEED, MAX_BOOTSTRAP, MAX_PERMUTATIONS };

/** `--permutations` checked: an integer in 1 … MAX_PERMUTATIONS. */
export function checkPermutations(value: string | number): number {
  return boundedIntFlag('--permutations', value, 1, MAX_PERMUTATIONS);
}

/** `--bootstrap` checked: an integer in 1 … MAX_BOOTSTRAP. */
export function checkBootstrap(value: string | number): number {
  return boundedIntFlag('--bootstrap', value, 1, MAX_BOOTSTRAP);
}

export function meanOf(d: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s / d.length;
}

/** Two-sided p of the paired t-test on differences `d` (NaN when n < 2). */
export function pairedTTest(d: ArrayLike<number>): { t: number; df: number; p: number } {
  const n = d.length;
  if (n < 2) return { t: NaN, df: n - 1, p: NaN };
  const m = meanOf(d);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i] - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  // All differences equal: no variance. Identical runs are not different (p = 1); a constant shift is certain (p = 0).
  if (sd === 0 || sd <= 1e-14 * Math.abs(m)) return m === 0 ? { t: 0, df, p: 1 } : { t: Math.sign(m) * Infinity, df, p: 0 };
  const t = m / (sd / Math.sqrt(n));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** Two-sided p of the paired randomization test with `rounds` random sign flips (NaN when n = 0). */
export function permutationTest(d: ArrayLike<number>, rounds = DEFAULT_PERMUTATIONS, seed = DEFAULT_SEED): number {
  checkPermutations(rounds);
  const n = d.length;
  if (n === 0) return NaN;
  let observed = 0;
  for (let i = 0; i < n; i++) observed += d[i];
  observed = Math.abs(observed);
  // Sums equal to the observed one up to rounding count as "at least as extreme".
  let scale = 0;
  for (let i = 0; i < n; i++) scale += Math.abs(d[i]);
  const threshold = observed - 1e-12 * scale;
  const rng = Random.raw(seed);
  let extreme = 0;
  for (let r = 0; r < rounds; r++) {
    let s = 0;
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if ((i & 31) === 0) bits = rng.nextU32();
      s += bits & 1 ? -d[i] : d[i];
      bits >>>= 1;
    }
    if (Math.abs(s) >= threshold) extreme++;
  }
  return (1 + extreme) / (1 + rounds);
}

/** Percentile bootstrap confidence interval of mean(d) (default 95%). [NaN, NaN] when n = 0. */
export function bootstrapCI(
  d: ArrayLike<number>,
  resamples = DEFAULT_BOOTSTRAP,
  seed = DEFAULT_SEED,
  level = 0.95,
): [number, number] {
  checkBootstrap(resamples);
  const n = d.length;
  if (n === 0) return [NaN, NaN];
  const rng = Random.raw(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rng.next() * n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return [quantile(means, alpha), quantile(means, 1 - alpha)];
}

/** Quantile of sorted values, linear interpolation between order statistics (R's type 7). */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Holm's step-down adjusted p-values (same order as the input; NaN stays NaN and is not counted). */
export function holm(ps: number[]): number[] {
  const idx = ps.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  idx.sort((a, b) => a[0] - b[0]);
  const m = idx.length;
  const out = ps.map(() => NaN);
  let running = 0;
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

export interface PairedComparison {
  /** Queries compared (both runs have a value). */
  n: number;
  /** mean(run − baseline) over those queries. */
  delta: number;
  pTTest: number;
  pPermutation: number;
  ci95: [number, number];
}

export interface CompareOptions {
  seed?: number;
  permutations?: number;
  bootstrap?: number;
}

/**
 * Compare two runs' per-query values of one metric over the queries both have a (non-NaN) value for.
 * `base`/`other`: qid -> value.
 */
export function comparePaired(
  base: Map<string, number>,
  other: Map<string, number>,
  opts: CompareOptions = {},
): PairedComparison {
  const d: number[] = [];
  for (const [qid, b] of base) {
    const o = other.get(qid);
    if (o === undefined || Number.isNaN(o) || Number.isNaN(b)) continue;
    d.push(o - b);
  }
  return {
    n: d.length,
    delta: d.length ? meanOf(d) : NaN,
    pTTest: pairedTTest(d).p,
    pPermutation: permutationTest(d, opts.permutations ?? DEFAULT_PERMUTATIONS, opts.seed ?? DEFAULT_SEED),
    ci95: bootstrapCI(d, opts.bootstrap ?? DEFAULT_BOOTSTRAP, opts.seed ?? DEFAULT_SEED),
  };
}

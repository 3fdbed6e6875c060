// Significance tests: Student's t against known values, determinism of the resampling tests, Holm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logGamma, regularizedIncompleteBeta, studentTTwoSided } from '../../src/eval/stats.js';
import { Random } from '../../src/util/random.js';
import { bootstrapCI, comparePaired, holm, pairedTTest, permutationTest } from '../../src/eval/significance.js';

const close = (actual: number, expected: number, eps: number) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected} ± ${eps}, got ${actual}`);

// Student's sleep data (Cushny & Peebles 1905), the paired differences of R's `t.test(extra ~ group, data = sleep,
// paired = TRUE)`, which prints t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58.
const SLEEP = [1.2, 2.4, 1.3, 1.3, 0, 1.0, 1.8, 0.8, 4.6, 1.4];

test('log-gamma and the regularized incomplete beta function match closed forms', () => {
  close(logGamma(5), Math.log(24), 1e-13);
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
  close(logGamma(30), Math.log(8841761993739701954543616000000), 1e-12); // ln 29!
  close(logGamma(0.1), 2.2527126517342055, 1e-12); // reflection branch
  // I_x(2, 3) = P(Binomial(4, x) ≥ 2)
  close(regularizedIncompleteBeta(0.3, 2, 3), 1 - (0.7 ** 4 + 4 * 0.3 * 0.7 ** 3), 1e-13);
  // I_x(a, 1) = x^a
  close(regularizedIncompleteBeta(0.42, 3.5, 1), 0.42 ** 3.5, 1e-13);
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
});

test("two-sided p of Student's t matches closed forms and tables", () => {
  for (const t of [0.1, 1, 3, 12.7]) {
    close(studentTTwoSided(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-12); // Cauchy
    close(studentTTwoSided(t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-12);
  }
  close(studentTTwoSided(2.228139, 10), 0.05, 1e-6); // t table: t_{0.975, 10}
  close(studentTTwoSided(2.021075, 40), 0.05, 1e-6); // t_{0.975, 40}
  close(studentTTwoSided(2.704459, 40), 0.01, 1e-6); // t_{0.995, 40}
  assert.equal(studentTTwoSided(0, 5), 1);
});

test('paired t-test reproduces R on the sleep data', () => {
  const r = pairedTTest(SLEEP);
  close(r.t, 4.0621, 1e-4);
  assert.equal(r.df, 9);
  close(r.p, 0.002833, 5e-7);
  // Sign does not change a two-sided p.
  close(pairedTTest(SLEEP.map((x) => -x)).p, r.p, 1e-15);
  assert.equal(pairedTTest([0, 0, 0]).p, 1);
  assert.equal(pairedTTest([0.1, 0.1, 0.1]).p, 0);
  assert.ok(Number.isNaN(pairedTTest([1]).p));
});

test('permutation test is deterministic for a seed and close to the exact p', () => {
  const p1 = permutationTest(SLEEP, 10_000, 42);
  assert.equal(permutationTest(SLEEP, 10_000, 42), p1);
  // Exact: of the 2^9 sign patterns of the nine non-zero differences only the observed one and its mirror reach
  // |Σ| ≥ 15.8, so p = 2 / 512 = 0.0039.
  close(p1, 2 / 512, 0.002);
  close(permutationTest(SLEEP, 10_000, 7), 2 / 512, 0.002);
  // No difference: p = 1.
  assert.equal(permutationTest([0, 0, 0], 1000, 1), 1);
  // A symmetric null sample: p is large.
  assert.ok(permutationTest([1, -1, 2, -2, 0.5, -0.5], 5000, 3) > 0.5);
});

test('bootstrap CI is deterministic for a seed and brackets the mean', () => {
  const ci = bootstrapCI(SLEEP, 10_000, 42);
  assert.deepEqual(bootstrapCI(SLEEP, 10_000, 42), ci);
  assert.ok(ci[0] < 1.58 && 1.58 < ci[1]);
  assert.ok(ci[0] > 0.7 && ci[1] < 2.6, `CI ${ci}`);
  assert.notDeepEqual(bootstrapCI(SLEEP, 10_000, 43), ci);
  assert.deepEqual(bootstrapCI([0.25, 0.25], 100, 1), [0.25, 0.25]);
});

test('Holm adjusts step-down and keeps the input order', () => {
  assert.deepEqual(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
  assert.deepEqual(holm([0.2]), [0.2]);
  assert.deepEqual(holm([0.6, 0.9]), [1, 1]);
});

test('comparePaired uses the queries both runs have', () => {
  const base = new Map([
    ['a', 0.5],
    ['b', 0.2],
    ['c', NaN],
  ]);
  const other = new Map([
    ['a', 0.7],
    ['b', 0.2],
    ['c', 0.9],
    ['d', 1],
  ]);
  const c = comparePaired(base, other, { seed: 1, permutations: 100, bootstrap: 100 });
  assert.equal(c.n, 2);
  close(c.delta, 0.1, 1e-15);
  const same = comparePaired(base, base);
  assert.equal(same.delta, 0);
  assert.equal(same.pTTest, 1);
  assert.equal(same.pPermutation, 1);
});

test('the seeded stream of the tests (Random.raw) is reproducible and roughly uniform', () => {
  const a = Random.raw(5);
  const b = Random.raw(5);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a.next();
    assert.equal(x, b.next());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  close(sum / 10_000, 0.5, 0.02);
});

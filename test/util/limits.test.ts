// Bounded counts and exact errors for numeric flags and environment variables (issue 14): seeds in 0 … 2^32 − 1,
// thread counts in 1 … MAX_THREADS (DISRANKER_THREADS, OPENBLAS_NUM_THREADS), permutation and bootstrap limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { Random } from '../../src/util/random.js';
import { engineAvailable, threadSettings } from '../../src/engine/index.js';
import { bootstrapCI, checkBootstrap, checkPermutations, comparePaired, MAX_BOOTSTRAP, MAX_PERMUTATIONS, permutationTest } from '../../src/eval/significance.js';
import { boundedIntFlag, intFlag, MAX_THREADS, parseThreads, positiveFlag, validateSeed } from '../../src/util/flags.js';
import { need, REPO_ROOT } from '../helpers/env.js';

test('seeds: integers in 0 … 2^32 − 1, else an error naming the flag (no aliasing, no wrong record)', async () => {
  assert.equal(validateSeed('--seed', '0'), 0);
  assert.equal(validateSeed('--seed', '4294967295'), 4294967295);
  for (const bad of ['4294967296', '-1', '1e3', '', ' ', '0x10', '1.5', '99999999999999999999', 'abc']) {
    assert.throws(() => validateSeed('--seed', bad), (e: Error) => e.message === `--seed: expected an integer between 0 and 4294967295, got "${bad}"`, bad);
  }
  // The PRNGs refuse what they would alias (2^32 + 1 was the same stream as 1).
  for (const seed of [2 ** 32 + 1, -1, 0.5, NaN]) {
    assert.throws(() => new Random(seed), /seed: a seed must be an integer between 0 and 4294967295/);
    assert.throws(() => Random.raw(seed), /a seed must be an integer between 0 and 4294967295/);
  }
  const out = join(mkdtempSync(join(tmpdir(), 'dr-seed-')), 'ds');
  await assert.rejects(generateSynthetic({ preset: 'tiny', seed: 2 ** 40, out }), /--seed: a seed must be an integer between 0 and 4294967295, got 1099511627776/);
});

test('integer flags: strict decimal integers (an empty value is not 0), with bounds when asked', () => {
  assert.throws(() => intFlag('--steps', '', 1), /--steps: expected an integer ≥ 1, got ""/);
  assert.throws(() => intFlag('--k', '1e3'), /--k: expected an integer ≥ 0, got "1e3"/);
  assert.equal(intFlag('--k', ' 12 '), 12);
  assert.throws(() => positiveFlag('--lr', ''), /--lr: expected a positive number, got ""/);
  assert.throws(() => boundedIntFlag('--n', '11', 1, 10), /--n: expected an integer between 1 and 10, got "11"/);
});

test('threads: --threads, DISRANKER_THREADS and OPENBLAS_NUM_THREADS take 1 … MAX_THREADS, the error names the variable', () => {
  assert.equal(MAX_THREADS, 1024);
  assert.equal(parseThreads('--threads', '4'), 4);
  assert.throws(() => parseThreads('--threads', '100000'), /--threads: expected an integer between 1 and 1024, got "100000"/);
  assert.throws(() => parseThreads('--threads', '0'), /--threads: expected an integer between 1 and 1024/);
  assert.deepEqual(threadSettings({}, 2), { intra: 1, blas: 2 });
  assert.deepEqual(threadSettings({ DISRANKER_THREADS: '3', OPENBLAS_NUM_THREADS: '5' }, 2), { intra: 3, blas: 5 });
  assert.deepEqual(threadSettings({ DISRANKER_THREADS: '' }, 2), { intra: 1, blas: 2 }, 'empty = unset');
  assert.throws(() => threadSettings({ DISRANKER_THREADS: '99999999999' }), /DISRANKER_THREADS: expected an integer between 1 and 1024, got "99999999999"/);
  assert.throws(() => threadSettings({ DISRANKER_THREADS: 'four' }), /DISRANKER_THREADS: expected an integer between 1 and 1024, got "four"/);
  assert.throws(() => threadSettings({ OPENBLAS_NUM_THREADS: '-2' }), /OPENBLAS_NUM_THREADS: expected an integer between 1 and 1024, got "-2"/);
});

test('DISRANKER_THREADS=99999999999: the engine refuses it with a clear error instead of crashing in libgomp', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const code = "import('./src/engine/index.ts').then((e) => e.tensor([1]).dispose()).catch((err) => { console.error(err.message); process.exit(3); });";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, DISRANKER_THREADS: '99999999999' },
  });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /DISRANKER_THREADS: expected an integer between 1 and 1024, got "99999999999"/);
});

test('--permutations and --bootstrap have limits with clear messages, checked before any work', () => {
  assert.equal(checkPermutations('10000'), 10000);
  assert.equal(checkBootstrap(MAX_BOOTSTRAP), MAX_BOOTSTRAP);
  assert.throws(() => checkPermutations(String(MAX_PERMUTATIONS + 1)), /--permutations: expected an integer between 1 and 1000000, got "1000001"/);
  assert.throws(() => checkBootstrap('1000000000'), /--bootstrap: expected an integer between 1 and 1000000, got "1000000000"/);
  const d = [0.1, -0.2, 0.3];
  assert.throws(() => permutationTest(d, 1e9), /--permutations: expected an integer between 1 and 1000000/);
  assert.throws(() => bootstrapCI(d, 1e9), /--bootstrap: expected an integer between 1 and 1000000/);
  assert.throws(() => bootstrapCI(d, 0), /--bootstrap: expected an integer between 1 and 1000000, got "0"/);
  const base = new Map([['q1', 0.5], ['q2', 0.1]]);
  assert.throws(() => comparePaired(base, base, { bootstrap: 2e9 }), /--bootstrap/);
});

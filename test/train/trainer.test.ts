// The shared trainer and its checkpoint format: a run killed with SIGKILL resumes to the same weights as an
// uninterrupted one; changed settings, corrupt checkpoints and NaN losses are refused with messages that name
// what is wrong; the last good checkpoint is never overwritten by a diverged run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { need, REPO_ROOT } from '../helpers/env.js';
import { toyTrain } from './toy-train.js';

const SCRIPT = join(REPO_ROOT, 'test', 'train', 'toy-train.ts');
const node = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `dr-trainer-${name}-`));

test('trainer: SIGKILL after a checkpoint, resume, same weights as an uninterrupted run; a changed --lr is refused naming lr', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const whole = node([tmp('whole')]);
  assert.equal(whole.status, 0, whole.stderr);
  const reference = JSON.parse(whole.stdout);
  assert.equal(reference.resumedFrom, 0);

  const dir = tmp('killed');
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir, '--delay-ms', '40'], { cwd: REPO_ROOT, stdio: 'ignore' });
  const state = join(dir, 'checkpoint', 'state.json');
  const deadline = Date.now() + 120_000;
  while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const saved = readCheckpoint(join(dir, 'checkpoint')).step;
  assert.ok(saved >= 5 && saved < 20, `killed at checkpoint step ${saved}`);

  const changed = node([dir, '--lr', '0.02']);
  assert.notEqual(changed.status, 0);
  assert.match(changed.stderr, /other settings/);
  assert.match(changed.stderr, /train\.lr: 0\.01 → 0\.02/);
  assert.match(changed.stderr, /--fresh/);

  const resumed = node([dir]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const r = JSON.parse(resumed.stdout);
  assert.equal(r.resumedFrom, saved);
  assert.equal(r.steps, 20);
  for (const [k, v] of Object.entries(reference.weights as Record<string, number[]>)) {
    assert.deepEqual(r.weights[k], v, `${k} differs after the resume`); // bit-exact
  }
  // the metrics log has one line per logging step, none duplicated by the resume
  const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(steps, [5, 10, 15, 20]);
  const line = JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')[0]);
  assert.deepEqual(Object.keys(line), ['step', 'loss', 'lr', 'grad_norm', 'examples_per_s', 'tokens_per_s']);
});

test('trainer: a truncated or same-size overwritten checkpoint is refused, naming the file', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  for (const damage of ['truncate', 'overwrite', 'state']) {
    const dir = tmp(damage);
    const first = node([dir, '--steps', '5']);
    assert.equal(first.status, 0, first.stderr);
    const weights = join(dir, 'checkpoint', 'model.safetensors');
    const buf = readFileSync(weights);
    if (damage === 'truncate') writeFileSync(weights, buf.subarray(0, buf.length - 7));
    else if (damage === 'overwrite') {
      const bad = Buffer.from(buf);
      bad.fill(0xff, bad.length - 64); // NaN bytes in the last weights, same size
      writeFileSync(weights, bad);
      assert.equal(statSync(weights).size, buf.length);
    } else {
      const f = join(dir, 'checkpoint', 'state.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace('"step":5', '"step":4'));
    }
    const again = node([dir, '--steps', '5']);
    assert.notEqual(again.status, 0, `${damage}: a damaged checkpoint was used`);
    const file = damage === 'state' ? 'state.json' : 'model.safetensors';
    assert.match(again.stderr, new RegExp(`checkpoint/${file}: checksum mismatch`), `${damage}: ${again.stderr}`);
  }
});

test('trainer: a NaN loss stops training with a clear error and keeps the last good checkpoint; --skip-nonfinite skips', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = tmp('nan');
  await assert.rejects(toyTrain({ dir, poisonStep: 12 }), /step 13: the loss is NaN; training stopped and the last good checkpoint \(step 10\).* is kept/);
  const st = readCheckpoint(join(dir, 'checkpoint'));
  assert.equal(st.step, 10);
  assert.ok(st.losses.every(Number.isFinite));

  const skipped = await toyTrain({ dir: tmp('skip'), poisonStep: 18, skipNonFinite: true });
  assert.deepEqual(skipped.result.skipped, [18, 19]);
  assert.equal(skipped.result.steps, 20);
  for (const v of Object.values(skipped.weights)) assert.ok(v.every(Number.isFinite));
});

test('trainer: evaluation keeps the best weights', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = tmp('best');
  const { result } = await toyTrain({ dir, evalEvery: 4 });
  assert.equal(result.evals.length, 5);
  const values = result.evals.map((e) => e.metrics.neg_mse);
  assert.equal(result.best?.value, Math.max(...values));
  assert.ok(result.bestWeights && existsSync(result.bestWeights));
});

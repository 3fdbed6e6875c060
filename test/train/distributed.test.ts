// Data-parallel training on c10d (Gloo) over loopback: the collectives, equivalence with one process, a worker killed
// with SIGKILL (the other fails naming the lost rank within the timeout, and the job resumes), the launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distributedAvailable, engineAvailable } from '../../src/engine/index.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { need, REPO_ROOT } from '../helpers/env.js';
import { freePort } from '../../src/util/net.js';

const SCRIPT = join(REPO_ROOT, 'test', 'train', 'toy-train.ts');
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `dr-dist-${name}-`));
const ready = (t: Parameters<typeof need>[0]) => need(t, engineAvailable(), 'the libtorch engine is not built') && need(t, distributedAvailable(), 'distributed support not built (libgloo-dev)');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

function worker(rank: number, world: number, port: number, args: string[], extraEnv: Record<string, string> = {}, script = SCRIPT): { proc: ChildProcess; done: Promise<Run> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), DISRANKER_THREADS: '1', OPENBLAS_NUM_THREADS: '1', ...extraEnv },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, exitedAt: Date.now() })));
  return { proc, done };
}

async function group(world: number, args: string[], extraEnv: Record<string, string> = {}, script = SCRIPT): Promise<Run[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: world }, (_, r) => worker(r, world, port, args, extraEnv, script).done));
}

const maxDiff = (a: Record<string, number[]>, b: Record<string, number[]>) => {
  let m = 0;
  for (const [k, v] of Object.entries(a)) v.forEach((x, i) => (m = Math.max(m, Math.abs(x - b[k][i]))));
  return m;
};

test('distributed: all-reduce (sum, avg, max), all-gather, broadcast of parameters, gradient averaging, barrier', async (t) => {
  if (!ready(t)) return;
  const runs = await group(2, [], {}, join(REPO_ROOT, 'test', 'train', 'dist-collectives.ts'));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const [a, b] = runs.map((r) => JSON.parse(r.stdout));
  for (const x of [a, b]) {
    assert.deepEqual(x.sum, [3, 30]);
    assert.deepEqual(x.avg, [1.5]);
    assert.deepEqual(x.max, [1]);
    assert.deepEqual(x.gather, [[0], [7]]);
    // d/dw of (r+1)·sum(w) is r+1: averaged over ranks 1 and 2 → 1.5; the bias only had a gradient (1) on rank 1 → 0.5
    assert.deepEqual(x.weightGrad, [1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    assert.deepEqual(x.biasGrad, [0.5, 0.5]);
  }
  assert.deepEqual(b.weight, a.weight, 'the broadcast did not give rank 1 the weights of rank 0');
});

test('distributed: 2 processes × batch b for 5 steps end with the weights of 1 process × batch 2b (within 1e-5), on every rank', async (t) => {
  if (!ready(t)) return;
  const one = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, tmp('one'), '--steps', '5', '--micro-batch', '4', '--concat', '2'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(one.status, 0, one.stderr);
  const ref = JSON.parse(one.stdout);
  const runs = await group(2, [tmp('two'), '--steps', '5', '--micro-batch', '4']);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const [r0, r1] = runs.map((r) => JSON.parse(r.stdout));
  assert.deepEqual(r0.distributed.worldSize, 2);
  const d = maxDiff(ref.weights, r0.weights);
  console.log(`equivalence: max |w(1 proc, batch 8) − w(2 procs, batch 4)| = ${d.toExponential(3)}`);
  assert.ok(d <= 1e-5, `max |diff| ${d}`);
  assert.equal(maxDiff(r0.weights, r1.weights), 0, 'the ranks disagree');
});

test('distributed: SIGKILL of rank 1 makes rank 0 fail within the timeout naming rank 1; the rerun resumes from the checkpoint to the weights of an uninterrupted run', async (t) => {
  if (!ready(t)) return;
  const timeoutMs = 20_000;
  const env = { DISRANKER_DIST_TIMEOUT_MS: String(timeoutMs) };
  const args = ['--steps', '30', '--micro-batch', '4', '--checkpoint-every', '5'];
  const whole = await group(2, [tmp('whole'), ...args], env);
  for (const r of whole) assert.equal(r.code, 0, r.stderr);
  const reference = JSON.parse(whole[0].stdout);

  const dir = tmp('killed');
  const port = await freePort();
  const w0 = worker(0, 2, port, [dir, ...args, '--delay-ms', '60'], env);
  const w1 = worker(1, 2, port, [dir, ...args, '--delay-ms', '60'], env);
  const state = join(dir, 'checkpoint', 'state.json');
  const deadline = Date.now() + 120_000;
  while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const killedAt = Date.now();
  w1.proc.kill('SIGKILL');
  const [r0, r1] = await Promise.all([w0.done, w1.done]);
  assert.equal(r1.signal, 'SIGKILL');
  assert.notEqual(r0.code, 0, 'rank 0 went on without its peer');
  const detectMs = r0.exitedAt - killedAt;
  console.log(`failure: rank 0 exited ${detectMs} ms after the SIGKILL of rank 1 (timeout ${timeoutMs} ms): ${/DR_ERR_DISTRIBUTED|failed on rank.*/.exec(r0.stderr)?.[0]}`);
  assert.ok(detectMs < timeoutMs, `rank 0 took ${detectMs} ms`);
  assert.match(r0.stderr, /failed on rank 0 of 2: lost rank 1/);
  const saved = readCheckpoint(join(dir, 'checkpoint')).step;
  assert.ok(saved >= 5 && saved < 30, `checkpoint at step ${saved}`);

  // resuming with another world size is refused
  const alone = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, dir, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.notEqual(alone.status, 0);
  assert.match(alone.stderr, /distributed/);

  const resumed = await group(2, [dir, ...args], env);
  for (const r of resumed) assert.equal(r.code, 0, r.stderr);
  const r = JSON.parse(resumed[0].stdout);
  assert.equal(r.resumedFrom, saved);
  assert.equal(r.steps, 30);
  assert.equal(maxDiff(reference.weights, r.weights), 0, 'the resumed run differs from the uninterrupted one');
  const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(steps, [5, 10, 15, 20, 25, 30]);
});

test('distributed: a peer that never arrives is a clear error within the timeout, not a hang', async (t) => {
  if (!ready(t)) return;
  const port = await freePort();
  const t0 = Date.now();
  const r = await worker(0, 2, port, [tmp('alone'), '--steps', '2'], { DISRANKER_DIST_TIMEOUT_MS: '3000' }).done;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /rank 0 of 2 could not join the group at 127\.0\.0\.1:\d+ within 3000 ms/);
  assert.ok(Date.now() - t0 < 30_000);
});

test('distributed: student pretrain --nproc 2 trains on 2 workers; only rank 0 writes the run folder', async (t) => {
  if (!ready(t)) return;
  const dir = tmp('cli');
  const bin = join(REPO_ROOT, 'bin', 'disranker.js');
  const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
  const synth = spawnSync(process.execPath, [bin, 'data', 'synth', '--preset', 'tiny', '--seed', '2', '--out', join(dir, 'ds')], { env, encoding: 'utf8' });
  assert.equal(synth.status, 0, synth.stderr);
  const args = [bin, 'student', 'pretrain', '--data', join(dir, 'ds'), '--out', join(dir, 'pre'), '--steps', '4', '--batch-size', '4', '--vocab-size', '300', '--max-length', '32', '--log-every', '2', '--nproc', '2'];
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /data-parallel MLM on 2 processes/);
  const lines = readFileSync(join(dir, 'pre', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.step), [2, 4], 'one metrics writer');
  assert.ok(lines.every((l) => l.allreduce_ms_total > 0));
  assert.ok(existsSync(join(dir, 'pre', 'model', 'model.safetensors')));
  writeFileSync(join(dir, 'done'), '');
});

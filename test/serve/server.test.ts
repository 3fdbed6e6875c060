// A real listening server on 127.0.0.1: batching across concurrent HTTP clients, load shedding with 429 and
// Retry-After, the per-request timeout, graceful close with a request in flight, and the CLI's SIGTERM shutdown.
// The model is the tiny export; a stand-in slows its runs where a test needs requests to overlap.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need, REPO_ROOT } from '../helpers/env.js';
import { loadOrt, ortMissingReason } from '../helpers/ort.js';
import { writeTinyExport } from './fixture.js';
import type { AppOptions, Scorer } from '../../src/serve/app.js';
import type { RerankModel } from '../../src/serve/model.js';

let dir = '';
let model: RerankModel | undefined;

before(async () => {
  if (!(await loadOrt())) return;
  const { RerankModel } = await import('../../src/serve/model.js');
  dir = writeTinyExport(mkdtempSync(join(tmpdir(), 'dr-server-')));
  model = await RerankModel.load(dir, { threads: 1 });
});
after(async () => {
  await model?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ready = async (t: import('node:test').TestContext) => need(t, (await loadOrt()) !== null, ortMissingReason());

/** The tiny model, each run delayed by delayMs; counts runs and their sizes. */
function slowed(delayMs: number): Scorer & { runs: number[] } {
  const runs: number[] = [];
  return {
    runs,
    meta: model!.meta,
    maxLength: model!.maxLength,
    encode: (q, d, tr) => model!.encode(q, d, tr),
    async score(rows) {
      runs.push(rows.length);
      await new Promise((r) => setTimeout(r, delayMs));
      return model!.score(rows);
    },
  };
}

async function listen(scorer: Scorer, opts: AppOptions) {
  const { buildApp } = await import('../../src/serve/app.js');
  const built = await buildApp(scorer, opts);
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...built, url };
}

const post = (url: string, n: number, q = 'the ka') =>
  fetch(`${url}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, texts: Array.from({ length: n }, (_, i) => `sa lo ${i} ter in`) }) });

test('concurrent clients are batched together: 8 requests × 5 documents take fewer than 8 model runs', async (t) => {
  if (!(await ready(t))) return;
  const s = slowed(100);
  const srv = await listen(s, { maxWaitMs: 5 });
  try {
    const rs = await Promise.all(Array.from({ length: 8 }, () => post(srv.url, 5)));
    assert.deepEqual(rs.map((r) => r.status), Array(8).fill(200));
    for (const r of rs) assert.equal(((await r.json()) as unknown[]).length, 5);
    t.diagnostic(`model runs (documents each): ${s.runs.join(', ')}`);
    assert.equal(s.runs.reduce((a, b) => a + b, 0), 40);
    assert.ok(s.runs.length < 8, `expected merged batches, got ${s.runs.length} runs`);
    assert.ok(Math.max(...s.runs) > 5, 'some run held documents of several requests');
  } finally {
    await srv.app.close();
  }
});

test('a full queue sheds load with 429 and Retry-After; admitted requests succeed and the server keeps serving', async (t) => {
  if (!(await ready(t))) return;
  const srv = await listen(slowed(200), { maxQueueDocs: 10, maxWaitMs: 0 });
  try {
    const rs = await Promise.all(Array.from({ length: 8 }, () => post(srv.url, 5)));
    const codes = rs.map((r) => r.status);
    t.diagnostic(`statuses: ${codes.join(' ')}`);
    assert.ok(codes.every((c) => c === 200 || c === 429), codes.join(' '));
    assert.ok(codes.includes(429) && codes.includes(200));
    const shed = rs.find((r) => r.status === 429)!;
    assert.match(shed.headers.get('retry-after') ?? '', /^\d+$/);
    const body = (await shed.json()) as { error: string; message: string };
    assert.equal(body.error, 'overloaded');
    assert.match(body.message, /the server is busy: the queue holds \d+ documents and takes at most 10/);
    assert.equal((await post(srv.url, 3)).status, 200);
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, /disranker_shed_total\{reason="queue_full"\} [1-9]/);
  } finally {
    await srv.app.close();
  }
});

test('a request still waiting after requestTimeoutMs gets 503 with Retry-After', async (t) => {
  if (!(await ready(t))) return;
  const srv = await listen(slowed(400), { requestTimeoutMs: 100 });
  try {
    const r = await post(srv.url, 2);
    assert.equal(r.status, 503);
    assert.ok(r.headers.get('retry-after'));
    assert.deepEqual(await r.json(), { error: 'timeout', message: 'no answer within 100 ms; the server is busy, retry later' });
  } finally {
    await srv.app.close();
  }
});

test('close() lets an in-flight request finish, then refuses connections', async (t) => {
  if (!(await ready(t))) return;
  const s = slowed(300);
  const srv = await listen(s, {});
  const inFlight = post(srv.url, 4);
  while (s.runs.length === 0) await new Promise((r) => setTimeout(r, 5)); // the request has reached the model
  await srv.app.close();
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as unknown[]).length, 4);
  await assert.rejects(post(srv.url, 1));
});

test('disranker serve: binds 127.0.0.1, serves, and on SIGTERM shuts down cleanly (exit code 0)', async (t) => {
  if (!(await ready(t))) return;
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'serve', '--model', dir, '--port', '0', '--threads', '1'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setInterval(() => {
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearInterval(timer);
          res(m[1]);
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          rej(new Error(`serve exited: ${err}`));
        }
      }, 20);
    });
    assert.equal((await post(url, 3)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    assert.match(out, /shut down/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

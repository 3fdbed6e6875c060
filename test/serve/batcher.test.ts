// The dynamic batcher with a stand-in model: merging across requests, length bucketing, the bounded queue,
// abandoned rows, errors, and draining. No ONNX Runtime needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, ClosedError, QueueFullError } from '../../src/serve/batcher.js';
import type { EncodedRow } from '../../src/serve/model.js';

/** A row of n tokens whose "score" is its first id. */
const row = (id: number, n: number): EncodedRow => ({ ids: [id, ...Array<number>(n - 1).fill(0)], typeIds: Array<number>(n).fill(0) });

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const run = async (rows: EncodedRow[]) => {
    batches.push(rows.map((r) => r.ids[0]));
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return Float32Array.from(rows, (r) => r.ids[0]);
  };
  return { batches, run };
}

test('rows of concurrent requests run in one batch and their scores come back in request order', async () => {
  const { batches, run } = recorder();
  const b = new Batcher(run, { maxBatchTokens: 1000, maxWaitMs: 20, maxQueueRows: 100 });
  const jobs = [b.submit([row(1, 5), row(2, 5)]), b.submit([row(3, 6)]), b.submit([row(4, 4), row(5, 5), row(6, 5)])];
  const out = await Promise.all(jobs.map((j) => j.done));
  assert.deepEqual(out.map((s) => Array.from(s)), [[1, 2], [3], [4, 5, 6]]);
  assert.equal(batches.length, 1);
  assert.deepEqual([...batches[0]].sort(), [1, 2, 3, 4, 5, 6]);
});

test('length bucketing: short rows run together, long rows together, within maxBatchTokens', async () => {
  const { batches, run } = recorder();
  const b = new Batcher(run, { maxBatchTokens: 150, maxWaitMs: 1000, maxQueueRows: 100 });
  // 3 short (4 tokens) and 3 long (50 tokens) rows, interleaved; 6 × 50 = 300 > 150 fills the budget at once.
  const job = b.submit([row(1, 4), row(2, 50), row(3, 4), row(4, 50), row(5, 4), row(6, 50)]);
  assert.deepEqual(Array.from(await job.done), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(batches.map((x) => [...x].sort()), [
    [1, 3, 5],
    [2, 4, 6],
  ]);
});

test('a full queue refuses a request at once with a Retry-After estimate; admitted requests still finish', async () => {
  const { run } = recorder(30);
  const b = new Batcher(run, { maxBatchTokens: 100, maxWaitMs: 0, maxQueueRows: 4 });
  const first = b.submit([row(1, 5), row(2, 5), row(3, 5)]);
  const second = b.submit([row(4, 5)]);
  assert.throws(
    () => b.submit([row(5, 5), row(6, 5), row(7, 5), row(8, 5), row(9, 5)]),
    (e: unknown) => e instanceof QueueFullError && e.retryAfterSeconds >= 1 && /takes at most 4/.test(e.message),
  );
  assert.deepEqual(Array.from(await first.done), [1, 2, 3]);
  assert.deepEqual(Array.from(await second.done), [4]);
});

test('an abandoned job never reaches the model; a failing run rejects the jobs of its batch only', async () => {
  const seen: number[] = [];
  const b = new Batcher(
    async (rows) => {
      seen.push(...rows.map((r) => r.ids[0]));
      if (rows.some((r) => r.ids[0] === 13)) throw new Error('boom');
      return Float32Array.from(rows, (r) => r.ids[0]);
    },
    { maxBatchTokens: 10, maxWaitMs: 5, maxQueueRows: 100 },
  );
  const gone = b.submit([row(7, 5)]); // 5 tokens < maxBatchTokens: waits
  gone.cancel();
  const bad = b.submit([row(13, 10)]);
  const good = b.submit([row(21, 10)]);
  await assert.rejects(bad.done, /boom/);
  assert.deepEqual(Array.from(await good.done), [21]);
  assert.ok(!seen.includes(7), 'cancelled rows skipped');
});

test('drain runs what is queued, then refuses new work', async () => {
  const { run } = recorder(10);
  const b = new Batcher(run, { maxBatchTokens: 10, maxWaitMs: 1000, maxQueueRows: 100 });
  const jobs = [b.submit([row(1, 5)]), b.submit([row(2, 5)]), b.submit([row(3, 5)])];
  await b.drain();
  assert.equal(b.depth, 0);
  assert.deepEqual((await Promise.all(jobs.map((j) => j.done))).map((s) => s[0]), [1, 2, 3]);
  assert.throws(() => b.submit([row(4, 5)]), ClosedError);
});

test('admission before tokenisation: reserved documents count against the queue bound until submitted or released', () => {
  const { run } = recorder();
  const b = new Batcher(run, { maxBatchTokens: 100, maxWaitMs: 1000, maxQueueRows: 10 });
  b.reserve(6);
  assert.equal(b.depth, 6);
  assert.throws(() => b.reserve(5), QueueFullError);
  b.release(6);
  assert.equal(b.depth, 0);
  b.reserve(10); // an empty queue admits any request
  assert.throws(() => b.reserve(1), QueueFullError);
  const job = b.submit([row(1, 5), row(2, 5)], 10);
  assert.equal(b.depth, 2);
  job.cancel();
});

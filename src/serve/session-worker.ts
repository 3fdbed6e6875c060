// The ONNX Runtime session in a worker thread. onnxruntime-node's InferenceSession.run computes on the calling
// thread (its promise only defers the call with setImmediate), so on the main thread a 1-2 s batch would stall
// the event loop: no health checks, no shedding, no timeouts meanwhile. Here it blocks only this worker.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface SessionSpec {
  onnxFile: string;
  threads: number;
  output: string;
}
export interface RunRequest {
  id: number;
  dims: [number, number];
  feeds: Record<string, BigInt64Array>;
}
export type SessionReply =
  | { ready: true; inputNames: string[] }
  | { ready: false; error: string }
  | { id: number; logits: Float32Array; cols: number }
  | { id: number; error: string };

const spec = workerData as SessionSpec;
let session: ort.InferenceSession;
try {
  session = await ort.InferenceSession.create(spec.onnxFile, {
    intraOpNumThreads: spec.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // No busy-waiting between runs: the event loop and the tokenizer workers share the cores with ORT's threads.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  parentPort!.postMessage({ ready: true, inputNames: [...session.inputNames] } satisfies SessionReply);
} catch (err) {
  parentPort!.postMessage({ ready: false, error: (err as Error).message } satisfies SessionReply);
  process.exit(0);
}

parentPort!.on('message', async (m: RunRequest | 'close') => {
  if (m === 'close') {
    await session.release();
    parentPort!.close();
    return;
  }
  try {
    const feeds = Object.fromEntries(Object.entries(m.feeds).map(([k, v]) => [k, new ort.Tensor('int64', v, m.dims)]));
    const out = (await session.run(feeds))[spec.output];
    const logits = Float32Array.from(out.data as Float32Array);
    parentPort!.postMessage({ id: m.id, logits, cols: Number(out.dims[1] ?? 1) } satisfies SessionReply, [logits.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message } satisfies SessionReply);
  }
});

// The one ONNX Runtime session, run in a worker thread (session-worker.ts): batches go in as int64 arrays
// (transferred, not copied), logits come back.
import type { Worker } from 'node:worker_threads';
import { DisrankerError } from '../util/errors.js';
import type { RunRequest, SessionReply, SessionSpec } from './session-worker.js';
import { startWorker } from './workers.js';

export class InferenceWorker {
  private readonly waiting = new Map<number, { resolve: (r: { logits: Float32Array; cols: number }) => void; reject: (e: unknown) => void }>();
  private nextId = 0;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: string[],
  ) {
    worker.on('message', (m: SessionReply) => {
      if (!('id' in m)) return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if ('error' in m) w.reject(new DisrankerError('DR_ERR_MODEL', `onnxruntime: ${m.error}`));
      else w.resolve(m);
    });
    const fail = (err: unknown) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new DisrankerError('DR_ERR_MODEL', `the inference worker exited (code ${code})`)));
  }

  /** Starts the worker and waits for its session; throws with ORT's message if the model does not load. */
  static open(spec: SessionSpec): Promise<InferenceWorker> {
    const worker = startWorker('session-worker', spec);
    return new Promise((resolve, reject) => {
      worker.once('message', (m: SessionReply) => {
        if ('ready' in m && m.ready) resolve(new InferenceWorker(worker, m.inputNames));
        else {
          void worker.terminate();
          reject(new DisrankerError('DR_ERR_MODEL', `${spec.onnxFile}: onnxruntime cannot load it (${'error' in m ? m.error : 'unknown error'})`));
        }
      });
      worker.once('error', reject);
    });
  }

  run(dims: [number, number], feeds: Record<string, BigInt64Array>): Promise<{ logits: Float32Array; cols: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, dims, feeds } satisfies RunRequest, Object.values(feeds).map((f) => f.buffer as ArrayBuffer));
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage('close');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.worker.terminate();
  }
}

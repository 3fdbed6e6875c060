// Tokenisation off the event loop: a small pool of worker threads, each with its own tokenizer. A request goes
// to the worker with the fewest requests in hand. While the event loop parses JSON and answers, and ORT runs a
// batch on its own threads, the workers encode the next requests; a burst of large requests no longer blocks
// the event loop (which under-pressure would report as lag and shed).
import type { Worker } from 'node:worker_threads';
import { DisrankerError } from '../util/errors.js';
import { TooLongError, type EncodedRow, type EncoderSpec, type RerankDocument } from './encoder.js';
import type { EncodeReply, EncodeRequest } from './tokenize-worker.js';
import { startWorker } from './workers.js';

interface Slot {
  worker: Worker;
  inHand: number;
}

export class TokenizePool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { resolve: (r: EncodedRow[]) => void; reject: (e: unknown) => void; slot: Slot }>();
  private nextId = 0;

  constructor(spec: EncoderSpec, size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => {
      const slot: Slot = { worker: startWorker('tokenize-worker', spec), inHand: 0 };
      slot.worker.on('message', (m: EncodeReply) => this.settle(m));
      slot.worker.on('error', (err) => this.failAll(slot, err));
      slot.worker.on('exit', (code) => this.failAll(slot, new DisrankerError('DR_ERR_INPUT', `tokenizer worker exited (code ${code})`)));
      return slot;
    });
  }

  get size(): number {
    return this.slots.length;
  }

  encode(query: string, docs: RerankDocument[], truncate: boolean): Promise<EncodedRow[]> {
    const slot = this.slots.reduce((a, b) => (b.inHand < a.inHand ? b : a));
    const id = this.nextId++;
    slot.inHand++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, query, docs, truncate } satisfies EncodeRequest);
    });
  }

  private settle(m: EncodeReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    w.slot.inHand--;
    if ('tooLong' in m) w.reject(new TooLongError(m.tooLong.index, m.tooLong.tokens, m.tooLong.limit));
    else if ('error' in m) w.reject(new DisrankerError('DR_ERR_INPUT', m.error));
    else {
      const rows: EncodedRow[] = [];
      let at = 0;
      for (const n of m.lengths) {
        rows.push({ ids: m.ids.subarray(at, at + n), typeIds: m.typeIds.subarray(at, at + n) });
        at += n;
      }
      w.resolve(rows);
    }
  }

  private failAll(slot: Slot, err: unknown): void {
    for (const [id, w] of this.waiting) {
      if (w.slot !== slot) continue;
      this.waiting.delete(id);
      w.reject(err);
    }
    slot.inHand = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

// A tokenizer worker thread: encodes requests (PairEncoder) off the event loop and sends the rows back as one
// flat Int32Array each for ids and type ids (transferred, not copied).
import { parentPort, workerData } from 'node:worker_threads';
import { PairEncoder, TooLongError, type EncoderSpec, type RerankDocument } from './encoder.js';

export interface EncodeRequest {
  id: number;
  query: string;
  docs: RerankDocument[];
  truncate: boolean;
}

export type EncodeReply =
  | { id: number; ids: Int32Array; typeIds: Int32Array; lengths: Int32Array }
  | { id: number; tooLong: { index: number; tokens: number; limit: number } }
  | { id: number; error: string };

const encoder = new PairEncoder(workerData as EncoderSpec);
parentPort!.on('message', (m: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    const rows = encoder.encode(m.query, m.docs, m.truncate);
    const lengths = Int32Array.from(rows, (r) => r.ids.length);
    const total = lengths.reduce((a, b) => a + b, 0);
    const ids = new Int32Array(total);
    const typeIds = new Int32Array(total);
    let at = 0;
    for (const r of rows) {
      ids.set(r.ids, at);
      typeIds.set(r.typeIds, at);
      at += r.ids.length;
    }
    reply = { id: m.id, ids, typeIds, lengths };
    parentPort!.postMessage(reply, [ids.buffer, typeIds.buffer, lengths.buffer]);
    return;
  } catch (err) {
    reply = err instanceof TooLongError ? { id: m.id, tooLong: { index: err.index, tokens: err.tokens, limit: err.limit } } : { id: m.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});

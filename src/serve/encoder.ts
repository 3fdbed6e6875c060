// (query, document) → token ids, as training encodes them: the cross-encoder gets `[CLS] query [SEP] document
// [SEP]` (the query capped at half the budget, the document cut from its end, as src/text/pair.ts), the decoder
// the RankLLaMA template + eos (src/text/ranking.ts). The query is encoded once per request.
// Runs in the tokenizer worker threads (tokenize-pool.ts) and, in tests, on the main thread.
import { documentText, encodeRankingInputs, loadTokenizer, type TextTokenizer } from '../text/index.js';
import { encodeHead } from '../text/truncate.js';
import { DisrankerError } from '../util/errors.js';

/** A document as the APIs accept it. */
export interface RerankDocument {
  title?: string;
  text: string;
}

/** One encoded (query, document) input, unpadded. */
export interface EncodedRow {
  ids: ArrayLike<number>;
  typeIds: ArrayLike<number>;
}

/** What the encoder needs from disranker_export.json. */
export interface EncoderSpec {
  dir: string; // the folder holding tokenizer.json
  kind: 'cross-encoder' | 'decoder';
  maxLength: number;
}

/** A document longer than the token budget, when the request asked not to truncate. */
export class TooLongError extends DisrankerError {
  constructor(
    readonly index: number,
    readonly tokens: number,
    readonly limit: number,
  ) {
    super('DR_ERR_INPUT', `document ${index} has ${tokens} tokens with the query, more than the limit of ${limit}; shorten it or set truncate to true`);
  }
}

export class PairEncoder {
  readonly tokenizer: TextTokenizer;
  private readonly budget: number;
  private readonly maxQuery: number;

  constructor(readonly spec: EncoderSpec) {
    this.tokenizer = loadTokenizer(spec.dir);
    this.budget = spec.maxLength - (spec.kind === 'cross-encoder' ? this.tokenizer.numSpecialTokens(true) : 0);
    this.maxQuery = Math.floor(this.budget / 2);
  }

  /** With truncate, long documents are cut to the budget; without, one that does not fit throws TooLongError. */
  encode(query: string, docs: RerankDocument[], truncate: boolean): EncodedRow[] {
    const tok = this.tokenizer;
    const maxLength = this.spec.maxLength;
    if (this.spec.kind === 'decoder') {
      const items = docs.map((d) => ({ query, title: d.title, summary: d.text }));
      if (!truncate) {
        const full = encodeRankingInputs(tok, items, { maxLength: 1 << 30 });
        full.lengths.forEach((n, i) => {
          if (n > maxLength) throw new TooLongError(i, n, maxLength);
        });
      }
      const b = encodeRankingInputs(tok, items, { maxLength });
      return b.lengths.map((n, i) => {
        const start = i * b.shape[1];
        return { ids: b.inputIds.slice(start, start + n), typeIds: new Int32Array(n) };
      });
    }
    const q = encodeHead(tok, query.trim(), this.maxQuery);
    const room = this.budget - q.length;
    return docs.map((d, i) => {
      const ids = encodeHead(tok, documentText({ title: d.title, summary: d.text }), truncate ? room : room + 1);
      if (ids.length > room) throw new TooLongError(i, q.length + ids.length + (maxLength - this.budget), maxLength);
      return tok.applyTemplate(q, ids);
    });
  }
}

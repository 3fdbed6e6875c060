// Cross-encoder input: `[CLS] query [SEP] title summary [SEP]` (or whatever pair template the
// tokenizer's post-processor defines), truncated so that the query is kept and the document is cut,
// padded into flat [B, T] arrays with attention masks and token type ids.
import { DisrankerError } from '../util/errors.js';
import { padBatch, type EncodedBatch, type PaddingOptions } from './batch.js';
import type { TextTokenizer } from './tokenizer.js';
import { encodeHead } from './truncate.js';

export interface QueryDocument {
  query: string;
  title?: string;
  summary?: string;
}

export interface PairEncodingOptions extends PaddingOptions {
  /** Total length, special tokens included. Default: the tokenizer's model_max_length, else 512. */
  maxLength?: number;
  /**
   * Query tokens kept at most (so a huge query cannot squeeze the document out).
   * Default: half of what remains after the special tokens (62 at maxLength 128).
   */
  maxQueryLength?: number;
  /** Put between a non-empty title and a non-empty summary. Default ' '. */
  titleSeparator?: string;
  /** Pad id. Default: the tokenizer's pad token, else 0. */
  padId?: number;
}

export interface PairRow {
  ids: number[];
  typeIds: number[];
}

/** The document text of a pair: title and summary joined. */
export function documentText(doc: { title?: string; summary?: string }, sep = ' '): string {
  const t = (doc.title ?? '').trim();
  const s = (doc.summary ?? '').trim();
  return t && s ? `${t}${sep}${s}` : t || s;
}

function lengths(tok: TextTokenizer, opts: PairEncodingOptions): { maxLength: number; budget: number; maxQuery: number } {
  const maxLength = opts.maxLength ?? tok.modelMaxLength ?? 512;
  const budget = maxLength - tok.numSpecialTokens(true);
  if (!Number.isInteger(maxLength) || budget < 2) {
    throw new DisrankerError('DR_ERR_INPUT', `pair encoding: maxLength ${maxLength} leaves no room for a query and a document`);
  }
  const maxQuery = opts.maxQueryLength ?? Math.floor(budget / 2);
  if (!Number.isInteger(maxQuery) || maxQuery < 1 || maxQuery >= budget) {
    throw new DisrankerError('DR_ERR_INPUT', `pair encoding: maxQueryLength must be in [1, ${budget - 1}], got ${maxQuery}`);
  }
  return { maxLength, budget, maxQuery };
}

/** One pair, truncated (query kept up to maxQueryLength, document cut from its end), unpadded. */
export function encodePair(tok: TextTokenizer, pair: QueryDocument, opts: PairEncodingOptions = {}): PairRow {
  const { budget, maxQuery } = lengths(tok, opts);
  return encodeOne(tok, pair, budget, maxQuery, opts.titleSeparator ?? ' ');
}

function encodeOne(tok: TextTokenizer, pair: QueryDocument, budget: number, maxQuery: number, sep: string): PairRow {
  const q = encodeHead(tok, (pair.query ?? '').trim(), maxQuery);
  const d = encodeHead(tok, documentText(pair, sep), budget - q.length);
  return tok.applyTemplate(q, d);
}

/** A batch of pairs as flat [B, T] arrays (right padding unless `padSide: 'left'`). */
export function encodePairs(tok: TextTokenizer, pairs: QueryDocument[], opts: PairEncodingOptions = {}): EncodedBatch {
  const { maxLength, budget, maxQuery } = lengths(tok, opts);
  const sep = opts.titleSeparator ?? ' ';
  const rows = pairs.map((p) => encodeOne(tok, p, budget, maxQuery, sep));
  return padBatch(rows, opts.padId ?? tok.special.pad?.id ?? 0, maxLength, opts);
}

// Padding a list of encoded rows into flat [B, T] int32 arrays (row-major), the layout the engine
// copies into tensors. No tensors here: src/text never loads the engine.
import { DisrankerError } from '../util/errors.js';

export type PaddingStrategy = 'longest' | 'max_length';
export type PaddingSide = 'right' | 'left';

export interface PaddingOptions {
  /** 'longest' (default): pad to the longest row; 'max_length': pad every row to `maxLength`. */
  padding?: PaddingStrategy;
  /** Round T up to a multiple of this (e.g. 8 for tensor cores). */
  padToMultipleOf?: number;
  /** Where pads go. Default 'right'. */
  padSide?: PaddingSide;
}

export interface EncodedRow {
  ids: number[];
  typeIds?: number[];
  labels?: number[];
}

export interface EncodedBatch {
  /** [B, T]. */
  shape: [number, number];
  /** [B*T] token ids, pads = the pad id. */
  inputIds: Int32Array;
  /** [B*T] 1 for real tokens, 0 for pads. */
  attentionMask: Int32Array;
  /** [B*T] segment ids (0 for the first text, 1 for the second); pads 0. */
  tokenTypeIds: Int32Array;
  /** [B*T] next-token targets (CPT): -100 where the loss ignores the position; only when the rows have labels. */
  labels?: Int32Array;
  /** Unpadded length of each row. */
  lengths: number[];
  /** [B] index of the last position whose attention mask is 1 (what a decoder's score head pools). */
  poolIndex: Int32Array;
}

export const IGNORE_INDEX = -100;

export function padBatch(rows: EncodedRow[], padId: number, maxLength: number, opts: PaddingOptions = {}): EncodedBatch {
  const B = rows.length;
  const longest = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  let T = (opts.padding ?? 'longest') === 'max_length' ? maxLength : longest;
  const mult = opts.padToMultipleOf;
  if (mult !== undefined) {
    if (!Number.isInteger(mult) || mult < 1) throw new DisrankerError('DR_ERR_INPUT', `padToMultipleOf must be a positive integer, got ${mult}`);
    T = Math.ceil(T / mult) * mult;
  }
  const left = (opts.padSide ?? 'right') === 'left';
  const inputIds = new Int32Array(B * T).fill(padId);
  const attentionMask = new Int32Array(B * T);
  const tokenTypeIds = new Int32Array(B * T);
  const withLabels = rows.some((r) => r.labels);
  const labels = withLabels ? new Int32Array(B * T).fill(IGNORE_INDEX) : undefined;
  const poolIndex = new Int32Array(B);
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    const n = r.ids.length;
    if (n > T) throw new DisrankerError('DR_ERR_INPUT', `row ${b} has ${n} tokens, more than the padded length ${T}`);
    const start = b * T + (left ? T - n : 0);
    inputIds.set(r.ids, start);
    attentionMask.fill(1, start, start + n);
    if (r.typeIds) tokenTypeIds.set(r.typeIds, start);
    if (labels && r.labels) labels.set(r.labels, start);
    lengths.push(n);
    poolIndex[b] = n === 0 ? -1 : left ? T - 1 : n - 1;
  }
  return { shape: [B, T], inputIds, attentionMask, tokenTypeIds, labels, lengths, poolIndex };
}

/** Split a flat [B, T] array into B rows of plain numbers (for JSON, tests and printing). */
export function toRows(flat: Int32Array, shape: [number, number]): number[][] {
  const [B, T] = shape;
  return Array.from({ length: B }, (_, b) => Array.from(flat.subarray(b * T, (b + 1) * T)));
}

/** The last position whose mask is 1 in each row: the pooling rule, computed from the mask alone. */
export function lastMaskedIndex(attentionMask: Int32Array, shape: [number, number]): Int32Array {
  const [B, T] = shape;
  const out = new Int32Array(B).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let t = T - 1; t >= 0; t--) {
      if (attentionMask[b * T + t] === 1) {
        out[b] = t;
        break;
      }
    }
  }
  return out;
}

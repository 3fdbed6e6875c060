// BERT's masked-LM corruption (Devlin et al., 2019): each real, non-special token is selected with probability
// `rate` (15%); a selected token becomes [MASK] with probability 0.8, a random non-special token with 0.1, and stays
// itself with 0.1. Labels hold the original id at selected positions and -100 (ignored) everywhere else. Special
// tokens ([CLS], [SEP], [PAD], ...) and padding are never selected. `queryRate` selects the first segment's tokens
// (token type 0: the query of a query-document pair) at a rate of their own, so that recovering them needs the
// document: the matching a cross-encoder ranks with.
import { DisrankerError } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { IGNORE_INDEX, type EncodedBatch } from './batch.js';

export const MLM_DEFAULTS = { rate: 0.15, maskFraction: 0.8, randomFraction: 0.1 };

export interface MlmOptions {
  maskId: number;
  vocabSize: number;
  /** ids never selected (the tokenizer's special tokens) */
  specialIds: ReadonlySet<number>;
  rate?: number;
  /** selection rate of the first segment's tokens (token type 0, the query of a pair); default: `rate` */
  queryRate?: number;
  maskFraction?: number;
  randomFraction?: number;
}

/** Corrupts an encoded batch for MLM in place of a copy: returns new input ids and the labels ([B*T] each). */
export function maskTokens(batch: EncodedBatch, rng: Random, opts: MlmOptions): { inputIds: Int32Array; labels: Int32Array; selected: number } {
  const rate = opts.rate ?? MLM_DEFAULTS.rate;
  const queryRate = opts.queryRate ?? rate;
  const pMask = opts.maskFraction ?? MLM_DEFAULTS.maskFraction;
  const pRandom = opts.randomFraction ?? MLM_DEFAULTS.randomFraction;
  if (!(rate > 0 && rate < 1) || !(queryRate > 0 && queryRate <= 1) || pMask < 0 || pRandom < 0 || pMask + pRandom > 1) {
    throw new DisrankerError('DR_ERR_USAGE', `MLM: rate must be in (0, 1), queryRate in (0, 1] and maskFraction + randomFraction ≤ 1, got ${rate}, ${queryRate}, ${pMask}, ${pRandom}`);
  }
  const ordinary: number[] = [];
  for (let id = 0; id < opts.vocabSize; id++) if (!opts.specialIds.has(id)) ordinary.push(id);
  const inputIds = Int32Array.from(batch.inputIds);
  const labels = new Int32Array(inputIds.length).fill(IGNORE_INDEX);
  let selected = 0;
  for (let i = 0; i < inputIds.length; i++) {
    if (batch.attentionMask[i] === 0 || opts.specialIds.has(inputIds[i])) continue;
    if (rng.next() >= (batch.tokenTypeIds[i] === 0 ? queryRate : rate)) continue;
    selected++;
    labels[i] = inputIds[i];
    const u = rng.next();
    if (u < pMask) inputIds[i] = opts.maskId;
    else if (u < pMask + pRandom) inputIds[i] = ordinary[rng.int(ordinary.length)];
  }
  return { inputIds, labels, selected };
}

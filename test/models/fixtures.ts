// Shared helpers for the model tests: the HF parity fixtures (test/fixtures/hf) as tensors, and maxdiff.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, type Tensor } from '../../src/engine/index.js';
import { FIXTURES } from '../helpers/env.js';

export const HF = join(FIXTURES, 'hf');

export interface FixtureBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  position_ids?: number[][];
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function batches(dir: string): Record<string, FixtureBatch> {
  return readJson<{ batches: Record<string, FixtureBatch> }>(join(HF, dir, 'inputs.json')).batches;
}

export function expected<T = Record<string, unknown>>(dir: string): T {
  return readJson<T>(join(HF, dir, 'expected.json'));
}

export function toTensors(b: FixtureBatch): { inputIds: Tensor; attentionMask: Tensor; tokenTypeIds?: Tensor; positionIds?: Tensor } {
  const i64 = (x: number[][]) => tensor(x, { dtype: 'int64' });
  return {
    inputIds: i64(b.input_ids),
    attentionMask: i64(b.attention_mask),
    tokenTypeIds: b.token_type_ids ? i64(b.token_type_ids) : undefined,
    positionIds: b.position_ids ? i64(b.position_ids) : undefined,
  };
}

/** max |a - fround(b)| over the entries where keep (if given) is true. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: (i: number) => boolean): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) m = Math.max(m, Math.abs(a[i] - Math.fround(b[i])));
  return m;
}

/** Nested number arrays flattened. */
export function flat(x: unknown): number[] {
  return (x as unknown[]).flat(Infinity as 1) as number[];
}

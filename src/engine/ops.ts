// Tensor creation and the functional ops (the ones that are not methods of one tensor).
import { DisrankerError } from '../util/errors.js';
import { DTYPE_BYTES, DTYPE_CODES, type AnyTypedArray, type DType, type Device } from './dtype.js';
import { nat, reductionCode, Tensor, type Reduction, type Scalar } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
}

type NestedNumbers = number | boolean | bigint | NestedNumbers[];

/**
 * Creates a tensor from data: a typed array (with `shape`), or nested arrays of numbers.
 * The default dtype follows the data: Float32Array → float32, Float64Array → float64, Int32Array → int32,
 * BigInt64Array → int64, Uint8Array → uint8, number[] → float32 (or `dtype`).
 */
export function tensor(data: AnyTypedArray | NestedNumbers, options: CreateOptions & { shape?: number[] } = {}): Tensor {
  let flat: AnyTypedArray;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    shape = options.shape ?? [data.length];
    dtype = options.dtype ?? defaultDTypeOf(data);
    flat = data;
  } else {
    shape = options.shape ?? inferShape(data);
    dtype = options.dtype ?? 'float32';
    flat = packNumbers(flattenNested(data), dtype);
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length * flat.BYTES_PER_ELEMENT !== expected * DTYPE_BYTES[dtype]) {
    // A typed array of another element type than the dtype: convert through numbers.
    if (flat.length !== expected) {
      throw new DisrankerError('DR_ERR_TENSOR', `tensor(): ${flat.length} values do not fill shape [${shape}] (${expected} elements)`);
    }
    flat = packNumbers(Array.from(flat as ArrayLike<number | bigint>, Number), dtype);
  }
  return new Tensor(nat().fromBuffer(flat, shape, DTYPE_CODES[dtype], options.device ?? null));
}

function defaultDTypeOf(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'uint8';
  throw new DisrankerError('DR_ERR_TENSOR', 'tensor(): a Uint16Array needs an explicit dtype (bfloat16 or float16)');
}

function inferShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flattenNested(data: NestedNumbers): number[] {
  if (!Array.isArray(data)) return [Number(data)];
  return (data as unknown[]).flat(Infinity).map((x) => Number(x));
}

/** Packs numbers into the byte layout of `dtype` (bf16: round to nearest even). */
export function packNumbers(values: ArrayLike<number>, dtype: DType): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'bool':
    case 'uint8':
      return Uint8Array.from(values, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
    case 'bfloat16': {
      const f = Float32Array.from(values);
      const u = new Uint32Array(f.buffer);
      return Uint16Array.from(u, (bits) => (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
    case 'float16': {
      const f = Float32Array.from(values);
      const t = new Tensor(nat().fromBuffer(f, [f.length], DTYPE_CODES.float32, null));
      const h = t.to('float16');
      try {
        return h.data() as Uint16Array;
      } finally {
        h.dispose();
        t.dispose();
      }
    }
  }
}

const code = (o: CreateOptions) => [DTYPE_CODES[o.dtype ?? 'float32'], o.device ?? null] as const;

export function zeros(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(nat().zeros(shape, ...code(o)));
}
export function ones(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(nat().ones(shape, ...code(o)));
}
export function full(shape: number[], value: Scalar, o: CreateOptions = {}): Tensor {
  return new Tensor(nat().full(shape, value, ...code(o)));
}
/** Standard normal samples from torch's default generator (see manualSeed). */
export function randn(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(nat().randn(shape, ...code(o)));
}
export function rand(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(nat().rand(shape, ...code(o)));
}
/** Integers in [low, high), int64 by default. */
export function randint(low: number, high: number, shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(nat().randint(low, high, shape, DTYPE_CODES[o.dtype ?? 'int64'], o.device ?? null));
}
export function randperm(n: number): Tensor {
  return new Tensor(nat().randperm(n));
}
/** [start, end) with step; int64 unless a dtype is given. */
export function arange(start: number, end: number, step = 1, o: CreateOptions = {}): Tensor {
  return new Tensor(nat().arange(start, end, step, DTYPE_CODES[o.dtype ?? 'int64'], o.device ?? null));
}
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(nat().zerosLike(t.handle));
}
export function onesLike(t: Tensor): Tensor {
  return new Tensor(nat().onesLike(t.handle));
}

export function cat(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(nat().cat(ts.map((t) => t.handle), dim));
}
export function stack(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(nat().stack(ts.map((t) => t.handle), dim));
}
/** cond ? a : b, elementwise with broadcasting. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return new Tensor(nat().where(cond.handle, a.handle, b.handle));
}
export function bmm(a: Tensor, b: Tensor): Tensor {
  return new Tensor(nat().bmm(a.handle, b.handle));
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return new Tensor(nat().outer(a.handle, b.handle));
}

// ---- layers as functions ----------------------------------------------------------------------------
/** x @ weightᵀ + bias, with weight [out, in] as in torch.nn.Linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(nat().linear(x.handle, weight.handle, bias ? bias.handle : null));
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  return new Tensor(nat().layerNorm(x.handle, normalizedShape, weight?.handle ?? null, bias?.handle ?? null, eps));
}
/** weight · x / sqrt(mean(x², -1) + eps), computed in float32 (LlamaRMSNorm). */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps: number): Tensor {
  return new Tensor(nat().rmsNorm(x.handle, weight?.handle ?? null, eps));
}
export function embedding(weight: Tensor, indices: Tensor, paddingIdx = -1): Tensor {
  return new Tensor(nat().embedding(weight.handle, indices.handle, paddingIdx));
}

// ---- losses --------------------------------------------------------------------------------------------
/** Cross entropy of logits [N, C] against class indices [N]; targets equal to ignoreIndex do not count. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {},
): Tensor {
  return new Tensor(
    nat().crossEntropy(logits.handle, target.handle, opts.ignoreIndex ?? -100, reductionCode(opts.reduction ?? 'mean'), opts.labelSmoothing ?? 0),
  );
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(nat().mseLoss(input.handle, target.handle, reductionCode(reduction)));
}
export function bceWithLogits(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(nat().bceWithLogits(logits.handle, target.handle, reductionCode(reduction)));
}

// Data types and devices. The codes must match native/src/tensor.cc.

export type DType = 'float32' | 'float64' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

export const DTYPE_CODES: Record<DType, number> = {
  float32: 0,
  float64: 1,
  bfloat16: 2,
  float16: 3,
  int64: 4,
  int32: 5,
  bool: 6,
  uint8: 7,
};

export const DTYPES_BY_CODE: DType[] = ['float32', 'float64', 'bfloat16', 'float16', 'int64', 'int32', 'bool', 'uint8'];

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  bfloat16: 2,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
};

/** Short aliases accepted wherever a dtype is named (CLI flags, configs): fp32, bf16, f16, ... */
const ALIASES: Record<string, DType> = {
  fp32: 'float32',
  f32: 'float32',
  float: 'float32',
  fp64: 'float64',
  f64: 'float64',
  double: 'float64',
  bf16: 'bfloat16',
  fp16: 'float16',
  f16: 'float16',
  half: 'float16',
  i64: 'int64',
  long: 'int64',
  i32: 'int32',
  int: 'int32',
  u8: 'uint8',
};

export function parseDType(name: string): DType {
  const d = (name in DTYPE_CODES ? name : ALIASES[name.toLowerCase()]) as DType | undefined;
  if (!d) throw new Error(`unknown dtype '${name}' (expected one of ${Object.keys(DTYPE_CODES).join(', ')}, or fp32/bf16/fp16)`);
  return d;
}

export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : D extends 'bfloat16' | 'float16'
          ? Uint16Array
          : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;

/** Views raw bytes as the typed array that holds `dtype` (bf16/f16 as raw Uint16 bit patterns). */
export function typedArrayOf(dtype: DType, buf: ArrayBuffer, byteOffset = 0, length?: number): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, byteOffset, length);
    case 'float64':
      return new Float64Array(buf, byteOffset, length);
    case 'int64':
      return new BigInt64Array(buf, byteOffset, length);
    case 'int32':
      return new Int32Array(buf, byteOffset, length);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(buf, byteOffset, length);
    case 'bool':
    case 'uint8':
      return new Uint8Array(buf, byteOffset, length);
  }
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}

/** A device string as torch spells it: 'cpu', 'cuda', 'cuda:1'. */
export type Device = string;

// The Tensor: a handle to an at::Tensor held by the addon, with torch-like methods.
// Every method returns a new tensor owned by the current tidy() scope (see scope.ts).
import { DisrankerError } from '../util/errors.js';
import { DTYPE_CODES, DTYPES_BY_CODE, isFloating, typedArrayOf, type AnyTypedArray, type DType, type Device } from './dtype.js';
import { native, type Native } from './native.js';
import { track, type Disposable } from './scope.js';

export type Scalar = number;
export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

let N: Native;
/** The addon, loaded on first use. */
export function nat(): Native {
  return (N ??= native());
}

export class Tensor implements Disposable {
  private _handle: number;
  private _shape: number[] | undefined;
  private _dtype: DType | undefined;
  scope: Disposable[] | null = null;

  /** Wraps a native handle; used by the engine. Users create tensors with tensor(), zeros(), ... */
  constructor(handle: number) {
    this._handle = handle;
    track(this);
  }

  /** The native handle; throws a clear error once the tensor is disposed. */
  get handle(): number {
    if (this._handle < 0) {
      throw new DisrankerError('DR_ERR_TENSOR', `tensor${this._shape ? ` of shape [${this._shape}]` : ''} was used after dispose()`);
    }
    return this._handle;
  }

  get isDisposed(): boolean {
    return this._handle < 0;
  }

  dispose(): void {
    if (this._handle >= 0) {
      nat().dispose(this._handle);
      this._handle = -1;
    }
  }

  get shape(): number[] {
    return (this._shape ??= nat().shape(this.handle) as number[]);
  }
  get dtype(): DType {
    return (this._dtype ??= DTYPES_BY_CODE[nat().dtype(this.handle) as number]);
  }
  get device(): Device {
    return nat().device(this.handle) as string;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const s = this.shape;
    return s[dim < 0 ? s.length + dim : dim];
  }

  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- data out -----------------------------------------------------------------------------------
  /** A copy of the data as the typed array of its dtype (bf16/f16 as raw Uint16 bits, bool as Uint8). */
  data(): AnyTypedArray {
    return typedArrayOf(this.dtype, nat().toBuffer(this.handle) as ArrayBuffer);
  }
  /** The data as float32 (any dtype converted). */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return this.data() as Float32Array;
    const t = this.to('float32');
    try {
      return t.data() as Float32Array;
    } finally {
      t.dispose();
    }
  }
  /** The data as a flat number[] (int64 converted with Number()). */
  toArray(): number[] {
    const d = this.isFloatingPoint() && this.dtype !== 'float32' && this.dtype !== 'float64' ? this.toFloat32Array() : this.data();
    return Array.from(d as ArrayLike<number | bigint>, Number);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    return nat().item(this.handle) as number;
  }
  isFloatingPoint(): boolean {
    return isFloating(this.dtype);
  }

  // ---- autograd -------------------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return nat().requiresGrad(this.handle) as boolean;
  }
  /** Marks a leaf tensor as needing gradients (returns this). */
  requiresGrad_(on = true): this {
    nat().setRequiresGrad(this.handle, on);
    return this;
  }
  get isLeaf(): boolean {
    return nat().isLeaf(this.handle) as boolean;
  }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const h = nat().grad(this.handle) as number | null;
    return h === null ? null : new Tensor(h);
  }
  /** Backpropagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor, retainGraph = false): void {
    nat().backward(this.handle, gradient ? gradient.handle : null, retainGraph);
  }
  detach(): Tensor {
    return new Tensor(nat().detach(this.handle));
  }

  // ---- elementwise ----------------------------------------------------------------------------------
  add(o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat().addScalar(this.handle, o) : nat().add(this.handle, o.handle));
  }
  sub(o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat().subScalar(this.handle, o) : nat().sub(this.handle, o.handle));
  }
  /** s - this */
  rsub(s: Scalar): Tensor {
    return new Tensor(nat().rsubScalar(this.handle, s));
  }
  mul(o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat().mulScalar(this.handle, o) : nat().mul(this.handle, o.handle));
  }
  div(o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat().divScalar(this.handle, o) : nat().div(this.handle, o.handle));
  }
  pow(o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat().powScalar(this.handle, o) : nat().pow(this.handle, o.handle));
  }
  maximum(o: Tensor): Tensor {
    return new Tensor(nat().maximum(this.handle, o.handle));
  }
  minimum(o: Tensor): Tensor {
    return new Tensor(nat().minimum(this.handle, o.handle));
  }
  eq(o: Tensor | Scalar): Tensor {
    return this.cmp('eq', o);
  }
  ne(o: Tensor | Scalar): Tensor {
    return this.cmp('ne', o);
  }
  lt(o: Tensor | Scalar): Tensor {
    return this.cmp('lt', o);
  }
  le(o: Tensor | Scalar): Tensor {
    return this.cmp('le', o);
  }
  gt(o: Tensor | Scalar): Tensor {
    return this.cmp('gt', o);
  }
  ge(o: Tensor | Scalar): Tensor {
    return this.cmp('ge', o);
  }
  private cmp(op: string, o: Tensor | Scalar): Tensor {
    return new Tensor(typeof o === 'number' ? nat()[`${op}Scalar`](this.handle, o) : nat()[op](this.handle, o.handle));
  }
  logicalAnd(o: Tensor): Tensor {
    return new Tensor(nat().logicalAnd(this.handle, o.handle));
  }
  logicalOr(o: Tensor): Tensor {
    return new Tensor(nat().logicalOr(this.handle, o.handle));
  }
  logicalNot(): Tensor {
    return this.unary('logicalNot');
  }
  neg(): Tensor {
    return this.unary('neg');
  }
  abs(): Tensor {
    return this.unary('abs');
  }
  sign(): Tensor {
    return this.unary('sign');
  }
  exp(): Tensor {
    return this.unary('exp');
  }
  log(): Tensor {
    return this.unary('log');
  }
  log1p(): Tensor {
    return this.unary('log1p');
  }
  sqrt(): Tensor {
    return this.unary('sqrt');
  }
  rsqrt(): Tensor {
    return this.unary('rsqrt');
  }
  square(): Tensor {
    return this.unary('square');
  }
  reciprocal(): Tensor {
    return this.unary('reciprocal');
  }
  sin(): Tensor {
    return this.unary('sin');
  }
  cos(): Tensor {
    return this.unary('cos');
  }
  tanh(): Tensor {
    return this.unary('tanh');
  }
  sigmoid(): Tensor {
    return this.unary('sigmoid');
  }
  logsigmoid(): Tensor {
    return this.unary('logsigmoid');
  }
  softplus(): Tensor {
    return this.unary('softplus');
  }
  relu(): Tensor {
    return this.unary('relu');
  }
  silu(): Tensor {
    return this.unary('silu');
  }
  /** GELU; approximate 'none' is the exact erf form (BERT's "gelu"), 'tanh' is "gelu_new". */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(nat().gelu(this.handle, approximate));
  }
  clamp(min: Scalar | null, max: Scalar | null = null): Tensor {
    return new Tensor(nat().clamp(this.handle, min, max));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor {
    return new Tensor(nat().maskedFill(this.handle, mask.handle, value));
  }
  /** Dropout with probability p, active only when `training`. */
  dropout(p: number, training: boolean): Tensor {
    return new Tensor(nat().dropout(this.handle, p, training));
  }
  contiguous(): Tensor {
    return this.unary('contiguous');
  }
  clone(): Tensor {
    return this.unary('clone');
  }
  private unary(op: string): Tensor {
    return new Tensor(nat()[op](this.handle));
  }

  // ---- reductions -------------------------------------------------------------------------------------
  sum(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(nat().sum(this.handle, dimsArg(dims), keepdim));
  }
  mean(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(nat().mean(this.handle, dimsArg(dims), keepdim));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor {
    return new Tensor(nat().logsumexp(this.handle, dimsArg(dims), keepdim));
  }
  /** The largest element (no dim), or [values, indices] along dim. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): [Tensor, Tensor];
  max(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(nat().maxAll(this.handle));
    const [v, i] = nat().maxDim(this.handle, dim, keepdim) as number[];
    return [new Tensor(v), new Tensor(i)];
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): [Tensor, Tensor];
  min(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(nat().minAll(this.handle));
    const [v, i] = nat().minDim(this.handle, dim, keepdim) as number[];
    return [new Tensor(v), new Tensor(i)];
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(nat().argmax(this.handle, dim ?? null, keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(nat().cumsum(this.handle, dim));
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = nat().sort(this.handle, dim, descending) as number[];
    return [new Tensor(v), new Tensor(i)];
  }
  topk(k: number, dim = -1): [Tensor, Tensor] {
    const [v, i] = nat().topk(this.handle, k, dim) as number[];
    return [new Tensor(v), new Tensor(i)];
  }
  softmax(dim: number): Tensor {
    return new Tensor(nat().softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(nat().logSoftmax(this.handle, dim));
  }

  // ---- linear algebra -----------------------------------------------------------------------------------
  matmul(o: Tensor): Tensor {
    return new Tensor(nat().matmul(this.handle, o.handle));
  }

  // ---- shape ----------------------------------------------------------------------------------------------
  reshape(...shape: number[]): Tensor {
    return new Tensor(nat().reshape(this.handle, shape));
  }
  view(...shape: number[]): Tensor {
    return new Tensor(nat().view(this.handle, shape));
  }
  permute(...dims: number[]): Tensor {
    return new Tensor(nat().permute(this.handle, dims));
  }
  transpose(d0: number, d1: number): Tensor {
    return new Tensor(nat().transpose(this.handle, d0, d1));
  }
  /** Transpose of the last two dims. */
  get T(): Tensor {
    return this.transpose(-2, -1);
  }
  expand(...shape: number[]): Tensor {
    return new Tensor(nat().expand(this.handle, shape));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(nat().squeeze(this.handle, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(nat().unsqueeze(this.handle, dim));
  }
  flatten(start = 0, end = -1): Tensor {
    return new Tensor(nat().flatten(this.handle, start, end));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(nat().narrow(this.handle, dim, start, length));
  }
  /** Python's t[..., start:end:step] along dim (negative indices count from the end). */
  slice(dim: number, start: number, end: number = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return new Tensor(nat().slice(this.handle, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(nat().select(this.handle, dim, index));
  }
  flip(...dims: number[]): Tensor {
    return new Tensor(nat().flip(this.handle, dims));
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return new Tensor(nat().repeatInterleave(this.handle, repeats, dim));
  }
  repeat(...times: number[]): Tensor {
    return new Tensor(nat().repeat(this.handle, times));
  }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return (nat().split(this.handle, sizeOrSizes, dim) as number[]).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return (nat().chunk(this.handle, chunks, dim) as number[]).map((h) => new Tensor(h));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(nat().indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(nat().gather(this.handle, dim, index.handle));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(nat().triu(this.handle, diagonal));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(nat().tril(this.handle, diagonal));
  }

  // ---- dtype and device --------------------------------------------------------------------------------------
  /** A copy in another dtype or on another device (or this tensor's data unchanged in a new handle). */
  to(target: DType | Device): Tensor {
    if (target in DTYPE_CODES) return new Tensor(nat().toDtype(this.handle, DTYPE_CODES[target as DType]));
    return new Tensor(nat().toDevice(this.handle, target));
  }
  float(): Tensor {
    return this.to('float32');
  }

  // ---- in place (no autograd; for parameters) ------------------------------------------------------------
  /** Copies src's values into this tensor (converting dtype/device), outside autograd. */
  copy_(src: Tensor): this {
    nat().copyInto(this.handle, src.handle);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    nat().normal_(this.handle, mean, std);
    return this;
  }
  uniform_(low = 0, high = 1): this {
    nat().uniform_(this.handle, low, high);
    return this;
  }
  fill_(value: Scalar): this {
    nat().fill_(this.handle, value);
    return this;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function dimsArg(dims: number | number[] | undefined): number[] | null {
  if (dims === undefined) return null;
  return typeof dims === 'number' ? [dims] : dims;
}

export function reductionCode(r: Reduction): number {
  return REDUCTION[r];
}

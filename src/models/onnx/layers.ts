// Layers shared by the BERT and decoder graphs: Linear (float32 or int8 dynamically quantised), LayerNorm,
// RMSNorm, GELU, SiLU, and splitting/merging attention heads. Each takes and returns value names.
import { DataType } from './proto.js';
import { transposed, type GraphBuilder } from './graph.js';

/** A weight by its state-dict name: float32 data, row-major, with its shape. */
export type WeightSource = (name: string) => { data: Float32Array; shape: number[] };

export interface LayerOptions {
  /** 'int8': Linear weights are stored as int8 (one scale per output column) and activations are quantised per
   *  tensor at run time (DynamicQuantizeLinear → MatMulInteger), as onnxruntime's quantize_dynamic does. */
  quantize?: 'int8';
}

function weight(w: WeightSource, name: string, dims: number): { data: Float32Array; shape: number[] } {
  const t = w(name);
  if (t.shape.length !== dims) throw new Error(`${name}: expected ${dims} dims, got [${t.shape}]`);
  return t;
}

/** Symmetric int8 per output column: scale_j = max_i |W[i, j]| / 127, q = round(W / scale). Wt is [in, out]. */
export function quantizeColumns(wt: Float32Array, inp: number, out: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(out);
  for (let i = 0; i < inp; i++) for (let j = 0; j < out; j++) scale[j] = Math.max(scale[j], Math.abs(wt[i * out + j]));
  for (let j = 0; j < out; j++) scale[j] = scale[j] > 0 ? scale[j] / 127 : 1;
  const q = new Int8Array(wt.length);
  for (let i = 0; i < inp; i++) for (let j = 0; j < out; j++) q[i * out + j] = Math.max(-127, Math.min(127, Math.round(wt[i * out + j] / scale[j])));
  return { q, scale };
}

/** y = x Wᵀ + b for the torch Linear `prefix` (weight [out, in], optional bias [out]); x (..., in) → (..., out). */
export function linear(g: GraphBuilder, w: WeightSource, prefix: string, x: string, opts: LayerOptions & { bias?: boolean; quantizable?: boolean } = {}): string {
  const W = weight(w, `${prefix}.weight`, 2);
  const [out, inp] = W.shape;
  const wt = transposed(W.data, out, inp); // [in, out]
  let y: string;
  if (opts.quantize === 'int8' && opts.quantizable !== false) {
    const { q, scale } = quantizeColumns(wt, inp, out);
    const [xq, xScale, xZero] = g.opN('DynamicQuantizeLinear', [x], 3); // uint8 activations, one scale per tensor
    const acc = g.op('MatMulInteger', [xq, g.i8(`${prefix}.weight_int8`, q, [inp, out]), xZero]); // int32
    const s = g.op('Mul', [xScale, g.f32(`${prefix}.weight_scale`, scale, [out])]);
    y = g.op('Mul', [g.op('Cast', [acc], { to: { i: DataType.FLOAT } }), s]);
  } else {
    y = g.op('MatMul', [x, g.f32(`${prefix}.weight_t`, wt, [inp, out])]);
  }
  if (opts.bias === false) return y;
  const b = weight(w, `${prefix}.bias`, 1);
  return g.op('Add', [y, g.f32(`${prefix}.bias`, b.data, b.shape)]);
}

/** LayerNormalization (opset 17) over the last axis with the torch LayerNorm `prefix`. */
export function layerNorm(g: GraphBuilder, w: WeightSource, prefix: string, x: string, eps: number): string {
  const gamma = weight(w, `${prefix}.weight`, 1);
  const beta = weight(w, `${prefix}.bias`, 1);
  return g.op('LayerNormalization', [x, g.f32(`${prefix}.weight`, gamma.data, gamma.shape), g.f32(`${prefix}.bias`, beta.data, beta.shape)], {
    axis: { i: -1 },
    epsilon: { f: eps },
  });
}

/** RMSNorm: w · x / sqrt(mean(x², -1) + eps), in float32 (decomposed: there is no RMSNorm op before opset 23). */
export function rmsNorm(g: GraphBuilder, w: WeightSource, prefix: string, x: string, eps: number): string {
  const gamma = weight(w, `${prefix}.weight`, 1);
  const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } }); // (..., 1)
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, g.scalar(eps)])])]);
  return g.op('Mul', [g.f32(`${prefix}.weight`, gamma.data, gamma.shape), g.op('Mul', [x, inv])]);
}

/** Exact GELU: x · ½ · (1 + erf(x / √2)); tanh GELU for 'gelu_new'; or ReLU. */
export function activation(g: GraphBuilder, x: string, act: 'gelu' | 'gelu_new' | 'relu'): string {
  if (act === 'relu') return g.op('Relu', [x]);
  if (act === 'gelu') {
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)])]);
    return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [erf, g.scalar(1)])]);
  }
  // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])]);
}

/** SiLU: x · sigmoid(x). */
export function silu(g: GraphBuilder, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

/** (B, T, n·hs) → (B, n, T, hs) */
export function splitHeads(g: GraphBuilder, x: string, n: number, hs: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.i64([0, 0, n, hs])])], { perm: { ints: [0, 2, 1, 3] } });
}

/** (B, n, T, hs) → (B, T, n·hs) */
export function mergeHeads(g: GraphBuilder, x: string, H: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], { perm: { ints: [0, 2, 1, 3] } }), g.i64([0, 0, H])]);
}

// The decoder score model (LlamaForSequenceClassification / Qwen2ForSequenceClassification, or our two-head
// decoder with its score head) as an ONNX graph, node for node what ../llama.ts computes in eval mode:
// embed_tokens → N × [x + attn(RMSNorm(x)), h + SwiGLU(RMSNorm(h))] → model.norm → the hidden state at the LAST
// position whose attention_mask is 1 → score. Only the score head is exported (serving ranks; it does not generate).
//
// - position_ids = arange(T) for every row, whatever the mask (HF's default and ../llama.ts's).
// - RoPE, half-split (rotate_half): angle(t, j) = t · inv_freq[j mod hd/2], cos/sin computed in the graph from
//   the positions in float32 (linear rope_scaling divides the positions by its factor).
// - GQA: query head h reads kv head h // (nh / nkv) (repeat_kv = Expand + Reshape).
// - Additive mask finfo(float32).min at future and padded keys, as ../llama.ts's causalPaddingMask.
// Inputs input_ids, attention_mask: int64 (batch, sequence); output logits: float (batch, num_labels).
//
// Shapes: B batch, T tokens, H hidden, nh query heads, nkv key/value heads, hd = H / nh.
import type { LlamaConfig } from '../llama.js';
import { MASK_MIN_F32 } from './bert.js';
import { GraphBuilder } from './graph.js';
import { linear, mergeHeads, rmsNorm, silu, splitHeads, type LayerOptions, type WeightSource } from './layers.js';
import { DataType, type GraphProto } from './proto.js';

export const DECODER_INPUTS = ['input_ids', 'attention_mask'] as const;

/** inv_freq[i] = 1 / theta^(2i / hd) in float32, as ../llama.ts (and HF) compute it. */
function inverseFrequencies(theta: number, hd: number): Float32Array {
  return Float32Array.from({ length: hd / 2 }, (_, i) => 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / hd))));
}

export function decoderGraph(c: LlamaConfig, w: WeightSource, opts: LayerOptions = {}): GraphProto {
  const g = new GraphBuilder();
  const H = c.hidden_size;
  const nh = c.num_attention_heads;
  const nkv = c.num_key_value_heads;
  const hd = H / nh;
  const qkvBias = c.attention_bias;
  const oBias = c.model_type === 'llama' && c.attention_bias;
  const lin = (prefix: string, x: string, bias: boolean) => linear(g, w, prefix, x, { ...opts, bias });

  // ---- positions and rotary tables
  const T = g.op('Squeeze', [g.op('Slice', [g.op('Shape', ['input_ids']), g.i64([1]), g.i64([2])])]); // scalar T
  const idx = g.op('Range', [g.i64([0], []), T, g.i64([1], [])]); // (T) int64
  let pos = g.op('Cast', [idx], { to: { i: DataType.FLOAT } });
  const scale = c.rope_scaling ? Number(c.rope_scaling.factor) : 1;
  if (scale !== 1) pos = g.op('Div', [pos, g.scalar(scale)]);
  const invFreq = inverseFrequencies(c.rope_theta, hd);
  const freqs = g.op('Mul', [g.op('Unsqueeze', [pos, g.i64([1])]), g.f32('rope.inv_freq', invFreq, [hd / 2])]); // (T, hd/2)
  const angles = g.op('Concat', [freqs, freqs], { axis: { i: -1 } }); // (T, hd)
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);
  const rotary = (x: string) => {
    // x·cos + rotate_half(x)·sin, rotate_half([x1, x2]) = [-x2, x1] on the last axis
    const x1 = g.op('Slice', [x, g.i64([0]), g.i64([hd / 2]), g.i64([-1])]);
    const x2 = g.op('Slice', [x, g.i64([hd / 2]), g.i64([hd]), g.i64([-1])]);
    const rot = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: { i: -1 } });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rot, sin])]);
  };

  // ---- additive mask (B, 1, T, T): finfo.min where key j > query i or key j is padding
  const future = g.op('Unsqueeze', [g.op('Greater', [g.op('Unsqueeze', [idx, g.i64([0])]), g.op('Unsqueeze', [idx, g.i64([1])])]), g.i64([0, 1])]); // (1, 1, T, T)
  const padded = g.op('Unsqueeze', [g.op('Equal', ['attention_mask', g.i64([0], [])]), g.i64([1, 2])]); // (B, 1, 1, T)
  const mask = g.op('Mul', [g.op('Cast', [g.op('Or', [future, padded])], { to: { i: DataType.FLOAT } }), g.scalar(MASK_MIN_F32)]);

  // ---- body
  const embed = w('model.embed_tokens.weight');
  let x = g.op('Gather', [g.f32('model.embed_tokens.weight', embed.data, embed.shape), 'input_ids']); // (B, T, H)
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const n1 = rmsNorm(g, w, `${p}.input_layernorm`, x, c.rms_norm_eps);
    const q = rotary(splitHeads(g, lin(`${p}.self_attn.q_proj`, n1, qkvBias), nh, hd)); // (B, nh, T, hd)
    let k = rotary(splitHeads(g, lin(`${p}.self_attn.k_proj`, n1, qkvBias), nkv, hd)); // (B, nkv, T, hd)
    let v = splitHeads(g, lin(`${p}.self_attn.v_proj`, n1, qkvBias), nkv, hd); // (B, nkv, T, hd)
    if (nkv !== nh) {
      // repeat_kv: (B, nkv, T, hd) → (B, nkv, rep, T, hd) → (B, nh, T, hd)
      const rep = (t: string) => g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [t, g.i64([2])]), g.i64([1, 1, nh / nkv, 1, 1])]), g.i64([0, nh, -1, hd])]);
      k = rep(k);
      v = rep(v);
    }
    const kT = g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } }); // (B, nh, hd, T)
    const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, kT]), g.scalar(Math.sqrt(hd))]), mask]); // (B, nh, T, T)
    const ctx = mergeHeads(g, g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), v]), H); // (B, T, H)
    const h = g.op('Add', [x, lin(`${p}.self_attn.o_proj`, ctx, oBias)]);
    const n2 = rmsNorm(g, w, `${p}.post_attention_layernorm`, h, c.rms_norm_eps);
    const mlp = lin(`${p}.mlp.down_proj`, g.op('Mul', [silu(g, lin(`${p}.mlp.gate_proj`, n2, false)), lin(`${p}.mlp.up_proj`, n2, false)]), false);
    x = g.op('Add', [h, mlp]);
  }
  x = rmsNorm(g, w, 'model.norm', x, c.rms_norm_eps); // (B, T, H)

  // ---- pool the last position whose mask is 1: max_t(mask[b, t] · t), then the score head
  const last = g.op('ReduceMax', [g.op('Mul', ['attention_mask', idx])], { axes: { ints: [-1] }, keepdims: { i: 1 } }); // (B, 1)
  const gatherIdx = g.op('Expand', [g.op('Unsqueeze', [last, g.i64([2])]), g.i64([1, 1, H])]); // (B, 1, H)
  const pooled = g.op('Squeeze', [g.op('GatherElements', [x, gatherIdx], { axis: { i: 1 } }), g.i64([1])]); // (B, H)
  linear(g, w, 'score', pooled, { ...opts, bias: false, quantizable: false });
  g.nodes[g.nodes.length - 1].output = ['logits'];

  const io = (name: string) => ({ name, type: DataType.INT64, dims: ['batch', 'sequence'] });
  return g.graph(`${c.model_type === 'qwen2' ? 'Qwen2' : 'Llama'}ForSequenceClassification`, DECODER_INPUTS.map(io), [
    { name: 'logits', type: DataType.FLOAT, dims: ['batch', c.num_labels] },
  ]);
}

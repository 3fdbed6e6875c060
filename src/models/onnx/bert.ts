// BertForSequenceClassification as an ONNX graph, node for node what ../bert.ts computes in eval mode:
// embeddings (word + token type + position, LayerNorm) → N × [self-attention, dense + residual + LayerNorm,
// GELU FFN, dense + residual + LayerNorm] → pooler tanh(dense(h[:, 0])) → classifier.
// Inputs input_ids, attention_mask, token_type_ids: int64 (batch, sequence); output logits: float (batch, num_labels).
// The additive mask is (1 - mask) · finfo(float32).min, as HF and ../bert.ts use.
//
// Shapes: B batch, T tokens, H hidden, nh heads, hs = H / nh head size.
import type { BertConfig } from '../bert.js';
import { GraphBuilder } from './graph.js';
import { activation, layerNorm, linear, mergeHeads, splitHeads, type LayerOptions, type WeightSource } from './layers.js';
import { DataType, type GraphProto } from './proto.js';

/** finfo(float32).min, the value ../bert.ts (MASK_MIN) and HF add at padded keys. */
export const MASK_MIN_F32 = -3.4028234663852886e38;

export const BERT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

export function bertGraph(c: BertConfig, w: WeightSource, opts: LayerOptions = {}): GraphProto {
  const g = new GraphBuilder();
  const H = c.hidden_size;
  const nh = c.num_attention_heads;
  const hs = H / nh;
  const lin = (prefix: string, x: string) => linear(g, w, prefix, x, opts);

  // ---- embeddings (B, T, H)
  const emb = (name: string) => {
    const t = w(`bert.embeddings.${name}.weight`);
    return g.f32(`bert.embeddings.${name}.weight`, t.data, t.shape);
  };
  const seqLen = g.op('Slice', [g.op('Shape', ['input_ids']), g.i64([1]), g.i64([2])]); // (1) = [T]
  const positions = g.op('Slice', [emb('position_embeddings'), g.i64([0]), seqLen, g.i64([0])]); // (T, H): rows 0..T-1
  let x = g.op('Add', [g.op('Add', [g.op('Gather', [emb('word_embeddings'), 'input_ids']), g.op('Gather', [emb('token_type_embeddings'), 'token_type_ids'])]), positions]);
  x = layerNorm(g, w, 'bert.embeddings.LayerNorm', x, c.layer_norm_eps);

  // ---- additive mask (B, 1, 1, T): 0 for tokens, finfo(float32).min for padding
  const keep = g.op('Cast', ['attention_mask'], { to: { i: DataType.FLOAT } });
  const mask = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar(1), keep]), g.scalar(MASK_MIN_F32)]), g.i64([1, 2])]);

  // ---- encoder
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = splitHeads(g, lin(`${p}.attention.self.query`, x), nh, hs); // (B, nh, T, hs)
    const kT = g.op('Transpose', [g.op('Reshape', [lin(`${p}.attention.self.key`, x), g.i64([0, 0, nh, hs])])], { perm: { ints: [0, 2, 3, 1] } }); // (B, nh, hs, T)
    const v = splitHeads(g, lin(`${p}.attention.self.value`, x), nh, hs); // (B, nh, T, hs)
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(hs))]), mask]); // (B, nh, T, T)
    const ctx = mergeHeads(g, g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), v]), H); // (B, T, H)
    const a = layerNorm(g, w, `${p}.attention.output.LayerNorm`, g.op('Add', [lin(`${p}.attention.output.dense`, ctx), x]), c.layer_norm_eps);
    const h = activation(g, lin(`${p}.intermediate.dense`, a), c.hidden_act); // (B, T, intermediate)
    x = layerNorm(g, w, `${p}.output.LayerNorm`, g.op('Add', [lin(`${p}.output.dense`, h), a]), c.layer_norm_eps);
  }

  // ---- pooler and classifier (small: kept in float32 when quantising)
  const cls = g.op('Gather', [x, g.i64([0], [])], { axis: { i: 1 } }); // (B, H)
  const pooled = g.op('Tanh', [linear(g, w, 'bert.pooler.dense', cls, { ...opts, quantizable: false })]);
  linear(g, w, 'classifier', pooled, { ...opts, quantizable: false });
  // Rename the last node's output to the graph output `logits`.
  const last = g.nodes[g.nodes.length - 1];
  last.output = ['logits'];

  const io = (name: string) => ({ name, type: DataType.INT64, dims: ['batch', 'sequence'] });
  return g.graph('BertForSequenceClassification', BERT_INPUTS.map(io), [{ name: 'logits', type: DataType.FLOAT, dims: ['batch', c.num_labels] }]);
}

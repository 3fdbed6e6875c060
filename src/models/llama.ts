// Decoder LLM (the teacher), laid out and named like Hugging Face's LlamaForCausalLM / Qwen2ForCausalLM and
// *ForSequenceClassification, so real checkpoints (LLaMA, TinyLlama, Qwen2, RankLLaMA-style rankers) load unchanged.
// Read top to bottom: config → rotary embeddings → attention (GQA) → MLP (SwiGLU) → decoder layer → body → heads.
//
// One body, two heads:
//   - LM head `lm_head.weight` [V, H]: next-token logits, for continued pre-training (CPT) and generation;
//     with tie_word_embeddings it is model.embed_tokens.weight itself (checkpoints then omit lm_head.weight);
//   - score head `score.weight` [num_labels, H], no bias: applied to the hidden state of the LAST position whose
//     attention mask is 1 (the appended eos), which is right for left and right padding and whatever the pad id.
//
// What transformers 4.40.2 computes, and this file reproduces: pre-norm blocks, RMSNorm in float32,
// half-split RoPE (rotate_half), query head h reads kv head h // (nh / nkv), scores q·kᵀ / sqrt(hd) plus an
// additive mask of finfo(float32).min at future and padded keys, softmax in float32, position_ids = arange(T)
// unless given.
//
// Shapes: B batch, T tokens, H hidden, V vocab, nh query heads, nkv key/value heads, hd = H / nh head size.
import {
  arange,
  cat,
  crossEntropy,
  embedding,
  linear,
  tensor,
  Embedding,
  Linear,
  Module,
  RMSNorm,
  type Tensor,
} from '../engine/index.js';
import { DisrankerError } from '../util/errors.js';
import { MASK_MIN } from './bert.js';
import { labelledRows } from './labelled.js';

/** Fields of HF's LlamaConfig / Qwen2Config that the model reads; names are the config.json keys. */
export interface LlamaConfig {
  model_type: 'llama' | 'qwen2'; // which HF family (Qwen2 always has q/k/v biases)
  vocab_size: number; // V
  hidden_size: number; // H
  intermediate_size: number; // SwiGLU width
  num_hidden_layers: number; // decoder layers
  num_attention_heads: number; // nh
  num_key_value_heads: number; // nkv (GQA: nh must be a multiple of nkv; nkv = nh is plain multi-head)
  hidden_act: 'silu'; // the MLP activation (SwiGLU)
  max_position_embeddings: number; // longest sequence the model was trained for (not enforced by RoPE)
  rms_norm_eps: number; // RMSNorm epsilon
  rope_theta: number; // RoPE base
  rope_scaling: { type?: string; rope_type?: string; factor?: number } | null; // only null or linear scaling
  attention_bias: boolean; // q/k/v/o biases (LLaMA); Qwen2 has q/k/v biases whatever this says
  attention_dropout: number; // dropout on attention probabilities while training
  tie_word_embeddings: boolean; // lm_head shares model.embed_tokens.weight
  initializer_range: number; // std of the normal init
  bos_token_id: number | null; // beginning of sequence
  eos_token_id: number | number[] | null; // end of sequence (some configs list several)
  pad_token_id: number | null; // padding (also the embedding's padding_idx, as in HF)
  num_labels: number; // outputs of the score head (1 for a ranker)
  sliding_window: number | null; // Qwen2: attention window (transformers 4.40 applies it past this length even when
  //                                use_sliding_window is false); not implemented here, so longer inputs are refused
  use_sliding_window: boolean; // Qwen2's flag, kept for the round trip
  /**
   * Which position the score head pools (a disranker key; transformers ignores it):
   * `last_mask`: the last position whose attention mask is 1 (the eos; right for any padding and pad id);
   * `first_pad`: transformers 4.40's rule, the token before the first pad id (differs when pad = eos): use it for a
   * checkpoint fine-tuned with transformers whose pad_token_id equals its eos_token_id.
   */
  pooling: 'last_mask' | 'first_pad';
}

/** LlamaConfig's defaults (LLaMA-7B sizes); qwen2Config() switches to Qwen2Config's. */
export const LLAMA_DEFAULTS: LlamaConfig = {
  model_type: 'llama',
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  hidden_act: 'silu',
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  attention_bias: false,
  attention_dropout: 0,
  tie_word_embeddings: false,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: null,
  num_labels: 1,
  sliding_window: null,
  use_sliding_window: false,
  pooling: 'last_mask',
};

const QWEN2_DEFAULTS: Partial<LlamaConfig> = {
  model_type: 'qwen2',
  vocab_size: 151936,
  intermediate_size: 22016,
  max_position_embeddings: 32768,
  attention_bias: true,
  bos_token_id: null,
  eos_token_id: null,
  sliding_window: 4096,
};

/** A full config from some fields (HF defaults for the rest); num_key_value_heads defaults to num_attention_heads. */
export function llamaConfig(partial: Partial<LlamaConfig>): LlamaConfig {
  const base = partial.model_type === 'qwen2' ? { ...LLAMA_DEFAULTS, ...QWEN2_DEFAULTS } : LLAMA_DEFAULTS;
  const c: LlamaConfig = { ...base, ...partial };
  if (partial.num_key_value_heads === undefined || partial.num_key_value_heads === null) c.num_key_value_heads = c.num_attention_heads;
  if (c.model_type === 'qwen2') c.attention_bias = true;
  const bad = (what: string) => new DisrankerError('DR_ERR_MODEL', `decoder config: ${what}`);
  if (c.hidden_size % c.num_attention_heads !== 0) throw bad(`hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw bad(`num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}`);
  }
  if (c.hidden_act !== 'silu') throw bad(`hidden_act '${c.hidden_act}' is not supported (only silu)`);
  if (c.rope_scaling) {
    const kind = c.rope_scaling.type ?? c.rope_scaling.rope_type;
    if (kind !== 'linear' || !(Number(c.rope_scaling.factor) > 0)) throw bad(`rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (only null or linear)`);
  }
  return c;
}

/** The first eos id of a config (configs may list several). */
export function firstEos(c: Pick<LlamaConfig, 'eos_token_id'>): number | null {
  return Array.isArray(c.eos_token_id) ? (c.eos_token_id[0] ?? null) : c.eos_token_id;
}

export interface DecoderInputs {
  inputIds: Tensor; // [B, T] int64
  attentionMask?: Tensor; // [B, T] 1 = token, 0 = padding (default all 1)
  positionIds?: Tensor; // [B, T] or [T] (default arange(T) for every row, whatever the mask, as in HF)
}

// ---- rotary position embeddings ----------------------------------------------------------------------

/** inv_freq[i] = 1 / theta^(2i / hd), i < hd/2, in float32 as HF computes it. */
function inverseFrequencies(theta: number, hd: number): Float32Array {
  return Float32Array.from({ length: hd / 2 }, (_, i) => 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / hd))));
}

/**
 * cos, sin (B|1, 1, T, hd) for the positions; the angle of dim j is pos · inv_freq[j mod hd/2].
 * Linear rope scaling divides the positions by its factor (LlamaLinearScalingRotaryEmbedding).
 */
function rotary(positions: Tensor, invFreq: Tensor, scale: number): { cos: Tensor; sin: Tensor } {
  let pos = (positions.ndim === 1 ? positions.unsqueeze(0) : positions).to('float32'); // (B|1, T)
  if (scale !== 1) pos = pos.div(scale);
  const freqs = pos.unsqueeze(-1).mul(invFreq); // (B|1, T, hd/2)
  const emb = cat([freqs, freqs], -1).unsqueeze(1); // (B|1, 1, T, hd)
  return { cos: emb.cos(), sin: emb.sin() };
}

/** [x1, x2] → [-x2, x1] on the last dim (the half-split layout of HF's rotate_half). */
function rotateHalf(x: Tensor): Tensor {
  const [x1, x2] = x.chunk(2, -1);
  return cat([x2.neg(), x1], -1);
}

function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return x.mul(cos).add(rotateHalf(x).mul(sin));
}

// ---- blocks ----------------------------------------------------------------------------------------------

/** Grouped-query self-attention: `self_attn.{q,k,v,o}_proj`. */
export class LlamaAttention extends Module {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  o_proj: Linear;
  readonly headDim: number;
  constructor(private c: LlamaConfig) {
    super();
    const H = c.hidden_size;
    this.headDim = H / c.num_attention_heads;
    const kv = c.num_key_value_heads * this.headDim;
    const std = c.initializer_range;
    // LLaMA: attention_bias on all four; Qwen2: q/k/v only.
    const qkvBias = c.attention_bias;
    const oBias = c.model_type === 'llama' && c.attention_bias;
    this.q_proj = this.child('q_proj', new Linear(H, H, { bias: qkvBias, std }));
    this.k_proj = this.child('k_proj', new Linear(H, kv, { bias: qkvBias, std }));
    this.v_proj = this.child('v_proj', new Linear(H, kv, { bias: qkvBias, std }));
    this.o_proj = this.child('o_proj', new Linear(H, H, { bias: oBias, std }));
  }
  /**
   * x (B, T, H), cos/sin (B|1, 1, T, hd), additive mask (B, 1, T, T) → (B, T, H). With `at` (B): only the query at
   * position at[b] of each row, reading every key: (B, 1, H), what a score head on the last layer needs.
   */
  forward(x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, at?: Tensor): Tensor {
    const [B, T, H] = x.shape;
    const nh = this.c.num_attention_heads;
    const nkv = this.c.num_key_value_heads;
    const hd = this.headDim;
    const Tq = at ? 1 : T;
    const xq = at ? atPositions(x, at) : x;
    const [cq, sq, mq] = at ? [atPositions(cos.expand(B, 1, T, hd), at, 2), atPositions(sin.expand(B, 1, T, hd), at, 2), atPositions(mask, at, 2)] : [cos, sin, mask];
    const q = applyRotary(this.q_proj.forward(xq).view(B, Tq, nh, hd).transpose(1, 2), cq, sq); // (B, nh, Tq, hd)
    let k = applyRotary(this.k_proj.forward(x).view(B, T, nkv, hd).transpose(1, 2), cos, sin); // (B, nkv, T, hd)
    let v = this.v_proj.forward(x).view(B, T, nkv, hd).transpose(1, 2); // (B, nkv, T, hd)
    if (nkv !== nh) {
      // repeat_kv: each kv head serves nh/nkv consecutive query heads, so query head h reads kv head h // (nh/nkv).
      const rep = nh / nkv;
      k = k.unsqueeze(2).expand(B, nkv, rep, T, hd).reshape(B, nh, T, hd);
      v = v.unsqueeze(2).expand(B, nkv, rep, T, hd).reshape(B, nh, T, hd);
    }
    const scores = q.matmul(k.transpose(2, 3)).div(Math.sqrt(hd)).add(mq); // (B, nh, Tq, T)
    const probs = scores.softmax(-1).dropout(this.c.attention_dropout, this.training);
    return this.o_proj.forward(probs.matmul(v).transpose(1, 2).reshape(B, Tq, H));
  }
}

/** Row b of `x` at position at[b] along `dim` (1 for (B, T, H); 2 for (B, 1, T, ·)), keeping that dim as size 1. */
function atPositions(x: Tensor, at: Tensor, dim = 1): Tensor {
  const shape = [...x.shape];
  const B = shape[0];
  shape[dim] = 1;
  const view = shape.map((n, i) => (i === 0 ? B : 1));
  return x.gather(dim, at.view(...view).expand(...shape));
}

/** SwiGLU: down(silu(gate(x)) · up(x)). */
export class LlamaMLP extends Module {
  gate_proj: Linear;
  up_proj: Linear;
  down_proj: Linear;
  constructor(c: LlamaConfig) {
    super();
    const o = { bias: false, std: c.initializer_range };
    this.gate_proj = this.child('gate_proj', new Linear(c.hidden_size, c.intermediate_size, o));
    this.up_proj = this.child('up_proj', new Linear(c.hidden_size, c.intermediate_size, o));
    this.down_proj = this.child('down_proj', new Linear(c.intermediate_size, c.hidden_size, o));
  }
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(this.gate_proj.forward(x).silu().mul(this.up_proj.forward(x)));
  }
}

/** Pre-norm block: x + attn(norm(x)), then h + mlp(norm(h)). */
export class LlamaDecoderLayer extends Module {
  self_attn: LlamaAttention;
  mlp: LlamaMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;
  constructor(c: LlamaConfig) {
    super();
    this.self_attn = this.child('self_attn', new LlamaAttention(c));
    this.mlp = this.child('mlp', new LlamaMLP(c));
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
    this.post_attention_layernorm = this.child('post_attention_layernorm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
  }
  /** → (B, T, H); with `at` (B), only position at[b] of each row: (B, 1, H) */
  forward(x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, at?: Tensor): Tensor {
    const h = (at ? atPositions(x, at) : x).add(this.self_attn.forward(this.input_layernorm.forward(x), cos, sin, mask, at));
    return h.add(this.mlp.forward(this.post_attention_layernorm.forward(h)));
  }
}

/**
 * The additive mask (B, 1, T, T): 0 where query i may read key j (j ≤ i and key j is a token), finfo(float32).min
 * elsewhere. A left-pad query row is fully masked, so its softmax is uniform: finite, as in HF, and never read.
 */
export function causalPaddingMask(attentionMask: Tensor | undefined, B: number, T: number, device: string): Tensor {
  const idx = arange(0, T, 1, { device });
  const future = idx.unsqueeze(0).gt(idx.unsqueeze(1)); // (T, T): key j > query i
  let blocked = future.unsqueeze(0).unsqueeze(0); // (1, 1, T, T)
  if (attentionMask) blocked = blocked.logicalOr(attentionMask.eq(0).view(B, 1, 1, T)); // (B, 1, T, T)
  return blocked.to('float32').mul(MASK_MIN).expand(B, 1, T, T);
}

/** The body: `model.embed_tokens`, `model.layers.N`, `model.norm`. */
export class LlamaModel extends Module {
  embed_tokens: Embedding;
  layers: LlamaDecoderLayer[];
  norm: RMSNorm;
  private readonly invFreq: Float32Array;
  private readonly ropeScale: number;
  constructor(readonly config: LlamaConfig) {
    super();
    const c = config;
    this.embed_tokens = this.child('embed_tokens', new Embedding(c.vocab_size, c.hidden_size, { std: c.initializer_range, paddingIdx: c.pad_token_id ?? -1 }));
    this.layers = Array.from({ length: c.num_hidden_layers }, (_, i) => this.child(`layers.${i}`, new LlamaDecoderLayer(c)));
    this.norm = this.child('norm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
    this.invFreq = inverseFrequencies(c.rope_theta, c.hidden_size / c.num_attention_heads);
    this.ropeScale = c.rope_scaling ? Number(c.rope_scaling.factor) : 1;
  }
  /**
   * → final hidden states (B, T, H), after model.norm. With `at` (B): the last layer computes only position at[b]
   * of each row (B, 1, H); earlier layers need every position, the last one only the pooled one.
   */
  forward({ inputIds, attentionMask, positionIds }: DecoderInputs, at?: Tensor): Tensor {
    const [B, T] = inputIds.shape;
    const device = inputIds.device;
    const window = this.config.sliding_window;
    if (window !== null && T > window) {
      throw new DisrankerError(
        'DR_ERR_MODEL',
        `input of ${T} tokens exceeds the config's sliding_window ${window}: transformers applies the window past that length ` +
          `(4.40 even with use_sliding_window false) and this implementation does not; truncate inputs to ${window} tokens`,
      );
    }
    const pad = this.config.pad_token_id;
    // nn.Embedding(padding_idx=pad_token_id): the pad row gets no gradient, as in HF.
    let x = embedding(this.embed_tokens.weight, inputIds, pad !== null && pad >= 0 && pad < this.config.vocab_size ? pad : -1); // (B, T, H)
    const positions = positionIds ?? arange(0, T, 1, { device }); // (B, T) or (T)
    const { cos, sin } = rotary(positions, tensor(this.invFreq, { device }), this.ropeScale);
    const mask = causalPaddingMask(attentionMask, B, T, device);
    const last = this.layers.length - 1;
    for (let i = 0; i <= last; i++) x = this.layers[i].forward(x, cos, sin, mask, i === last ? at : undefined);
    return this.norm.forward(x);
  }
}

/** Which heads a decoder carries. */
export interface DecoderHeads {
  lm: boolean; // lm_head (next-token logits)
  score: boolean; // score (ranking score at the last real token)
}

/**
 * The decoder with its heads: LlamaForCausalLM (heads.lm), LlamaForSequenceClassification (heads.score), or both
 * on one body. State-dict names are HF's: `model.*`, `lm_head.weight` (absent when tied), `score.weight`.
 */
export class LlamaForCausalLM extends Module {
  model: LlamaModel;
  /** null when there is no LM head or when it is tied to model.embed_tokens */
  lm_head: Linear | null;
  score: Linear | null;
  heads: DecoderHeads;
  constructor(
    readonly config: LlamaConfig,
    heads: Partial<DecoderHeads> = {},
  ) {
    super();
    this.heads = { lm: heads.lm ?? true, score: heads.score ?? false };
    const c = config;
    this.model = this.child('model', new LlamaModel(c));
    const o = { bias: false, std: c.initializer_range };
    this.lm_head = this.heads.lm && !c.tie_word_embeddings ? this.child('lm_head', new Linear(c.hidden_size, c.vocab_size, o)) : null;
    this.score = this.heads.score ? this.child('score', new Linear(c.hidden_size, c.num_labels, o)) : null;
  }

  /** Final hidden states (B, T, H). */
  hidden(inputs: DecoderInputs): Tensor {
    return this.model.forward(inputs);
  }

  /** The LM head on hidden states (…, H) → (…, V); tied: model.embed_tokens.weight. */
  lmHead(hidden: Tensor): Tensor {
    if (!this.heads.lm) throw new DisrankerError('DR_ERR_MODEL', 'this decoder has no LM head (load it as *ForCausalLM or with heads.lm)');
    return this.lm_head ? this.lm_head.forward(hidden) : linear(hidden, this.model.embed_tokens.weight);
  }

  /** Next-token logits (B, T, V). */
  forward(inputs: DecoderInputs): Tensor {
    return this.lmHead(this.hidden(inputs));
  }

  /**
   * CPT loss: mean cross entropy of logits[:, t] against labels[:, t+1] (HF shifts inside the model), skipping
   * labels equal to -100. labels (B, T) int64.
   */
  lmLoss(inputs: DecoderInputs, labels: Tensor): Tensor {
    const h = this.hidden(inputs);
    const [B, T, H] = h.shape;
    const { rows, targets } = labelledRows(labels, 1); // the LM head on the counted positions only: the same loss, far cheaper
    return crossEntropy(this.lmHead(h.reshape(B * T, H).indexSelect(0, rows)).to('float32'), targets);
  }

  /** The CPT loss on given logits (B, T, V): position t predicts labels[:, t+1]; -100 labels do not count. */
  static lmLossFromLogits(logits: Tensor, labels: Tensor): Tensor {
    const [B, T, V] = logits.shape;
    const shifted = logits.narrow(1, 0, T - 1).reshape(B * (T - 1), V).to('float32');
    const targets = labels.narrow(1, 1, T - 1).reshape(B * (T - 1));
    return crossEntropy(shifted, targets, { ignoreIndex: -100 });
  }

  /** Position of the last token whose attention mask is 1, per row (B) int64; T-1 without a mask. */
  static poolIndex(inputIds: Tensor, attentionMask?: Tensor): Tensor {
    const [B, T] = inputIds.shape;
    if (!attentionMask) return arange(T - 1, T, 1, { device: inputIds.device }).expand(B);
    const positions = arange(0, T, 1, { device: inputIds.device }); // (T)
    return attentionMask.to('int64').mul(positions).max(-1)[0]; // (B)
  }

  /**
   * transformers 4.40's pooling: the position before the first pad id, T−1 when a row has none (pad id unset:
   * T−1). Differs from poolIndex when pad = eos (it pools the token before the eos) or a pad id appears in the text.
   */
  static firstPadPoolIndex(inputIds: Tensor, padTokenId: number | null): Tensor {
    const [B, T] = inputIds.shape;
    if (padTokenId === null) return arange(T - 1, T, 1, { device: inputIds.device }).expand(B);
    const isPad = inputIds.eq(padTokenId).to('int64'); // (B, T)
    const first = isPad.argmax(-1); // 0 when there is no pad (argmax of zeros), as in HF
    return first.sub(1).add(first.eq(0).to('int64').mul(T)); // (B): (first − 1) mod T
  }

  /** The pooled position per row (B) under the config's pooling rule. */
  poolIndexOf(inputs: DecoderInputs): Tensor {
    return this.config.pooling === 'first_pad'
      ? LlamaForCausalLM.firstPadPoolIndex(inputs.inputIds, this.config.pad_token_id)
      : LlamaForCausalLM.poolIndex(inputs.inputIds, inputs.attentionMask);
  }

  /** Hidden state at the pooled position (B, H); the last layer computes that position only. */
  pooledHidden(inputs: DecoderInputs): Tensor {
    return this.model.forward(inputs, this.poolIndexOf(inputs)).squeeze(1);
  }

  /** Score-head logits at the last real token (B, num_labels). */
  scoreLogits(inputs: DecoderInputs): Tensor {
    if (!this.score) throw new DisrankerError('DR_ERR_MODEL', 'this decoder has no score head (load it as *ForSequenceClassification or with heads.score)');
    return this.score.forward(this.pooledHidden(inputs));
  }

  /** One ranking score per row: the score head's first label (B). */
  rank(inputs: DecoderInputs): Tensor {
    return this.scoreLogits(inputs).select(1, 0);
  }

  /** Both heads from one body pass: LM logits (B, T, V) and scores (B, num_labels). */
  both(inputs: DecoderInputs): { lmLogits: Tensor; scores: Tensor } {
    if (!this.score) throw new DisrankerError('DR_ERR_MODEL', 'this decoder has no score head');
    const h = this.hidden(inputs);
    const [B, , H] = h.shape;
    const idx = this.poolIndexOf(inputs).view(B, 1, 1).expand(B, 1, H);
    return { lmLogits: this.lmHead(h), scores: this.score.forward(h.gather(1, idx).squeeze(1)) };
  }

  /** Adds a freshly initialised score head (e.g. after CPT, before ranking fine-tuning). */
  addScoreHead(): Linear {
    if (this.score) return this.score;
    const c = this.config;
    this.heads = { ...this.heads, score: true };
    this.score = this.child('score', new Linear(c.hidden_size, c.num_labels, { bias: false, std: c.initializer_range }));
    return this.score;
  }
}

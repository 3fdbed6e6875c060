// BERT cross-encoder, laid out and named like Hugging Face's BertForSequenceClassification so that real
// checkpoints (BERT, MiniLM and other cross-encoders) load unchanged. Read top to bottom:
// embeddings → self-attention → attention output → intermediate → output → layer → encoder → pooler → head.
// Input: [CLS] query [SEP] title + summary [SEP]; output: one relevance score per pair (logits[:, 0]).
//
// Shapes: B batch, T tokens, H hidden, nh heads, hs = H / nh head size.
import { arange, crossEntropy, linear, zeros, zerosLike, Embedding, LayerNorm, Linear, Module, type Tensor, type DType } from '../engine/index.js';
import { labelledRows } from './labelled.js';

/** Fields and defaults of HF's BertConfig (bert-base-uncased sizes); names are the config.json keys. */
export interface BertConfig {
  vocab_size: number; // tokens in the vocabulary
  hidden_size: number; // H
  num_hidden_layers: number; // encoder layers
  num_attention_heads: number; // nh
  intermediate_size: number; // FFN width
  hidden_act: 'gelu' | 'gelu_new' | 'relu'; // 'gelu' is the exact erf GELU
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number; // learned absolute positions
  type_vocab_size: number; // token types (segment A/B)
  layer_norm_eps: number;
  initializer_range: number; // std of the normal init
  pad_token_id: number;
  num_labels: number; // 1 for a cross-encoder score
}

export const BERT_DEFAULTS: BertConfig = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  initializer_range: 0.02,
  pad_token_id: 0,
  num_labels: 1,
};

export function bertConfig(partial: Partial<BertConfig>): BertConfig {
  const c = { ...BERT_DEFAULTS, ...partial };
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new Error(`hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
  }
  return c;
}

/** The additive mask value HF uses for padded keys: finfo(float32).min. */
export const MASK_MIN = -3.4028234663852886e38;

export interface BertInputs {
  inputIds: Tensor; // [B, T] int64
  attentionMask: Tensor; // [B, T] 1 = token, 0 = padding
  tokenTypeIds?: Tensor; // [B, T] 0 = query segment, 1 = document segment
}

function activation(x: Tensor, act: BertConfig['hidden_act']): Tensor {
  if (act === 'gelu') return x.gelu('none');
  if (act === 'gelu_new') return x.gelu('tanh');
  return x.relu();
}

class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  constructor(private c: BertConfig) {
    super();
    const std = c.initializer_range;
    this.word_embeddings = this.child('word_embeddings', new Embedding(c.vocab_size, c.hidden_size, { std, paddingIdx: c.pad_token_id }));
    this.position_embeddings = this.child('position_embeddings', new Embedding(c.max_position_embeddings, c.hidden_size, { std }));
    this.token_type_embeddings = this.child('token_type_embeddings', new Embedding(c.type_vocab_size, c.hidden_size, { std }));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  forward(inputIds: Tensor, tokenTypeIds: Tensor, positionIds: Tensor): Tensor {
    const x = this.word_embeddings
      .forward(inputIds)
      .add(this.token_type_embeddings.forward(tokenTypeIds))
      .add(this.position_embeddings.forward(positionIds)); // (B, T, H)
    return this.LayerNorm.forward(x).dropout(this.c.hidden_dropout_prob, this.training);
  }
}

class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  constructor(private c: BertConfig) {
    super();
    const o = { std: c.initializer_range };
    this.query = this.child('query', new Linear(c.hidden_size, c.hidden_size, o));
    this.key = this.child('key', new Linear(c.hidden_size, c.hidden_size, o));
    this.value = this.child('value', new Linear(c.hidden_size, c.hidden_size, o));
  }
  /** x (B, T, H), additive mask (B, 1, 1, T) → context (B, T, H) */
  forward(x: Tensor, mask: Tensor): Tensor {
    const [B, T, H] = x.shape;
    const nh = this.c.num_attention_heads;
    const hs = H / nh;
    const heads = (t: Tensor) => t.view(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const q = heads(this.query.forward(x));
    const k = heads(this.key.forward(x));
    const v = heads(this.value.forward(x));
    const scores = q.matmul(k.transpose(-1, -2)).mul(1 / Math.sqrt(hs)).add(mask); // (B, nh, T, T)
    const probs = scores.softmax(-1).dropout(this.c.attention_probs_dropout_prob, this.training);
    return probs.matmul(v).transpose(1, 2).reshape(B, T, H); // (B, T, H)
  }
}

/** attention.output: dense + residual + LayerNorm (post-LN). */
class BertSelfOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  constructor(private c: BertConfig) {
    super();
    this.dense = this.child('dense', new Linear(c.hidden_size, c.hidden_size, { std: c.initializer_range }));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  forward(h: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dense.forward(h).dropout(this.c.hidden_dropout_prob, this.training).add(residual));
  }
}

class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;
  constructor(c: BertConfig) {
    super();
    this.self = this.child('self', new BertSelfAttention(c));
    this.output = this.child('output', new BertSelfOutput(c));
  }
  forward(x: Tensor, mask: Tensor): Tensor {
    return this.output.forward(this.self.forward(x, mask), x);
  }
}

class BertIntermediate extends Module {
  dense: Linear;
  constructor(private c: BertConfig) {
    super();
    this.dense = this.child('dense', new Linear(c.hidden_size, c.intermediate_size, { std: c.initializer_range }));
  }
  forward(x: Tensor): Tensor {
    return activation(this.dense.forward(x), this.c.hidden_act);
  }
}

class BertOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  constructor(private c: BertConfig) {
    super();
    this.dense = this.child('dense', new Linear(c.intermediate_size, c.hidden_size, { std: c.initializer_range }));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  forward(h: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dense.forward(h).dropout(this.c.hidden_dropout_prob, this.training).add(residual));
  }
}

class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;
  constructor(c: BertConfig) {
    super();
    this.attention = this.child('attention', new BertAttention(c));
    this.intermediate = this.child('intermediate', new BertIntermediate(c));
    this.output = this.child('output', new BertOutput(c));
  }
  forward(x: Tensor, mask: Tensor): Tensor {
    const a = this.attention.forward(x, mask);
    return this.output.forward(this.intermediate.forward(a), a);
  }
}

class BertEncoder extends Module {
  layer: BertLayer[];
  constructor(c: BertConfig) {
    super();
    this.layer = Array.from({ length: c.num_hidden_layers }, (_, i) => this.child(`layer.${i}`, new BertLayer(c)));
  }
  forward(x: Tensor, mask: Tensor): Tensor {
    for (const l of this.layer) x = l.forward(x, mask);
    return x;
  }
}

/** tanh(dense(h[:, 0])): the [CLS] vector. */
class BertPooler extends Module {
  dense: Linear;
  constructor(c: BertConfig) {
    super();
    this.dense = this.child('dense', new Linear(c.hidden_size, c.hidden_size, { std: c.initializer_range }));
  }
  forward(h: Tensor): Tensor {
    return this.dense.forward(h.select(1, 0)).tanh();
  }
}

export class BertModel extends Module {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler;
  constructor(readonly config: BertConfig) {
    super();
    this.embeddings = this.child('embeddings', new BertEmbeddings(config));
    this.encoder = this.child('encoder', new BertEncoder(config));
    this.pooler = this.child('pooler', new BertPooler(config));
  }
  /** → { hidden (B, T, H), pooled (B, H) } */
  forward({ inputIds, attentionMask, tokenTypeIds }: BertInputs): { hidden: Tensor; pooled: Tensor } {
    const [, T] = inputIds.shape;
    if (T > this.config.max_position_embeddings) {
      throw new Error(`sequence length ${T} exceeds max_position_embeddings ${this.config.max_position_embeddings}`);
    }
    const positions = arange(0, T, 1, { device: inputIds.device }); // (T), broadcast over the batch
    const types = tokenTypeIds ?? zerosLike(inputIds);
    const x = this.embeddings.forward(inputIds, types, positions);
    const dtype: DType = x.dtype === 'float64' ? 'float64' : 'float32';
    // (B, T) 1/0 → additive (B, 1, 1, T): 0 for tokens, finfo(float32).min for padding.
    const mask = attentionMask.to(dtype).rsub(1).mul(MASK_MIN).unsqueeze(1).unsqueeze(1);
    const hidden = this.encoder.forward(x, mask);
    return { hidden, pooled: this.pooler.forward(hidden) };
  }
}

/** BERT + pooler + dropout + classifier: the cross-encoder. `score()` gives logits[:, 0]. */
export class BertForSequenceClassification extends Module {
  bert: BertModel;
  classifier: Linear;
  constructor(readonly config: BertConfig) {
    super();
    this.bert = this.child('bert', new BertModel(config));
    this.classifier = this.child('classifier', new Linear(config.hidden_size, config.num_labels, { std: config.initializer_range }));
  }
  /** logits (B, num_labels) */
  forward(inputs: BertInputs): Tensor {
    const { pooled } = this.bert.forward(inputs);
    return this.classifier.forward(pooled.dropout(this.config.hidden_dropout_prob, this.training));
  }
  /** One relevance score per row: logits[:, 0] (B). */
  score(inputs: BertInputs): Tensor {
    return this.forward(inputs).select(1, 0);
  }
}

/**
 * BERT's masked-LM head, as HF's BertLMPredictionHead: dense → activation → LayerNorm → decoder tied to the word
 * embeddings, plus a bias (V). Names are HF's under `cls.predictions.` (`transform.dense`, `transform.LayerNorm`,
 * `bias`). The student's pre-training (src/pipeline/student.ts) trains it beside a cross-encoder's encoder.
 */
export class BertLMPredictionHead extends Module {
  transform: BertPredictionTransform;
  bias: Tensor;
  constructor(readonly config: BertConfig) {
    super();
    this.transform = this.child('transform', new BertPredictionTransform(config));
    this.bias = this.param('bias', zeros([config.vocab_size]));
  }
  /** hidden (B, T, H) → logits (B, T, V), the decoder weight being the word embeddings (V, H). */
  forward(hidden: Tensor, wordEmbeddings: Tensor): Tensor {
    return linear(this.transform.forward(hidden), wordEmbeddings, this.bias);
  }
  /**
   * Mean cross-entropy over the positions whose label is not -100. labels (B, T) int64. The head runs on those
   * positions only (N, H) → (N, V), not on all B·T: the same loss, and at a 15% rate about 1/6 of the vocabulary
   * projection, which is most of a small student's pre-training step.
   */
  loss(hidden: Tensor, wordEmbeddings: Tensor, labels: Tensor): Tensor {
    const [B, T, H] = hidden.shape;
    const { rows, targets } = labelledRows(labels, 0);
    return crossEntropy(this.forward(hidden.reshape(B * T, H).indexSelect(0, rows), wordEmbeddings).to('float32'), targets); // (N, V)
  }
}

class BertPredictionTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  constructor(private c: BertConfig) {
    super();
    this.dense = this.child('dense', new Linear(c.hidden_size, c.hidden_size, { std: c.initializer_range }));
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }
  forward(h: Tensor): Tensor {
    return this.LayerNorm.forward(activation(this.dense.forward(h), this.c.hidden_act));
  }
}

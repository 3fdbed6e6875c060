// Tiny in-memory models for fast tests (no fixtures needed).
import { manualSeed, noGrad, tensor, type Tensor } from '../../src/engine/index.js';
import { BertForSequenceClassification, bertConfig } from '../../src/models/bert.js';
import { LlamaForCausalLM, llamaConfig, type DecoderHeads, type LlamaConfig } from '../../src/models/llama.js';

export function tinyLlamaConfig(over: Partial<LlamaConfig> = {}): LlamaConfig {
  return llamaConfig({
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    pad_token_id: 0,
    bos_token_id: 1,
    eos_token_id: 2,
    ...over,
  });
}

/** A tiny decoder with weights drawn larger than HF's init (std 0.02 makes outputs nearly constant). */
export function tinyLlama(seed: number, over: Partial<LlamaConfig> = {}, heads: Partial<DecoderHeads> = { lm: true, score: true }): LlamaForCausalLM {
  manualSeed(seed);
  const m = new LlamaForCausalLM(tinyLlamaConfig(over), heads);
  noGrad(() => {
    for (const [n, p] of m.namedParameters()) {
      if (n.endsWith('norm.weight')) p.normal_(1, 0.1);
      else if (p.ndim === 1) p.normal_(0, 0.1);
      else p.normal_(0, 1 / Math.sqrt(p.shape[1]));
    }
  });
  return m;
}

export function tinyBert(seed: number): BertForSequenceClassification {
  manualSeed(seed);
  const m = new BertForSequenceClassification(
    bertConfig({ vocab_size: 40, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 32 }),
  );
  noGrad(() => {
    for (const [, p] of m.namedParameters()) if (p.ndim === 2) p.normal_(0, 1 / Math.sqrt(p.shape[1]));
  });
  return m;
}

/** A right-padded decoder batch ending in eos (2), pad 0. */
export function decoderBatch(): { inputIds: Tensor; attentionMask: Tensor } {
  return {
    inputIds: tensor(
      [
        [1, 7, 9, 11, 13, 2, 0],
        [1, 5, 6, 2, 0, 0, 0],
        [1, 30, 31, 32, 33, 34, 2],
      ],
      { dtype: 'int64' },
    ),
    attentionMask: tensor(
      [
        [1, 1, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1],
      ],
      { dtype: 'int64' },
    ),
  };
}

export function bertBatch(): { inputIds: Tensor; attentionMask: Tensor; tokenTypeIds: Tensor } {
  return {
    inputIds: tensor(
      [
        [2, 7, 9, 3, 11, 13, 3],
        [2, 5, 3, 6, 3, 0, 0],
      ],
      { dtype: 'int64' },
    ),
    attentionMask: tensor(
      [
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 0, 0],
      ],
      { dtype: 'int64' },
    ),
    tokenTypeIds: tensor(
      [
        [0, 0, 0, 0, 1, 1, 1],
        [0, 0, 0, 1, 1, 0, 0],
      ],
      { dtype: 'int64' },
    ),
  };
}

/** Every parameter's grad: null, or the sum of |grad|. */
export function gradSums(named: Iterable<[string, Tensor]>): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const [n, p] of named) {
    const g = p.grad;
    out.set(n, g ? g.abs().sum().item() : null);
  }
  return out;
}

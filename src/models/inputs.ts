// From text to model inputs: the tokenizers' flat [B, T] encodings (src/text) as int64 tensors for the BERT
// cross-encoder and the decoder ranker. src/text never loads the engine; this is where the two meet.
import { tensor, type Device, type Tensor } from '../engine/index.js';
import {
  encodeCptExamples,
  encodePairs,
  encodeRankingInputs,
  type DecoderEncodingOptions,
  type EncodedBatch,
  type PairEncodingOptions,
  type QueryDocument,
  type TextTokenizer,
} from '../text/index.js';
import { DisrankerError } from '../util/errors.js';
import type { BertInputs } from './bert.js';
import { llamaConfig, type DecoderInputs, type LlamaConfig } from './llama.js';

/**
 * Throw a DR_ERR_MODEL error naming the tokenizer when its ids do not fit the model's embedding (vocab_size), instead
 * of torch's `index out of range in self` on the first batch. `model` names the model (its folder) in the message.
 */
export function checkTokenizerFits(tok: TextTokenizer, vocabSize: number, model = 'the model'): void {
  const max = tok.maxTokenId;
  if (max >= vocabSize) {
    throw new DisrankerError(
      'DR_ERR_MODEL',
      `${tok.name}: the tokenizer has token ids up to ${max}, but ${model} has vocab_size ${vocabSize} (config.json): ` +
        'use the tokenizer the model was trained with',
    );
  }
}

export interface BatchTensors {
  inputIds: Tensor; // [B, T] int64
  attentionMask: Tensor; // [B, T] int64, 1 = token
  tokenTypeIds: Tensor; // [B, T] int64
  labels?: Tensor; // [B, T] int64, -100 = ignored (CPT)
  poolIndex: Tensor; // [B] int64, last position whose mask is 1
}

/** An EncodedBatch as int64 tensors (owned by the current tidy() scope). */
export function batchTensors(batch: EncodedBatch, device?: Device): BatchTensors {
  const shape = batch.shape;
  const o = { dtype: 'int64' as const, shape, device };
  return {
    inputIds: tensor(batch.inputIds, o),
    attentionMask: tensor(batch.attentionMask, o),
    tokenTypeIds: tensor(batch.tokenTypeIds, o),
    labels: batch.labels ? tensor(batch.labels, o) : undefined,
    poolIndex: tensor(batch.poolIndex, { dtype: 'int64', shape: [shape[0]], device }),
  };
}

/** Cross-encoder inputs `[CLS] query [SEP] title summary [SEP]` for BertForSequenceClassification. */
export function bertPairInputs(tok: TextTokenizer, pairs: QueryDocument[], opts: PairEncodingOptions & { device?: Device } = {}): BertInputs {
  const t = batchTensors(encodePairs(tok, pairs, opts), opts.device);
  return { inputIds: t.inputIds, attentionMask: t.attentionMask, tokenTypeIds: t.tokenTypeIds };
}

/**
 * Decoder ranking inputs (RankLLaMA template + the tokenizer's eos) for LlamaForCausalLM.rank(); the score head
 * pools the last position whose mask is 1, the eos, for left or right padding.
 */
export function decoderRankingInputs(
  tok: TextTokenizer,
  items: QueryDocument[],
  opts: DecoderEncodingOptions & { device?: Device } = {},
): DecoderInputs & { poolIndex: Tensor } {
  const t = batchTensors(encodeRankingInputs(tok, items, opts), opts.device);
  return { inputIds: t.inputIds, attentionMask: t.attentionMask, poolIndex: t.poolIndex };
}

/** CPT inputs and labels (document and eos tokens count; -100 elsewhere) for LlamaForCausalLM.lmLoss(). */
export function decoderCptInputs(
  tok: TextTokenizer,
  items: QueryDocument[],
  opts: DecoderEncodingOptions & { device?: Device } = {},
): { inputs: DecoderInputs; labels: Tensor } {
  const t = batchTensors(encodeCptExamples(tok, items, opts), opts.device);
  return { inputs: { inputIds: t.inputIds, attentionMask: t.attentionMask }, labels: t.labels! };
}

/** A decoder config of the given shape for a tokenizer: its vocabulary size and its bos/eos/pad ids (pad: eos when none). */
export function decoderConfigFor(tok: TextTokenizer, shape: Partial<LlamaConfig>): LlamaConfig {
  return llamaConfig({
    ...shape,
    vocab_size: tok.vocabSize,
    bos_token_id: tok.special.bos?.id ?? null,
    eos_token_id: tok.special.eos!.id,
    pad_token_id: tok.special.pad?.id ?? tok.special.eos!.id,
  });
}

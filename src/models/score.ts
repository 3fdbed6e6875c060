// Scoring (query, document) pairs with a ranking model: a decoder with a score head (the teacher: the hidden state
// of the final `</s>` through `score`) or a BERT cross-encoder (the student: logits[:, 0]). Pairs are batched by
// length (sorted by their text length, so a batch pads little) in batches of at most `batchSize`, without
// gradients, optionally under bf16 autocast; scores come back in the input order.
import { autocast, crossEntropy, noGrad, tidy } from '../engine/index.js';
import type { QueryDocument, TextTokenizer } from '../text/index.js';
import { BertForSequenceClassification } from './bert.js';
import { bertPairInputs, decoderCptInputs, decoderRankingInputs } from './inputs.js';
import type { LlamaForCausalLM } from './llama.js';

export const SCORE_DEFAULTS = { batchSize: 32, maxLength: 128 };

export interface ScoreOptions {
  batchSize?: number;
  maxLength?: number;
  bf16?: boolean;
  /** decoder prompt template (default RankLLaMA's `query: {query} document: {title} {summary}`) */
  template?: string;
}

export interface ScoreStats {
  pairs: number;
  batches: number;
  /** tokens in the batches, padding included, and padding alone */
  tokens: number;
  paddedTokens: number;
  seconds: number;
}

/** The scores of `items`, in their order, and what scoring cost. */
export function scorePairs(
  model: LlamaForCausalLM | BertForSequenceClassification,
  tok: TextTokenizer,
  items: QueryDocument[],
  opts: ScoreOptions = {},
): { scores: number[]; stats: ScoreStats } {
  const B = opts.batchSize ?? SCORE_DEFAULTS.batchSize;
  const maxLength = opts.maxLength ?? SCORE_DEFAULTS.maxLength;
  const length = (x: QueryDocument) => x.query.length + (x.title?.length ?? 0) + (x.summary?.length ?? 0);
  const order = items.map((_, i) => i).sort((a, b) => length(items[a]) - length(items[b]) || a - b);
  const scores = new Array<number>(items.length);
  const stats: ScoreStats = { pairs: items.length, batches: 0, tokens: 0, paddedTokens: 0, seconds: 0 };
  const t0 = performance.now();
  for (let i = 0; i < order.length; i += B) {
    const idx = order.slice(i, i + B);
    const batch = idx.map((k) => items[k]);
    const out = tidy(() =>
      noGrad(() => {
        const run = () => {
          if (model instanceof BertForSequenceClassification) {
            const inputs = bertPairInputs(tok, batch, { maxLength });
            return { s: model.score(inputs), mask: inputs.attentionMask };
          }
          const inputs = decoderRankingInputs(tok, batch, { maxLength, template: opts.template });
          return { s: model.rank(inputs), mask: inputs.attentionMask! };
        };
        const { s, mask } = opts.bf16 ? autocast(run) : run();
        const [rows, T] = mask.shape;
        return { scores: s.float().toArray() as number[], tokens: rows * T, real: mask.sum().item() };
      }),
    );
    idx.forEach((k, j) => (scores[k] = out.scores[j]));
    stats.batches++;
    stats.tokens += out.tokens;
    stats.paddedTokens += out.tokens - out.real;
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return { scores, stats };
}

/**
 * CPT's objective per item: the summed next-token NLL of the document's tokens (title + summary + eos) given the
 * query, and how many tokens that is, in batches of `batch` without gradients. Mean log-likelihoods and perplexity
 * are derived from these.
 */
export function targetNll(model: LlamaForCausalLM, tok: TextTokenizer, items: QueryDocument[], opts: { maxLength: number; batch?: number }): { nll: number[]; tokens: number[] } {
  const B = opts.batch ?? 64;
  const nll: number[] = [];
  const tokens: number[] = [];
  for (let i = 0; i < items.length; i += B) {
    const [s, n] = tidy(() =>
      noGrad(() => {
        const { inputs, labels } = decoderCptInputs(tok, items.slice(i, i + B), { maxLength: opts.maxLength });
        const logits = model.forward(inputs); // (B, T, V)
        const [b, T, V] = logits.shape;
        const predicted = logits.narrow(1, 0, T - 1).reshape(b * (T - 1), V).to('float32'); // position t predicts t + 1
        const targets = labels.narrow(1, 1, T - 1).reshape(b * (T - 1));
        const perToken = crossEntropy(predicted, targets, { reduction: 'none' }).view(b, T - 1); // 0 where ignored
        return [perToken.sum(1).toArray() as number[], targets.view(b, T - 1).ne(-100).sum(1).toArray() as number[]];
      }),
    );
    nll.push(...s);
    tokens.push(...n);
  }
  return { nll, tokens };
}

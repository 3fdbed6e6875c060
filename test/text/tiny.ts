// A tiny hand-made WordPiece tokenizer.json, so that expected ids can be worked out by hand.
import type { TokenizerJson } from '../../src/text/index.js';

export const TINY_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '<s>', '</s>', // 0-6
  'what', 'is', 'a', 'cat', '?', 'the', 'small', 'mammal', '.', // 7-15
  '##s', 'dog', 'query', ':', 'document', 'cats', 'big', // 16-22
];
export const ID = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) as Record<string, number>;

/** BERT-style: `[CLS] A [SEP]`, `[CLS] A [SEP] B:1 [SEP]:1`. */
export function tinyBert(): TokenizerJson {
  const sp = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_VOCAB.slice(0, 7).map((t, i) => sp(t, i)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) },
  };
}

/** The same vocabulary as a "decoder" tokenizer: `<s> A` template, eos `</s>`, no pad token. */
export function tinyDecoder(): { tokenizer: TokenizerJson; config: Record<string, unknown> } {
  const tokenizer = tinyBert();
  tokenizer.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [5], tokens: ['<s>'] } },
  };
  return { tokenizer, config: { bos_token: '<s>', eos_token: '</s>', pad_token: null, unk_token: '[UNK]' } };
}

// Vocabulary trainers for models built from scratch. Each returns a complete Hugging Face
// `tokenizer.json` document (plus the matching tokenizer_config.json fields) that `loadTokenizer`
// and @huggingface/tokenizers both read.
//
// - WordPiece (BERT): BertNormalizer (lowercase, accent stripping optional) + BertPreTokenizer, then
//   pair merges over characters with `##` on non-initial ones, as Hugging Face's WordPieceTrainer
//   does; encoding is greedy longest-match-first. Specials [PAD] [UNK] [CLS] [SEP] [MASK] get ids 0-4.
// - Byte-level BPE (GPT-2): the GPT-2 regex split and byte-to-unicode map, all 256 bytes in the
//   initial alphabet (no unknown tokens, ever), merges learnt until the target vocab size.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DisrankerError } from '../util/errors.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { learnMerges } from './merges.js';
import { BYTE_TO_CHAR, bertNormalize, bertPreTokenize, byteLevelPreTokenize } from './pre-tokenize.js';
import {
  addedToken,
  bertTemplate,
  stringifyTokenizerJson,
  type TemplatePiece,
  type TokenizerJson,
} from './tokenizer-json.js';

export interface TrainedTokenizer {
  /** The `tokenizer.json` document. */
  tokenizer: TokenizerJson;
  /** The `tokenizer_config.json` document (special token names, class). */
  config: Record<string, unknown>;
}

export interface WordPieceTrainOptions {
  /** Target vocabulary size, special tokens included. */
  vocabSize: number;
  /** Default `[PAD] [UNK] [CLS] [SEP] [MASK]`; ids follow this order. Must contain unk, cls and sep. */
  specialTokens?: string[];
  unkToken?: string; // default [UNK]
  clsToken?: string; // default [CLS]
  sepToken?: string; // default [SEP]
  padToken?: string; // default [PAD]
  maskToken?: string; // default [MASK]
  /** Lowercase the text (BertNormalizer). Default true. */
  lowercase?: boolean;
  /** Strip accents (NFD, drop marks). Default null = same as `lowercase`, as in BERT. */
  stripAccents?: boolean | null;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
  /** Keep at most this many distinct characters (the most frequent). Default 1000. */
  limitAlphabet?: number;
  /** Words longer than this (in characters) encode as unk. Default 100. */
  maxInputCharsPerWord?: number;
  /** Written to tokenizer_config.json. Default 512. */
  modelMaxLength?: number;
}

export interface BpeTrainOptions {
  /** Target vocabulary size, special tokens and the 256 bytes included. */
  vocabSize: number;
  /** Default `<s> <pad> </s> <unk>`; ids follow this order. */
  specialTokens?: string[];
  bosToken?: string; // default <s>
  eosToken?: string; // default </s>
  padToken?: string; // default <pad>
  unkToken?: string; // default <unk>
  /** Add bos before every sequence (post-processor TemplateProcessing). Default false, as GPT-2. */
  addBos?: boolean;
  /** Prepend a space to the text before splitting (ByteLevel add_prefix_space). Default false. */
  addPrefixSpace?: boolean;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
  /** Written to tokenizer_config.json. Default 1024. */
  modelMaxLength?: number;
  /** Lowercase the text first (a `Lowercase` normalizer), so `Apple` and `apple` share tokens. Default false. */
  lowercase?: boolean;
}

function countWords(corpus: Iterable<string>, split: (text: string) => string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of corpus) {
    if (typeof text !== 'string') throw new DisrankerError('DR_ERR_INPUT', 'tokenizer corpus: every item must be a string');
    for (const w of split(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

function checkSpecials(specials: string[], required: Record<string, string>): void {
  if (new Set(specials).size !== specials.length) {
    throw new DisrankerError('DR_ERR_INPUT', `tokenizer trainer: specialTokens has duplicates: ${specials.join(' ')}`);
  }
  for (const [role, tok] of Object.entries(required)) {
    if (!specials.includes(tok)) {
      throw new DisrankerError('DR_ERR_INPUT', `tokenizer trainer: ${role} ${JSON.stringify(tok)} is not in specialTokens`);
    }
  }
}

function checkVocabSize(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n >= 2 ** 22) {
    throw new DisrankerError('DR_ERR_INPUT', `tokenizer trainer: vocabSize must be an integer in [1, 4194303], got ${n}`);
  }
}

/** Train a BERT WordPiece vocabulary. */
export function trainWordPiece(corpus: Iterable<string>, opts: WordPieceTrainOptions): TrainedTokenizer {
  checkVocabSize(opts.vocabSize);
  const unk = opts.unkToken ?? '[UNK]';
  const cls = opts.clsToken ?? '[CLS]';
  const sep = opts.sepToken ?? '[SEP]';
  const pad = opts.padToken ?? '[PAD]';
  const mask = opts.maskToken ?? '[MASK]';
  const specials = opts.specialTokens ?? [pad, unk, cls, sep, mask];
  checkSpecials(specials, { unkToken: unk, clsToken: cls, sepToken: sep });
  const lowercase = opts.lowercase ?? true;
  const stripAccents = opts.stripAccents ?? null;
  const normOpts = { clean_text: true, handle_chinese_chars: true, strip_accents: stripAccents, lowercase };
  const wordCounts = countWords(corpus, (t) => bertPreTokenize(bertNormalize(t, normOpts)));

  // Alphabet: the most frequent characters (ties: code point order).
  const charCounts = new Map<string, number>();
  for (const [w, n] of wordCounts) for (const c of w) charCounts.set(c, (charCounts.get(c) ?? 0) + n);
  const limit = opts.limitAlphabet ?? 1000;
  const alphabet = new Set(
    [...charCounts]
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .slice(0, limit)
      .map(([c]) => c),
  );

  const initial = new Set<string>();
  const split: string[][] = [];
  const counts: number[] = [];
  for (const [w, n] of wordCounts) {
    const chars = Array.from(w);
    if (!chars.every((c) => alphabet.has(c))) continue;
    const syms = chars.map((c, i) => (i === 0 ? c : `##${c}`));
    for (const s of syms) initial.add(s);
    split.push(syms);
    counts.push(n);
  }
  const symbols = [...specials, ...[...initial].filter((s) => !specials.includes(s)).sort()];
  const ids = new Map(symbols.map((s, i) => [s, i]));
  const words = split.map((syms) => syms.map((s) => ids.get(s)!));
  learnMerges(
    { symbols, words, counts },
    { maxSymbols: opts.vocabSize, minFrequency: opts.minFrequency ?? 2, join: (a, b) => a + b.slice(2) },
  );

  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => (vocab[s] = i));
  const tokenizer: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => addedToken(i, s)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: stripAccents, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: bertTemplate(cls, vocab[cls], sep, vocab[sep]),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: opts.maxInputCharsPerWord ?? 100,
      vocab,
    },
  };
  const config: Record<string, unknown> = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: lowercase,
    strip_accents: stripAccents,
    model_max_length: opts.modelMaxLength ?? 512,
    unk_token: unk,
    cls_token: cls,
    sep_token: sep,
  };
  if (specials.includes(pad)) config.pad_token = pad;
  if (specials.includes(mask)) config.mask_token = mask;
  return { tokenizer, config };
}

/** Train a GPT-2 style byte-level BPE vocabulary. */
export function trainByteLevelBpe(corpus: Iterable<string>, opts: BpeTrainOptions): TrainedTokenizer {
  checkVocabSize(opts.vocabSize);
  const bos = opts.bosToken ?? '<s>';
  const eos = opts.eosToken ?? '</s>';
  const pad = opts.padToken ?? '<pad>';
  const unk = opts.unkToken ?? '<unk>';
  const specials = opts.specialTokens ?? [bos, pad, eos, unk];
  checkSpecials(specials, opts.addBos ? { eosToken: eos, bosToken: bos } : { eosToken: eos });
  const addPrefixSpace = opts.addPrefixSpace ?? false;
  const lower = opts.lowercase ?? false;
  const wordCounts = countWords(corpus, (t) => byteLevelPreTokenize(lower ? t.toLowerCase() : t, addPrefixSpace));

  const symbols = [...specials, ...BYTE_TO_CHAR.filter((c) => !specials.includes(c))];
  const ids = new Map(symbols.map((s, i) => [s, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, n] of wordCounts) {
    words.push(Array.from(w, (c) => ids.get(c)!));
    counts.push(n);
  }
  const merges = learnMerges(
    { symbols, words, counts },
    { maxSymbols: opts.vocabSize, minFrequency: opts.minFrequency ?? 2, join: (a, b) => a + b },
  );

  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => (vocab[s] = i));
  const byteLevel = { add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true };
  let postProcessor: unknown = { type: 'ByteLevel', ...byteLevel, trim_offsets: false };
  if (opts.addBos) {
    const sp = (id: string, type_id: number): TemplatePiece => ({ SpecialToken: { id, type_id } });
    postProcessor = {
      type: 'TemplateProcessing',
      single: [sp(bos, 0), { Sequence: { id: 'A', type_id: 0 } }],
      pair: [sp(bos, 0), { Sequence: { id: 'A', type_id: 0 } }, sp(bos, 1), { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [bos]: { id: bos, ids: [vocab[bos]], tokens: [bos] } },
    };
  }
  const tokenizer: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => addedToken(i, s)),
    normalizer: lower ? { type: 'Lowercase' } : null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // Byte-level symbols never contain a space, so the classic "a b" string form is unambiguous.
      merges: merges.map(([a, b]) => `${symbols[a]} ${symbols[b]}`),
    },
  };
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: opts.modelMaxLength ?? 1024,
    add_bos_token: opts.addBos ?? false,
    add_eos_token: false,
    eos_token: eos,
  };
  if (specials.includes(bos)) config.bos_token = bos;
  if (specials.includes(pad)) config.pad_token = pad;
  if (specials.includes(unk)) config.unk_token = unk;
  return { tokenizer, config };
}

/** Write `tokenizer.json` and `tokenizer_config.json` into `dir` (created if missing), atomically. */
export function saveTrainedTokenizer(dir: string, trained: TrainedTokenizer): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(join(dir, 'tokenizer.json'), stringifyTokenizerJson(trained.tokenizer));
  writeFileAtomicSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(trained.config, null, 2)}\n`);
}

// Loading Hugging Face tokenizers. The text → ids step (normalizer, pre-tokenizer, WordPiece / BPE /
// byte fallback, added tokens) runs in @huggingface/tokenizers; this file adds what that library
// does not do, or does not do reliably: special tokens from tokenizer_config.json /
// special_tokens_map.json / config.json, the post-processor template (for pairs too: the library
// drops the second text for ByteLevel post-processors), and add_bos_token / add_eos_token /
// do_lower_case as transformers applies them. Truncation and padding live in pair.ts and ranking.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { DisrankerError, InputError } from '../util/errors.js';
import type { TokenizerJson } from './tokenizer-json.js';

export type SpecialRole = 'bos' | 'eos' | 'pad' | 'unk' | 'cls' | 'sep' | 'mask';
export const SPECIAL_ROLES: readonly SpecialRole[] = ['bos', 'eos', 'pad', 'unk', 'cls', 'sep', 'mask'];

export interface SpecialToken {
  token: string;
  id: number;
}

/**
 * config.json-style overrides: `eos_token_id: 2` or `eos_token: "</s>"` (null = none). They win over
 * every file. A model folder's config.json is read too, but only fills roles the tokenizer files leave open.
 */
export type SpecialOverrides = Partial<Record<`${SpecialRole}_token` | `${SpecialRole}_token_id`, string | number | null>>;

/** One item of a post-processor template. */
export type TemplateItem = { special: number[]; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

export interface LoadTokenizerOptions {
  overrides?: SpecialOverrides;
}

const FALLBACK_NAMES: Record<string, SpecialRole[]> = {
  '[PAD]': ['pad'],
  '[UNK]': ['unk'],
  '[CLS]': ['cls'],
  '[SEP]': ['sep'],
  '[MASK]': ['mask'],
  '<s>': ['bos'],
  '</s>': ['eos'],
  '<pad>': ['pad'],
  '<unk>': ['unk'],
  '<mask>': ['mask'],
  '<|endoftext|>': ['eos', 'bos', 'unk'], // GPT-2's defaults: bos = eos = unk
};

function tokenText(v: unknown): string | null | undefined {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

function readJson(file: string): any {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DisrankerError('DR_ERR_FILE', `${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(file, undefined, undefined, `not valid JSON: ${(err as Error).message}`);
  }
}

export interface TokenizerSources {
  /** Parsed tokenizer.json. */
  tokenizer: TokenizerJson;
  /** Parsed tokenizer_config.json ({} when absent). */
  config?: Record<string, unknown>;
  /** Parsed special_tokens_map.json. */
  specialTokensMap?: Record<string, unknown>;
  /** Parsed model config.json (only its `*_token_id` fields are used). */
  modelConfig?: Record<string, unknown>;
  /** Names used in error messages. */
  name?: string;
}

export class TextTokenizer {
  readonly json: TokenizerJson;
  readonly config: Record<string, unknown>;
  readonly name: string;
  /** The resolved special tokens; a role is absent when the tokenizer has none. */
  readonly special: Partial<Record<SpecialRole, SpecialToken>> = {};
  /** Post-processor templates (`[CLS] A [SEP]`, `<s> A`, `A`...). */
  readonly single: TemplateItem[];
  readonly pair: TemplateItem[];
  /** model_max_length from tokenizer_config.json (undefined when absent or a "no limit" sentinel). */
  readonly modelMaxLength: number | undefined;
  private readonly hf: HfTokenizer;
  private readonly specialIds: Set<number>;

  constructor(src: TokenizerSources, opts: LoadTokenizerOptions = {}) {
    this.name = src.name ?? 'tokenizer.json';
    this.config = { ...(src.config ?? {}) };
    const json = structuredClone(src.tokenizer);
    if (!json || typeof json !== 'object' || !json.model) throw new InputError(this.name, undefined, 'model', 'missing');
    json.added_tokens ??= [];
    checkTokenIds(json, this.name);
    // transformers' BertTokenizerFast rebuilds the normalizer from do_lower_case / strip_accents / tokenize_chinese_chars.
    if (json.normalizer?.type === 'BertNormalizer') {
      const c = this.config;
      if (typeof c.do_lower_case === 'boolean') json.normalizer.lowercase = c.do_lower_case;
      if (c.strip_accents === null || typeof c.strip_accents === 'boolean') json.normalizer.strip_accents = c.strip_accents;
      if (typeof c.tokenize_chinese_chars === 'boolean') json.normalizer.handle_chinese_chars = c.tokenize_chinese_chars;
    }
    this.json = json;
    try {
      this.hf = new HfTokenizer(json, this.config);
    } catch (err) {
      throw new InputError(this.name, undefined, undefined, `cannot build the tokenizer: ${(err as Error).message}`);
    }
    cacheWordPiece(this.hf);
    const mml = this.config.model_max_length;
    this.modelMaxLength = typeof mml === 'number' && mml > 0 && mml < 1e9 ? mml : undefined;
    this.resolveSpecials(src, opts.overrides ?? {});
    this.specialIds = new Set(json.added_tokens.filter((t) => t.special).map((t) => t.id));
    for (const s of Object.values(this.special)) if (s) this.specialIds.add(s.id);
    [this.single, this.pair] = this.templates();
    probe(this.hf, this.name);
  }

  get vocabSize(): number {
    return this.hf.get_vocab(true).size;
  }

  /** The largest token id (added tokens included); a model needs vocab_size > this. -1 for an empty vocabulary. */
  get maxTokenId(): number {
    let max = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > max) max = id;
    return max;
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Ids of `text` with no special tokens added (added tokens inside the text are still matched). */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /** Token strings of `text`, no special tokens added. */
  tokenize(text: string): string[] {
    if (text.length === 0) return [];
    return this.hf.encode(text, { add_special_tokens: false }).tokens;
  }

  /** Apply the post-processor template to already-encoded sequences. */
  applyTemplate(a: number[], b?: number[]): { ids: number[]; typeIds: number[] } {
    const ids: number[] = [];
    const typeIds: number[] = [];
    for (const item of b === undefined ? this.single : this.pair) {
      const part = 'special' in item ? item.special : item.sequence === 'A' ? a : b!;
      for (const id of part) {
        ids.push(id);
        typeIds.push(item.typeId);
      }
    }
    return { ids, typeIds };
  }

  /** Encode like `tokenizer(text, text_pair)` in transformers (no truncation). */
  encodeWithSpecials(text: string, pair?: string): { ids: number[]; typeIds: number[] } {
    return this.applyTemplate(this.encode(text), pair === undefined ? undefined : this.encode(pair));
  }

  /** Number of special tokens the template adds for one sequence / a pair. */
  numSpecialTokens(pair: boolean): number {
    let n = 0;
    for (const item of pair ? this.pair : this.single) if ('special' in item) n += item.special.length;
    return n;
  }

  /** The ids of every special token (added tokens marked special, and the resolved roles). */
  specialTokenIds(): ReadonlySet<number> {
    return this.specialIds;
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const list = Array.from(ids).filter((id) => !(opts.skipSpecialTokens && this.specialIds.has(id)));
    if (list.length === 0) return '';
    return this.hf.decode(list, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  private resolveSpecials(src: TokenizerSources, overrides: SpecialOverrides): void {
    const set = (role: SpecialRole, token: string, file: string, field: string): void => {
      const id = this.hf.token_to_id(token);
      if (id === undefined) throw new InputError(file, undefined, field, `token ${JSON.stringify(token)} is not in the vocabulary of ${this.name}`);
      this.special[role] = { token, id };
    };
    const setId = (role: SpecialRole, id: unknown, file: string, field: string): void => {
      const first = Array.isArray(id) ? id[0] : id; // config.json may list several eos ids
      const token = typeof first === 'number' ? this.hf.id_to_token(first) : undefined;
      if (token === undefined) throw new InputError(file, undefined, field, `${JSON.stringify(id)} is not a token id of ${this.name}`);
      this.special[role] = { token, id: first as number };
    };
    const decided = new Set<SpecialRole>();
    for (const role of SPECIAL_ROLES) {
      // 1. explicit overrides
      const oid = overrides[`${role}_token_id`];
      const otok = overrides[`${role}_token`];
      if (oid !== undefined || otok !== undefined) {
        decided.add(role);
        if (oid !== undefined && oid !== null) setId(role, oid, 'overrides', `${role}_token_id`);
        else if (typeof otok === 'string') set(role, otok, 'overrides', `${role}_token`);
        continue;
      }
      // 2. tokenizer_config.json, then special_tokens_map.json (null = explicitly none)
      for (const [doc, file] of [
        [src.config, 'tokenizer_config.json'],
        [src.specialTokensMap, 'special_tokens_map.json'],
      ] as const) {
        if (!doc || !(`${role}_token` in doc)) continue;
        const t = tokenText(doc[`${role}_token`]);
        if (t === undefined) throw new InputError(file, undefined, `${role}_token`, 'expected a string, {"content": ...} or null');
        decided.add(role);
        if (t !== null) set(role, t, file, `${role}_token`);
        break;
      }
      if (decided.has(role)) continue;
      // 3. config.json's *_token_id
      const cid = src.modelConfig?.[`${role}_token_id`];
      if (cid !== undefined && cid !== null) {
        decided.add(role);
        setId(role, cid, 'config.json', `${role}_token_id`);
      }
    }
    // 4. well-known names among the added tokens, and the model's unk token
    for (const t of this.json.added_tokens) {
      for (const role of FALLBACK_NAMES[t.content] ?? []) {
        if (!decided.has(role) && !this.special[role]) this.special[role] = { token: t.content, id: t.id };
      }
    }
    const unk = this.json.model.unk_token;
    if (!decided.has('unk') && !this.special.unk && typeof unk === 'string' && this.hf.token_to_id(unk) !== undefined) {
      this.special.unk = { token: unk, id: this.hf.token_to_id(unk)! };
    }
  }

  private templates(): [TemplateItem[], TemplateItem[]] {
    const A: TemplateItem = { sequence: 'A', typeId: 0 };
    const B: TemplateItem = { sequence: 'B', typeId: 1 };
    let single: TemplateItem[] = [A];
    let pair: TemplateItem[] = [A, B];
    const pick = (pp: any): any => {
      if (!pp) return null;
      if (pp.type === 'Sequence') return (pp.processors ?? []).map(pick).find((p: any) => p) ?? null;
      return ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing'].includes(pp.type) ? pp : null;
    };
    const pp = pick(this.json.post_processor);
    const field = 'post_processor';
    // Every id the template inserts must be a token of the vocabulary.
    const tokenIds = (ids: unknown, where: string): number[] => {
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && this.hf.id_to_token(id) !== undefined)) {
        throw new InputError(this.name, undefined, `${field}.${where}`, `expected token ids of the vocabulary, found ${JSON.stringify(ids)}`);
      }
      return ids;
    };
    if (pp?.type === 'TemplateProcessing') {
      const typeIdOf = (piece: any, where: string): number => {
        const t = piece.type_id ?? 0;
        if (!Number.isInteger(t) || t < 0) throw new InputError(this.name, undefined, `${field}.${where}.type_id`, `expected an integer ≥ 0, found ${JSON.stringify(t)}`);
        return t;
      };
      const conv = (pieces: unknown, which: string): TemplateItem[] => {
        if (pieces === undefined || pieces === null) return [];
        if (!Array.isArray(pieces)) throw new InputError(this.name, undefined, `${field}.${which}`, 'expected a list of pieces');
        return pieces.map((p: any, i: number): TemplateItem => {
          const where = `${which}[${i}]`;
          if (p?.Sequence && typeof p.Sequence === 'object') return { sequence: p.Sequence.id === 'B' ? 'B' : 'A', typeId: typeIdOf(p.Sequence, where) };
          if (!p?.SpecialToken || typeof p.SpecialToken !== 'object') throw new InputError(this.name, undefined, `${field}.${where}`, 'expected {"Sequence": ...} or {"SpecialToken": ...}');
          const name = p.SpecialToken.id;
          const ids = pp.special_tokens?.[name]?.ids;
          if (!Array.isArray(ids)) throw new InputError(this.name, undefined, field, `special token ${JSON.stringify(name)} has no ids`);
          return { special: tokenIds(ids, `special_tokens[${JSON.stringify(name)}].ids`), typeId: typeIdOf(p.SpecialToken, where) };
        });
      };
      single = conv(pp.single, 'single');
      pair = conv(pp.pair, 'pair');
    } else if (pp?.type === 'BertProcessing' || pp?.type === 'RobertaProcessing') {
      const cls = tokenIds([pp.cls?.[1]], 'cls');
      const sep = tokenIds([pp.sep?.[1]], 'sep');
      single = [{ special: cls, typeId: 0 }, A, { special: sep, typeId: 0 }];
      pair =
        pp.type === 'BertProcessing'
          ? [{ special: cls, typeId: 0 }, A, { special: sep, typeId: 0 }, B, { special: sep, typeId: 1 }]
          : [{ special: cls, typeId: 0 }, A, { special: sep, typeId: 0 }, { special: sep, typeId: 0 }, { ...B, typeId: 0 }, { special: sep, typeId: 0 }];
    }
    // transformers' LlamaTokenizerFast (and others) rebuild the template from add_bos_token / add_eos_token.
    const addBos = this.config.add_bos_token;
    const addEos = this.config.add_eos_token;
    if (typeof addBos === 'boolean' || typeof addEos === 'boolean') {
      const hasBos = typeof addBos === 'boolean' ? addBos : this.startsWith(single, this.special.bos?.id);
      const hasEos = typeof addEos === 'boolean' ? addEos : this.endsWith(single, this.special.eos?.id);
      const bos = hasBos && this.special.bos ? [this.special.bos.id] : [];
      const eos = hasEos && this.special.eos ? [this.special.eos.id] : [];
      const seq = (which: 'A' | 'B', typeId: number): TemplateItem[] => [
        ...(bos.length ? [{ special: bos, typeId }] : []),
        { sequence: which, typeId },
        ...(eos.length ? [{ special: eos, typeId }] : []),
      ];
      single = seq('A', 0);
      pair = [...seq('A', 0), ...seq('B', 1)];
    }
    return [single, pair];
  }

  private startsWith(t: TemplateItem[], id: number | undefined): boolean {
    const first = t[0];
    return id !== undefined && first !== undefined && 'special' in first && first.special[0] === id;
  }

  private endsWith(t: TemplateItem[], id: number | undefined): boolean {
    const last = t[t.length - 1];
    return id !== undefined && last !== undefined && 'special' in last && last.special[last.special.length - 1] === id;
  }

  /** True when the template puts bos first (RankLLaMA / LLaMA / Mistral), false for GPT-2, Qwen2, BERT. */
  get addsBos(): boolean {
    return this.startsWith(this.single, this.special.bos?.id);
  }
}

/** Text with words, punctuation, digits, accents, CJK and an emoji: what any tokenizer must get through. */
const PROBE_TEXT = 'Hello, World! what is a cat? 42 café Straße 中文 🙂';

/**
 * Encode and decode a probe text once: the library builds some components lazily, so a malformed normalizer,
 * pre-tokenizer, model or decoder would otherwise fail (with a TypeError) on the first real text.
 */
function probe(hf: HfTokenizer, file: string): void {
  try {
    const { ids } = hf.encode(PROBE_TEXT, { add_special_tokens: false });
    if (ids.length === 0 || ids.some((id: number) => !Number.isInteger(id))) throw new Error(`"${PROBE_TEXT}" encodes to ids that are not in the vocabulary (is model.unk_token one of its tokens?)`);
    if (typeof hf.decode(ids, { skip_special_tokens: false }) !== 'string') throw new Error('decoding does not give text');
  } catch (err) {
    throw new InputError(file, undefined, undefined, `the tokenizer does not work: ${(err as Error).message}`);
  }
}

/** Holes allowed between token ids: real vocabularies are dense, or nearly (reserved ranges). */
const MAX_ID_HOLES = 65_536;

/**
 * Token ids of the vocabulary (object form: WordPiece, BPE, WordLevel) and of added_tokens must be integers in
 * 0 … entries + MAX_ID_HOLES (and an added token's content a non-empty string): the library stores tokens in an array indexed by id, so an id like 2^31 would make
 * every vocabulary walk take minutes, and a fractional one would be silently unreachable.
 */
function checkTokenIds(json: TokenizerJson, file: string): void {
  const vocab = json.model?.vocab;
  const entries: [string, unknown, string][] = [];
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [token, id] of Object.entries(vocab)) entries.push([`model.vocab[${JSON.stringify(token)}]`, id, token]);
  }
  if (!Array.isArray(json.added_tokens)) throw new InputError(file, undefined, 'added_tokens', 'expected an array');
  json.added_tokens.forEach((t, i) => {
    const content = (t as { content?: unknown } | null)?.content;
    if (typeof content !== 'string' || content === '') throw new InputError(file, undefined, `added_tokens[${i}].content`, `expected a non-empty string, found ${JSON.stringify(content)}`);
    entries.push([`added_tokens[${i}].id`, (t as { id?: unknown }).id, content]);
  });
  const max = entries.length + MAX_ID_HOLES;
  for (const [field, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > max) {
      throw new InputError(file, undefined, field, `expected a token id (an integer between 0 and ${max}), found ${JSON.stringify(id)}`);
    }
  }
}

/**
 * The library's WordPiece re-runs the greedy longest-match for every word it sees (about a quarter of
 * BERT encoding time). Each word's pieces depend on the word alone, so a word → pieces cache is exact.
 */
function cacheWordPiece(hf: HfTokenizer): void {
  const model = hf.model as unknown as { encode?: (words: string[]) => string[]; max_input_chars_per_word?: number };
  if (!model || typeof model.encode !== 'function' || model.max_input_chars_per_word === undefined) return;
  const encode = model.encode.bind(model);
  const cache = new Map<string, string[]>();
  model.encode = (words: string[]): string[] => {
    const out: string[] = [];
    for (const w of words) {
      let pieces = cache.get(w);
      if (pieces === undefined) {
        pieces = encode([w]);
        if (cache.size >= 100_000) cache.clear();
        cache.set(w, pieces);
      }
      for (const p of pieces) out.push(p);
    }
    return out;
  };
}

/** Build a tokenizer from parsed documents (e.g. a freshly trained one). */
export function tokenizerFromJson(
  tokenizer: TokenizerJson,
  config: Record<string, unknown> = {},
  opts: LoadTokenizerOptions = {},
): TextTokenizer {
  return new TextTokenizer({ tokenizer, config }, opts);
}

/**
 * Load a Hugging Face tokenizer folder: tokenizer.json (required), tokenizer_config.json,
 * special_tokens_map.json and config.json (each optional).
 */
export function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): TextTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) {
    throw new DisrankerError('DR_ERR_FILE', `${file}: missing (only Hugging Face tokenizer.json folders are supported)`);
  }
  const opt = (name: string): any => (existsSync(join(dir, name)) ? readJson(join(dir, name)) : undefined);
  return new TextTokenizer(
    {
      tokenizer: readJson(file),
      config: opt('tokenizer_config.json') ?? {},
      specialTokensMap: opt('special_tokens_map.json'),
      modelConfig: opt('config.json'),
      name: file,
    },
    opts,
  );
}

// Encoding only as much of a long text as truncation will keep. A 1 MB document should not cost a
// 1 MB tokenization when 120 tokens survive: encode a prefix cut at a word boundary. When the tokenizer splits
// words at whitespace before anything else sees them (BERT's and GPT-2's pre-tokenizers, per-character
// normalizers), ids before a whitespace cut cannot depend on text after it, so the prefix's ids are the text's.
// Otherwise, or when no whitespace is near, the prefix is accepted only when a longer one gives the same first
// `need` ids (so the cut did not change them).
import type { TextTokenizer } from './tokenizer.js';

const SPACE = /\p{White_Space}/u;

/** A cut position at or after `from`: before a whitespace that follows a non-whitespace, else a code point boundary. */
function cutAt(text: string, from: number): { at: number; space: boolean } {
  const end = Math.min(text.length, from + 1024);
  for (let i = Math.max(from, 1); i < end; i++) {
    if (SPACE.test(text[i]) && !SPACE.test(text[i - 1])) return { at: i, space: true };
  }
  let i = Math.min(from, text.length);
  const c = text.charCodeAt(i);
  if (c >= 0xdc00 && c <= 0xdfff) i++; // do not split a surrogate pair
  return { at: i, space: false };
}

const WORD_SPLITTERS = new Set(['BertPreTokenizer', 'Whitespace', 'WhitespaceSplit']);
const CHAR_NORMALIZERS = new Set(['BertNormalizer', 'Lowercase', 'NFC', 'NFD', 'NFKC', 'NFKD', 'StripAccents']);
const wordLocalCache = new WeakMap<TextTokenizer, boolean>();

/** Whether the tokenizer's ids before a whitespace never depend on the text after it (see the header). */
export function splitsAtWhitespace(tok: TextTokenizer): boolean {
  let v = wordLocalCache.get(tok);
  if (v === undefined) {
    const json = tok.json as { normalizer?: { type: string; normalizers?: { type: string }[] } | null; pre_tokenizer?: { type: string; use_regex?: boolean } | null; added_tokens?: { content: string }[] };
    const n = json.normalizer;
    const normOk = !n || CHAR_NORMALIZERS.has(n.type) || (n.type === 'Sequence' && (n.normalizers ?? []).every((x) => CHAR_NORMALIZERS.has(x.type)));
    const p = json.pre_tokenizer;
    const preOk = !!p && (WORD_SPLITTERS.has(p.type) || (p.type === 'ByteLevel' && p.use_regex !== false));
    const addedOk = (json.added_tokens ?? []).every((t) => !SPACE.test(t.content));
    v = normOk && preOk && addedOk;
    wordLocalCache.set(tok, v);
  }
  return v;
}

/**
 * The first `need` ids of `text` (fewer if the text is shorter), equal to `tok.encode(text).slice(0, need)`.
 * Texts shorter than about 5 characters per needed token are simply encoded whole.
 */
export function encodeHead(tok: TextTokenizer, text: string, need: number): number[] {
  if (need <= 0) return [];
  const local = splitsAtWhitespace(tok);
  let chars = need * 5 + 32;
  while (chars < text.length) {
    const c1 = cutAt(text, chars);
    if (c1.at >= text.length) break;
    const a = tok.encode(text.slice(0, c1.at));
    if (a.length >= need) {
      if (local && c1.space) return a.slice(0, need);
      const c2 = cutAt(text, c1.at + 256);
      if (c2.at >= text.length) break;
      const b = tok.encode(text.slice(0, c2.at));
      let same = b.length >= need;
      for (let i = 0; same && i < need; i++) same = a[i] === b[i];
      if (same) return a.slice(0, need);
    }
    chars *= 2;
  }
  return tok.encode(text).slice(0, need);
}

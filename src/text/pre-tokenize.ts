// Our own implementation of the text-splitting stages that our trainers use: Hugging Face's
// BertNormalizer, BertPreTokenizer and ByteLevel pre-tokenizer (GPT-2 regex + byte-to-unicode map).
// They follow the Rust `tokenizers` crate (v0.19), not Python's slow tokenizers. The trainers need them
// to count words, and the reference encoders in reference.ts use them as a path independent of
// @huggingface/tokenizers (which is what the loader uses).

export interface BertNormalizerOptions {
  /** Drop control characters and map every whitespace to ' '. Default true. */
  clean_text?: boolean;
  /** Put spaces around CJK ideographs so each becomes its own word. Default true. */
  handle_chinese_chars?: boolean;
  /** NFD, then drop non-spacing marks. null (default) = follow `lowercase`. */
  strip_accents?: boolean | null;
  /** Lowercase each character. Default true. */
  lowercase?: boolean;
}

const CONTROL = /\p{C}/u;
const WHITESPACE = /\p{White_Space}/u;
const PUNCT = /[\p{P}!-/:-@[-`{-~]/u;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Rust's per-character lowercase (no final-sigma rule, unlike String.prototype.toLowerCase). */
function lowercaseChars(s: string): string {
  if (!s.includes('Σ')) return s.toLowerCase();
  let out = '';
  for (const c of s) out += c.toLowerCase();
  return out;
}

/** BertNormalizer as in tokenizers (Rust): clean text, pad CJK, strip accents, lowercase. */
export function bertNormalize(text: string, opts: BertNormalizerOptions = {}): string {
  const clean = opts.clean_text ?? true;
  const cjk = opts.handle_chinese_chars ?? true;
  const lowercase = opts.lowercase ?? true;
  const strip = opts.strip_accents ?? lowercase;
  let s = text;
  if (clean || cjk) {
    let out = '';
    for (const c of s) {
      const cp = c.codePointAt(0)!;
      if (clean) {
        if (c === '\t' || c === '\n' || c === '\r') {
          out += ' ';
          continue;
        }
        if (cp === 0 || cp === 0xfffd || CONTROL.test(c)) continue;
        if (WHITESPACE.test(c)) {
          out += ' ';
          continue;
        }
      }
      out += cjk && isChineseChar(cp) ? ` ${c} ` : c;
    }
    s = out;
  }
  if (strip) s = s.normalize('NFD').replace(/\p{Mn}/gu, '');
  if (lowercase) s = lowercaseChars(s);
  return s;
}

/** BertPreTokenizer: split on whitespace (dropped) and on punctuation (each its own word). */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const c of text) {
    if (WHITESPACE.test(c)) {
      if (cur) words.push(cur);
      cur = '';
    } else if (PUNCT.test(c)) {
      if (cur) words.push(cur);
      words.push(c);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) words.push(cur);
  return words;
}

// GPT-2's split regex. Oniguruma's \s is Unicode White_Space, which JS's \s is not quite (\uFEFF, \u0085).
const WS = '\\p{White_Space}';
const GPT2_SPLIT = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  'gu',
);

/** GPT-2's reversible byte → printable character table (`bytes_to_unicode`). */
export const BYTE_TO_CHAR: string[] = (() => {
  const table: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return table;
})();

const UTF8 = new TextEncoder();

/** Map a string's UTF-8 bytes through BYTE_TO_CHAR. */
export function toByteChars(s: string): string {
  let out = '';
  for (const b of UTF8.encode(s)) out += BYTE_TO_CHAR[b];
  return out;
}

/** ByteLevel pre-tokenizer (use_regex=true): GPT-2 regex split, then bytes → printable characters. */
export function byteLevelPreTokenize(text: string, addPrefixSpace = false): string[] {
  const s = addPrefixSpace && !text.startsWith(' ') ? ` ${text}` : text;
  const out: string[] = [];
  for (const m of s.matchAll(GPT2_SPLIT)) out.push(toByteChars(m[0]));
  return out;
}

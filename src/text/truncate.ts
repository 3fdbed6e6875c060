// Encoding only as much of a long text as truncation will keep. A 1 MB document should not cost a
// 1 MB tokenization when 120 tokens survive: encode a prefix cut at a word boundary, and accept it
// when a longer prefix gives the same first `need` ids (so the cut did not change them).
import type { TextTokenizer } from './tokenizer.js';

const SPACE = /\p{White_Space}/u;

/** A cut position at or after `from`: before a whitespace that follows a non-whitespace, else a code point boundary. */
function cutAt(text: string, from: number): number {
  const end = Math.min(text.length, from + 1024);
  for (let i = Math.max(from, 1); i < end; i++) {
    if (SPACE.test(text[i]) && !SPACE.test(text[i - 1])) return i;
  }
  let i = Math.min(from, text.length);
  const c = text.charCodeAt(i);
  if (c >= 0xdc00 && c <= 0xdfff) i++; // do not split a surrogate pair
  return i;
}

/**
 * The first `need` ids of `text` (fewer if the text is shorter), equal to `tok.encode(text).slice(0, need)`.
 * Texts shorter than about 8 characters per needed token are simply encoded whole.
 */
export function encodeHead(tok: TextTokenizer, text: string, need: number): number[] {
  if (need <= 0) return [];
  let chars = need * 8 + 64;
  while (chars < text.length) {
    const c1 = cutAt(text, chars);
    const c2 = cutAt(text, c1 + 256);
    if (c2 >= text.length) break;
    const a = tok.encode(text.slice(0, c1));
    if (a.length >= need) {
      const b = tok.encode(text.slice(0, c2));
      let same = b.length >= need;
      for (let i = 0; same && i < need; i++) same = a[i] === b[i];
      if (same) return a.slice(0, need);
    }
    chars *= 4;
  }
  return tok.encode(text).slice(0, need);
}

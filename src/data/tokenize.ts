// The word tokenizer of BM25 and the data statistics: Unicode-aware lowercase, split on anything that is not a
// letter, mark or digit, drop Lucene's English stop words (the set Anserini's BM25 uses). No stemming.

/** Lucene's EnglishAnalyzer stop set (`ENGLISH_STOP_WORDS_SET`). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '),
);

const SPLIT = /[^\p{L}\p{M}\p{N}]+/u;

/** All word tokens, lowercased (stop words kept). */
export function words(text: string): string[] {
  return text.toLowerCase().split(SPLIT).filter((t) => t !== '');
}

/** Index terms: words minus stop words. */
export function terms(text: string): string[] {
  return words(text).filter((t) => !STOPWORDS.has(t));
}

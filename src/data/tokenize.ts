// The word tokenizer of BM25 and the data statistics: Unicode-aware lowercase, split on anything that is not a
// letter, mark or digit, drop Lucene's English stop words and apply the Porter stemmer (Anserini's defaults).
import { stemmer } from 'stemmer';

/** Lucene's EnglishAnalyzer stop set (`ENGLISH_STOP_WORDS_SET`). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '),
);

const SPLIT = /[^\p{L}\p{M}\p{N}]+/u;

/** All word tokens, lowercased (stop words kept). */
export function words(text: string): string[] {
  return text.toLowerCase().split(SPLIT).filter((t) => t !== '');
}

const stems = new Map<string, string>();
/** Porter stem of a lowercased word (memoised: corpora repeat words). */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = stemmer(word);
    if (stems.size < 1_000_000) stems.set(word, s);
  }
  return s;
}

/** Index terms: words minus stop words, Porter-stemmed. */
export function terms(text: string): string[] {
  return words(text)
    .filter((t) => !STOPWORDS.has(t))
    .map(stem);
}

// Made-up but English-looking words for the synthetic world: syllables of common English onsets, vowels and codas,
// with an occasional English suffix. Every word drawn from one WordMaker is new.
import type { Random } from '../../util/random.js';
import { STOPWORDS } from '../tokenize.js';

const ONSETS = ['b', 'br', 'c', 'ch', 'cl', 'cr', 'd', 'dr', 'f', 'fl', 'fr', 'g', 'gl', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'pl', 'pr', 'qu', 'r', 's', 'sc', 'sh', 'sl', 'sp', 'st', 't', 'th', 'tr', 'v', 'w', 'wh', 'z'];
const SINGLE = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'i', 'o', 'a', 'e', 'o', 'ai', 'ea', 'ee', 'oo', 'ou'];
const CODAS = ['', '', '', '', 'n', 'r', 'l', 's', 't', 'm', 'nd', 'st', 'rk', 'ng', 'x', 'ck', 'lt'];
const SUFFIXES = ['er', 'ing', 'ly', 'ion', 'al', 'ment', 'ness', 'ic', 'ous', 'ive', 'able', 'ery'];

/** Real English words the templates use; a made-up word never equals one of them. */
export const ENGLISH = new Set([
  ...STOPWORDS,
  ...'how what best cheap near about from your our its has have offers learn guide review reviews new all more most top find get make made use using which who when where why can do does you we he she his her our them than also very'.split(' '),
]);

export class WordMaker {
  private readonly used = new Set<string>(ENGLISH);
  constructor(private readonly rng: Random) {}

  /** A new lowercase word of `minSyl`..`maxSyl` syllables. */
  word(minSyl = 2, maxSyl = 3): string {
    for (;;) {
      const n = this.rng.range(minSyl, maxSyl);
      let w = '';
      let coda = '';
      for (let i = 0; i < n; i++) {
        // After a closed syllable only a single consonant follows (no "mppr" pile-ups).
        const onset = i === 0 ? (this.rng.bernoulli(0.1) ? '' : this.rng.pick(ONSETS)) : coda !== '' ? this.rng.pick(SINGLE) : this.rng.pick(ONSETS);
        coda = i === n - 1 || this.rng.bernoulli(0.3) ? this.rng.pick(CODAS) : '';
        w += onset + this.rng.pick(VOWELS) + coda;
      }
      if (this.rng.bernoulli(0.2)) w += this.rng.pick(SUFFIXES);
      if (w.length < 4 || w.length > 11 || this.used.has(w)) continue;
      this.used.add(w);
      return w;
    }
  }

  /** A capitalised name (an entity), one or two words. */
  name(): string {
    const parts = this.rng.bernoulli(0.3) ? [this.word(2, 2), this.word(1, 2)] : [this.word(2, 3)];
    return parts.map(capitalize).join(' ');
  }
}

export function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

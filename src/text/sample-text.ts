// Deterministic pseudo-English text for trainer tests and the tokenizer bench when no real data is
// at hand: Zipf-distributed words built from syllables, with punctuation, numbers, a little
// accented, CJK and emoji text, and MS MARCO style mojibake (`Â¼`).

import { mulberry32 } from '../util/random.js';

const SYLLABLES = ['ka', 'to', 'ri', 'men', 'sa', 'lo', 'ter', 'in', 'on', 'the', 'an', 'es', 'ver', 'pro', 'dis', 'ing', 'ed', 'al', 'tion', 'ro', 'mi', 'na', 'pe', 'qu', 'st', 'ly'];
const EXTRAS = ['café', 'naïve', 'résumé', '東京', '北京大学', '😀', '🎉', 'Â¼', 'â€™s', 'Ã©t', '—', '2,102,650', '3.5%', '(1990)', 'U.S.'];

export interface SampleTextOptions {
  seed?: number;
  /** Distinct words. Default 3000. */
  vocabulary?: number;
}

/** A generator of `count` documents of `minWords`..`maxWords` words. */
export function* sampleDocuments(count: number, minWords: number, maxWords: number, opts: SampleTextOptions = {}): Generator<string> {
  const rand = mulberry32(opts.seed ?? 1);
  const words: string[] = [];
  const nv = opts.vocabulary ?? 3000;
  for (let i = 0; i < nv; i++) {
    const n = 1 + Math.floor(rand() * 3) + (rand() < 0.2 ? 1 : 0);
    let w = '';
    for (let k = 0; k < n; k++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.push(w);
  }
  // Zipf weights, sampled by inverting the cumulative sum.
  const cum: number[] = [];
  let total = 0;
  for (let i = 0; i < nv; i++) cum.push((total += 1 / (i + 1)));
  const pick = (): string => {
    const x = rand() * total;
    let lo = 0;
    let hi = nv - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  for (let d = 0; d < count; d++) {
    const n = minWords + Math.floor(rand() * (maxWords - minWords + 1));
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      let w = rand() < 0.02 ? EXTRAS[Math.floor(rand() * EXTRAS.length)] : pick();
      if (i === 0 || rand() < 0.05) w = w.charAt(0).toUpperCase() + w.slice(1);
      if (rand() < 0.02) w += String(Math.floor(rand() * 2000));
      const r = rand();
      if (r < 0.06) w += ',';
      else if (r < 0.1) w += '.';
      else if (r < 0.11) w += "'s";
      out.push(w);
    }
    yield out.join(' ');
  }
}

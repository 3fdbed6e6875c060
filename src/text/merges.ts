// The pair-merging loop shared by both trainers (BPE learns its merges with it; WordPiece, as in
// Hugging Face's WordPieceTrainer, learns a vocabulary the same way with `##` on non-initial symbols).
//
// Words are arrays of symbol ids with a corpus count. Each step merges the most frequent adjacent pair
// (ties: the pair whose symbol ids are smallest, so training is deterministic). Pair counts are kept
// in a map, the words holding each pair in an index, and the best pair in a lazy max-heap: stale heap
// entries are re-checked against the map when popped.

export interface MergeInput {
  /** Symbol strings; index = symbol id. New symbols are appended. */
  symbols: string[];
  /** Each distinct word as symbol ids. Mutated in place. */
  words: number[][];
  /** How often each word occurs in the corpus. */
  counts: number[];
}

export interface MergeOptions {
  /** Stop when `symbols.length` reaches this. */
  maxSymbols: number;
  /** Stop when the best pair occurs fewer times than this. */
  minFrequency: number;
  /** String of the merged symbol. */
  join: (a: string, b: string) => string;
}

const SHIFT = 2 ** 22; // symbol ids stay below 4M, so a pair fits a double exactly
const key = (a: number, b: number): number => a * SHIFT + b;

interface HeapItem {
  count: number;
  pair: number;
}

/** Max-heap on (count, then smaller pair key). */
class PairHeap {
  private items: HeapItem[] = [];
  get size(): number {
    return this.items.length;
  }
  private better(x: HeapItem, y: HeapItem): boolean {
    return x.count > y.count || (x.count === y.count && x.pair < y.pair);
  }
  push(item: HeapItem): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): HeapItem | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.better(a[l], a[m])) m = l;
        if (r < a.length && this.better(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Learn merges until `maxSymbols` symbols exist. Returns the merges as [left id, right id] in order. */
export function learnMerges(input: MergeInput, opts: MergeOptions): Array<[number, number]> {
  const { symbols, words, counts } = input;
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const k = key(word[i], word[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + counts[w]);
      let s = where.get(k);
      if (!s) where.set(k, (s = new Set()));
      s.add(w);
    }
  }
  const heap = new PairHeap();
  for (const [pair, count] of pairCount) heap.push({ count, pair });

  const merges: Array<[number, number]> = [];
  const index = new Map<string, number>(symbols.map((s, i) => [s, i]));
  while (symbols.length < opts.maxSymbols && heap.size > 0) {
    const top = heap.pop()!;
    const actual = pairCount.get(top.pair) ?? 0;
    if (actual !== top.count) {
      if (actual > 0) heap.push({ count: actual, pair: top.pair });
      continue;
    }
    if (actual < opts.minFrequency || actual <= 0) break;
    const a = Math.floor(top.pair / SHIFT);
    const b = top.pair % SHIFT;
    const merged = opts.join(symbols[a], symbols[b]);
    let c = index.get(merged);
    if (c === undefined) {
      c = symbols.length;
      symbols.push(merged);
      index.set(merged, c);
    }
    merges.push([a, b]);
    // Re-count the pairs of every word that holds (a, b): subtract before, add after.
    const delta = new Map<number, number>();
    for (const w of where.get(top.pair) ?? []) {
      const word = words[w];
      const n = counts[w];
      let found = false;
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === a && word[i + 1] === b) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      for (let i = 0; i + 1 < word.length; i++) {
        const k = key(word[i], word[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) - n);
      }
      const out: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          out.push(c);
          i++;
        } else {
          out.push(word[i]);
        }
      }
      words[w] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const k = key(out[i], out[i + 1]);
        delta.set(k, (delta.get(k) ?? 0) + n);
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(w);
      }
    }
    where.delete(top.pair);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const now = (pairCount.get(k) ?? 0) + d;
      if (now > 0) pairCount.set(k, now);
      else pairCount.delete(k);
      if (d > 0) heap.push({ count: now, pair: k });
    }
  }
  return merges;
}

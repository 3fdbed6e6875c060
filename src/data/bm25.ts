// BM25 over documents (title + summary): the first-stage retriever and the baseline every model must beat.
//
//   score(q, d) = Σ_{t ∈ q} idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
//   idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))                 (Lucene's BM25Similarity)
//
// Defaults k1 = 0.9, b = 0.4: Anserini's MS MARCO passage settings. Query terms count once per occurrence (a term
// repeated in the query adds again, as in Lucene's BooleanQuery). Tokens: `terms()` (lowercase, Unicode letters and
// digits, Lucene stop words removed, Porter-stemmed, as Anserini's default analyzer).
import { terms } from './tokenize.js';

export interface Bm25Params {
  k1: number;
  b: number;
}

export const BM25_DEFAULTS: Bm25Params & { k: number } = { k1: 0.9, b: 0.4, k: 100 };

/** The text BM25 indexes for a document. */
export function documentText(d: { title: string; summary: string }): string {
  return d.title === '' ? d.summary : `${d.title} ${d.summary}`;
}

export class Bm25Index {
  readonly params: Bm25Params;
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, { docs: number[]; tfs: number[] }>();
  private totalLength = 0;

  constructor(params: Partial<Bm25Params> = {}) {
    this.params = { ...BM25_DEFAULTS, ...params };
  }

  get size(): number {
    return this.ids.length;
  }

  has(docid: string): boolean {
    return this.index.has(docid);
  }

  /** Add a document; adding an id twice is an error. */
  add(docid: string, text: string): void {
    if (this.index.has(docid)) throw new Error(`BM25: document "${docid}" added twice`);
    const n = this.ids.length;
    this.ids.push(docid);
    this.index.set(docid, n);
    const toks = terms(text);
    this.lengths.push(toks.length);
    this.totalLength += toks.length;
    const tf = new Map<string, number>();
    for (const t of toks) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, c] of tf) {
      let p = this.postings.get(t);
      if (!p) this.postings.set(t, (p = { docs: [], tfs: [] }));
      p.docs.push(n);
      p.tfs.push(c);
    }
  }

  /** Lucene idf of an index term (as `terms()` makes it: lowercased, stemmed). */
  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    const N = this.ids.length;
    return Math.log(1 + (N - df + 0.5) / (df + 0.5));
  }

  /** Scores of every document that matches at least one query term (doc index → score). */
  private accumulate(query: string): Map<number, number> {
    const { k1, b } = this.params;
    const avgdl = this.totalLength / Math.max(1, this.ids.length);
    const acc = new Map<number, number>();
    for (const t of terms(query)) {
      const p = this.postings.get(t);
      if (!p) continue;
      const idf = this.idf(t);
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i];
        const tf = p.tfs[i];
        const s = (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.lengths[d]) / avgdl));
        acc.set(d, (acc.get(d) ?? 0) + s);
      }
    }
    return acc;
  }

  /** BM25 scores of the given documents (0 for no shared term; an unknown docid is an error). */
  scoreDocs(query: string, docids: readonly string[]): number[] {
    const acc = this.accumulate(query);
    return docids.map((id) => {
      const i = this.index.get(id);
      if (i === undefined) throw new Error(`BM25: unknown document "${id}"`);
      return acc.get(i) ?? 0;
    });
  }

  /** Top-k documents of the whole collection, best first (ties: docid ascending). */
  search(query: string, k: number): { docid: string; score: number }[] {
    const acc = this.accumulate(query);
    const hits = [...acc].map(([i, score]) => ({ docid: this.ids[i], score }));
    hits.sort((a, b) => b.score - a.score || (a.docid < b.docid ? -1 : a.docid > b.docid ? 1 : 0));
    return hits.slice(0, k);
  }
}

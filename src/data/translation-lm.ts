// A click-trained translation language model (Berger & Lafferty 1999, "Information retrieval as statistical
// translation", SIGIR): a non-neural baseline ranker learnt from the same clicks as the teacher's CPT.
//
// Training, on the click filter's records (query, clicked title + summary; `cptRecords`, one record per click):
//   c(q, w)  = Σ_clicks n(q, query) · [w ∈ clicked document]    each query word with each distinct document word
//   t(q|w)   = c(q, w) / Σ_q' c(q', w)                          normalised per document word
//   t'(q|w)  = (1 − α_self) · t(q|w) + α_self · [q = w]         self-translation; t'(q|w) = [q = w] for a word w
//                                                               that no kept click's document contains
// Scoring, query likelihood with Dirichlet smoothing:
//   log P(Q|d) = Σ_{q ∈ Q} log( (|d| · P_tr(q|d) + μ · P(q|C)) / (|d| + μ) )
//   P_tr(q|d)  = Σ_{w ∈ d} t'(q|w) · P(w|d),   P(w|d) = tf(w, d) / |d|
//   P(q|C)     = cf(q) / |C| over all documents of the collection; a word in none counts UNSEEN_COUNT times
// Words are BM25's index terms (`terms()`: lowercase, stop words dropped, Porter-stemmed); a document is its title +
// summary (`documentText`); a query word counts once per occurrence. Defaults: TRANSLATION_LM_DEFAULTS.
import { documentText } from './bm25.js';
import { LAYOUT, type Dataset } from './dataset.js';
import { TRANSLATION_LM_DEFAULTS } from './defaults.js';
import { cptRecords, type CptCounts } from './sets/training-sets.js';
import { terms } from './tokenize.js';
import { DisrankerError } from '../util/errors.js';

export interface TranslationLmParams {
  /** α_self: weight of self-translation t'(w|w) mixed into every learnt t(·|w), in [0, 1] */
  alphaSelf: number;
  /** μ: Dirichlet prior, in words (a document of |d| words trusts its own translations |d| / (|d| + μ)) */
  mu: number;
}

/** The collection count of a word that no document contains: P(q|C) = UNSEEN_COUNT / |C|. */
export const UNSEEN_COUNT = 0.5;

type Text = { title: string; summary: string };

export class TranslationLm {
  readonly params: TranslationLmParams;
  /** c(q, w) by document word w, then query word q */
  private readonly counts = new Map<string, Map<string, number>>();
  /** Σ_q c(q, w) by document word w */
  private readonly totals = new Map<string, number>();
  /** cf(w) over the collection, and |C| */
  private readonly collection = new Map<string, number>();
  private collectionLength = 0;

  constructor(params: Partial<TranslationLmParams> = {}) {
    this.params = { alphaSelf: TRANSLATION_LM_DEFAULTS.alphaSelf, mu: TRANSLATION_LM_DEFAULTS.mu, ...params };
    const { alphaSelf, mu } = this.params;
    if (!(alphaSelf >= 0 && alphaSelf <= 1)) throw new DisrankerError('DR_ERR_USAGE', `translation LM: α_self must be in [0, 1], got ${alphaSelf}`);
    if (!(mu > 0 && Number.isFinite(mu))) throw new DisrankerError('DR_ERR_USAGE', `translation LM: μ must be a finite number > 0, got ${mu}`);
  }

  /** Count one click (or `clicks` clicks) of `query` on a document with this title and summary. */
  addClick(query: string, doc: Text, clicks = 1): void {
    const qs = terms(query);
    for (const w of new Set(terms(documentText(doc)))) {
      let row = this.counts.get(w);
      if (!row) this.counts.set(w, (row = new Map()));
      for (const q of qs) row.set(q, (row.get(q) ?? 0) + clicks);
      this.totals.set(w, (this.totals.get(w) ?? 0) + qs.length * clicks);
    }
  }

  /** Add a document of the collection to P(·|C). */
  addDocument(doc: Text): void {
    for (const w of terms(documentText(doc))) {
      this.collection.set(w, (this.collection.get(w) ?? 0) + 1);
      this.collectionLength++;
    }
  }

  /** t(q|w) learnt from the clicks alone; undefined when no kept click's document contains w. */
  learnt(q: string, w: string): number | undefined {
    const total = this.totals.get(w);
    if (!total) return undefined;
    return (this.counts.get(w)?.get(q) ?? 0) / total;
  }

  /** t'(q|w): the learnt table mixed with self-translation. */
  translation(q: string, w: string): number {
    const self = q === w ? 1 : 0;
    const t = this.learnt(q, w);
    return t === undefined ? self : (1 - this.params.alphaSelf) * t + this.params.alphaSelf * self;
  }

  /** P(q|C), with the floor for a word in no document. */
  collectionProbability(q: string): number {
    return (this.collection.get(q) ?? UNSEEN_COUNT) / Math.max(1, this.collectionLength);
  }

  /** log P(query | document): the ranking score (higher is better). */
  score(query: string, doc: Text): number {
    const { mu } = this.params;
    const words = terms(documentText(doc));
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    const len = words.length;
    let s = 0;
    for (const q of terms(query)) {
      let pTr = 0;
      for (const [w, n] of tf) pTr += this.translation(q, w) * (n / len);
      s += Math.log((len * pTr + mu * this.collectionProbability(q)) / (len + mu));
    }
    return s;
  }
}

export interface TrainTranslationLmOptions extends Partial<TranslationLmParams> {
  /** keep clicks with dwell ≥ this many seconds (TRANSLATION_LM_DEFAULTS) */
  minDwell?: number;
}

/**
 * Train on a data set: the clicks the click filter keeps (one record per click, the judged queries left out as the
 * teacher's CPT leaves them out), and P(·|C) over all its documents. An error when no click is kept.
 */
export async function trainTranslationLm(ds: Dataset, opts: TrainTranslationLmOptions = {}): Promise<{ model: TranslationLm } & CptCounts> {
  const model = new TranslationLm(opts);
  const minDwell = opts.minDwell ?? TRANSLATION_LM_DEFAULTS.minDwell;
  const judged = ds.has(LAYOUT.qrels) ? new Set((await ds.qrels()).keys()) : new Set<string>();
  const counts: CptCounts = { impressions: 0, clicks: 0, kept: 0 };
  for await (const r of cptRecords(ds, { minDwell, dedup: false, excludeQids: judged }, counts)) model.addClick(r.query, r, r.clicks);
  if (counts.kept === 0) throw new DisrankerError('DR_ERR_INPUT', `${ds.dir}: the click log has no click with dwell ≥ ${minDwell}s outside the judged queries: nothing to train the translation LM on`);
  for await (const d of ds.documents()) model.addDocument(d);
  return { model, ...counts };
}

export { TRANSLATION_LM_DEFAULTS };

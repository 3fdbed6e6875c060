// Training sets built from a data set (records in docs/formats.md, "Training sets"):
// - CPT corpus from clicks: (query, clicked title + summary) pairs, filtered and de-duplicated, optionally weighted
//   by a PBM's debiased relevance or by inverse propensity;
// - ranking groups for SFT: per positive, one group of graded documents (the positive first, then hard negatives);
// - distillation sets: per query N candidates with no label, for the teacher to score.
import { CPT_SET_DEFAULTS, DISTILL_SET_DEFAULTS, GROUP_DEFAULTS } from '../defaults.js';
import { DisrankerError } from '../../util/errors.js';
import { LAYOUT, type Dataset } from '../dataset.js';
import { withLineWriter } from '../io.js';
import { Random } from '../../util/random.js';
import type { Document, Impression } from '../schema.js';
import { relevantLabel } from '../stats.js';
import type { Qrels } from '../trec.js';
import { estimatePbm, pairKey, type PbmModel } from './click-model.js';

export interface CptOptions {
  out: string;
  /** Keep clicks with dwell ≥ this many seconds (default 0: all). */
  minDwell?: number;
  /** Keep a click only when some result above it was not clicked (Joachims' "click > skip above" evidence). */
  skipAbove?: boolean;
  /** Keep only the last click of each impression. */
  lastClick?: boolean;
  /** One record per (query, document) pair (default true); false: one record per kept click. */
  dedup?: boolean;
  /** `none` (weight = number of clicks), `pbm` (γ_qd of a PBM fitted by EM), `ipw` (Σ 1/propensity over clicks). */
  weight?: 'none' | 'pbm' | 'ipw';
  /** Only these queries (a split). */
  qids?: Set<string>;
  /** Never these queries (e.g. the judged ones, kept for evaluation). */
  excludeQids?: Set<string>;
}


export interface CptRecord {
  qid: string;
  query: string;
  docid: string;
  title: string;
  summary: string;
  clicks: number;
  weight: number;
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** The clicks of one impression that pass the filters. */
export function keptClicks(imp: Impression, opts: Pick<CptOptions, 'minDwell' | 'skipAbove' | 'lastClick'>): Impression['results'] {
  let kept = [];
  let skippedAbove = false;
  for (const r of imp.results) {
    if (r.clicked && r.dwell >= (opts.minDwell ?? CPT_SET_DEFAULTS.minDwell) && (!opts.skipAbove || skippedAbove)) kept.push(r);
    if (!r.clicked) skippedAbove = true;
  }
  if (opts.lastClick) {
    const last = [...imp.results].reverse().find((r) => r.clicked);
    kept = kept.filter((r) => r === last);
  }
  return kept;
}

/** Counts of a CPT corpus build. */
export interface CptCounts {
  impressions: number;
  clicks: number;
  kept: number;
  pbm?: PbmModel;
}

/**
 * The CPT corpus as records, in click-log order (one per kept click without dedup; one per (query, document)
 * pair in order of first click with dedup). The one implementation of the click filter: `data build cpt` writes
 * these, and the teacher's CPT stage trains on them. `counts` is filled as the log is read.
 */
export async function* cptRecords(ds: Dataset, opts: Omit<CptOptions, 'out'>, counts: CptCounts = { impressions: 0, clicks: 0, kept: 0 }): AsyncGenerator<CptRecord> {
  const weight = opts.weight ?? CPT_SET_DEFAULTS.weight;
  const inSplit = (qid: string) => (!opts.qids || opts.qids.has(qid)) && !opts.excludeQids?.has(qid);
  let pbm: PbmModel | undefined;
  if (weight !== 'none') counts.pbm = pbm = await estimatePbm(ds.impressions());
  const ipw = (pos: number) => (pbm ? 1 / pbm.propensity[pos - 1] : 1);
  const pairs = new Map<string, CptRecord>();
  const text = new Map<string, Pick<Document, 'title' | 'summary'>>();
  const dedup = opts.dedup ?? CPT_SET_DEFAULTS.dedup;
  for await (const imp of ds.impressions()) {
    counts.impressions++;
    for (const r of imp.results) if (r.clicked) counts.clicks++;
    if (!inSplit(imp.qid)) continue;
    for (const r of keptClicks(imp, opts)) {
      counts.kept++;
      const key = pairKey(imp.qid, r.docid);
      const wClick = weight === 'ipw' ? ipw(r.position) : 1;
      if (!dedup) {
        const wt = weight === 'pbm' ? (pbm?.relevance.get(key) ?? 0) : wClick;
        yield { qid: imp.qid, query: imp.query, docid: r.docid, title: r.title, summary: r.summary, clicks: 1, weight: round4(wt) };
        continue;
      }
      const rec = pairs.get(key);
      if (rec) {
        rec.clicks++;
        rec.weight += wClick;
      } else {
        if (!text.has(r.docid)) text.set(r.docid, { title: r.title, summary: r.summary });
        pairs.set(key, { qid: imp.qid, query: imp.query, docid: r.docid, title: '', summary: '', clicks: 1, weight: wClick });
      }
    }
  }
  if (dedup) {
    for (const [key, rec] of pairs) {
      const t = text.get(rec.docid) as Pick<Document, 'title' | 'summary'>;
      const wt = weight === 'pbm' ? (pbm?.relevance.get(key) ?? 0) : rec.weight;
      yield { ...rec, title: t.title, summary: t.summary, weight: round4(wt) };
    }
  }
}

/** `data build cpt`: the CPT corpus as JSONL. */
export async function buildCpt(ds: Dataset, opts: CptOptions): Promise<{ records: number } & CptCounts> {
  const counts: CptCounts = { impressions: 0, clicks: 0, kept: 0 };
  const records = await withLineWriter(opts.out, async (w) => {
    let n = 0;
    for await (const rec of cptRecords(ds, opts, counts)) {
      await w.write(rec);
      n++;
    }
    return n;
  });
  return { records, ...counts };
}

export interface GroupOptions {
  out: string;
  /** Documents per group: 1 positive + (groupSize − 1) negatives (GROUP_DEFAULTS). */
  groupSize?: number;
  /** Smallest label that makes a positive (default: 2 on graded scales, 1 on binary). */
  positiveLabel?: number;
  /** Negatives are drawn from the top `hardDepth` lower-labelled candidates (GROUP_DEFAULTS); then from the rest. */
  hardDepth?: number;
  seed?: number;
  /** `judged` (qrels.txt, default) or `hidden` (synthetic hidden-qrels.txt). */
  labels?: 'judged' | 'hidden';
  qids?: Set<string>;
}

async function loadLabels(ds: Dataset, which: 'judged' | 'hidden'): Promise<Qrels> {
  return which === 'hidden' ? ds.hiddenQrels() : ds.qrels();
}

/**
 * Ranking groups for SFT: for each positive (label ≥ positiveLabel) of a query, a group of `groupSize` documents: the
 * positive first, then negatives with a lower label, sampled (seeded) among the highest-ranked such candidates (hard
 * negatives). Unjudged candidates count as the lowest label. Queries with too few negatives give no group (counted).
 */
export async function buildGroups(ds: Dataset, opts: GroupOptions): Promise<{ groups: number; queries: number; skipped: number }> {
  const size = opts.groupSize ?? GROUP_DEFAULTS.groupSize;
  if (!Number.isInteger(size) || size < 2) throw new DisrankerError('DR_ERR_USAGE', `--group-size must be an integer >= 2, got ${size}`);
  const posLabel = opts.positiveLabel ?? relevantLabel(ds);
  const depth = opts.hardDepth ?? GROUP_DEFAULTS.hardDepth;
  const rng = new Random(opts.seed ?? GROUP_DEFAULTS.seed).fork('groups');
  const qrels = await loadLabels(ds, opts.labels ?? GROUP_DEFAULTS.labels);
  const candidates = await ds.loadCandidates();
  const queries = await ds.loadQueries();
  const docs = await ds.loadDocuments();
  const min = ds.meta.labels.min;
  let groups = 0;
  let skipped = 0;
  const used = new Set<string>();
  await withLineWriter(opts.out, async (w) => {
    for (const [qid, judged] of qrels) {
      if (opts.qids && !opts.qids.has(qid)) continue;
      const q = queries.get(qid);
      if (!q) continue;
      const ranked = (candidates.get(qid) ?? []).map((h) => h.docid).filter((d) => docs.has(d));
      const inList = new Set(ranked);
      const all = [...ranked, ...[...judged.keys()].filter((d) => !inList.has(d) && docs.has(d))];
      const label = (d: string) => judged.get(d) ?? min;
      for (const pos of all) {
        const pl = label(pos);
        if (pl < posLabel) continue;
        const lower = all.filter((d) => label(d) < pl);
        if (lower.length < size - 1) {
          skipped++;
          continue;
        }
        const hard = lower.slice(0, depth);
        const negs = rng.sample(hard, size - 1);
        if (negs.length < size - 1) negs.push(...rng.sample(lower.slice(depth), size - 1 - negs.length));
        const item = (d: string) => {
          const doc = docs.get(d) as Document;
          return { docid: d, title: doc.title, summary: doc.summary, label: label(d) };
        };
        await w.write({ qid, query: q.text, docs: [pos, ...negs].map(item) });
        groups++;
        used.add(qid);
      }
    }
  });
  return { groups, queries: used.size, skipped };
}

export interface DistillOptions {
  out: string;
  /** Candidates per query (DISTILL_SET_DEFAULTS; the top of each candidate list). */
  candidates?: number;
  /** Only queries with no judgment in qrels.txt. */
  unjudgedOnly?: boolean;
  /** At most this many queries (seeded sample). */
  maxQueries?: number;
  seed?: number;
  qids?: Set<string>;
}

/** Distillation sets: per query the top-N candidates with text and no label, for the teacher to score. */
export async function buildDistill(ds: Dataset, opts: DistillOptions): Promise<{ queries: number; pairs: number }> {
  const n = opts.candidates ?? DISTILL_SET_DEFAULTS.candidates;
  const candidates = await ds.loadCandidates();
  const queries = await ds.loadQueries();
  const docs = await ds.loadDocuments();
  const judged = opts.unjudgedOnly && ds.has(LAYOUT.qrels) ? await ds.qrels() : new Map();
  let qids = [...candidates.keys()].filter((q) => queries.has(q) && !judged.has(q) && (!opts.qids || opts.qids.has(q)));
  if (opts.maxQueries !== undefined && qids.length > opts.maxQueries) {
    const pick = new Set(new Random(opts.seed ?? DISTILL_SET_DEFAULTS.seed).fork('distill').sample(qids, opts.maxQueries));
    qids = qids.filter((q) => pick.has(q));
  }
  let pairs = 0;
  await withLineWriter(opts.out, async (w) => {
    for (const qid of qids) {
      const hits = (candidates.get(qid) ?? []).filter((h) => docs.has(h.docid)).slice(0, n);
      pairs += hits.length;
      await w.write({
        qid,
        query: queries.get(qid)?.text,
        docs: hits.map((h) => {
          const d = docs.get(h.docid) as Document;
          return { docid: h.docid, title: d.title, summary: d.summary };
        }),
      });
    }
  });
  return { queries: qids.length, pairs };
}

export { CPT_SET_DEFAULTS, DISTILL_SET_DEFAULTS, GROUP_DEFAULTS };

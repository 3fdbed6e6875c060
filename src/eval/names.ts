// Metric names. The canonical names are trec_eval's (`ndcg_cut_10`, `map`, `recip_rank`, `P_10`, `recall_100`,
// `Rprec`) plus ours for what trec_eval lacks (`ndcg_exp_cut_10`, `recip_rank_cut_10`, `pnr`). Input may also use
// trec_eval's dotted form (`P.10`) or ir_measures-style aliases (`nDCG@10`, `AP`, `RR@10`, `P@10`, `R@100`, `MRR`);
// matching is case-insensitive, and every name prints back in its canonical form.
import { DisrankerError } from '../util/errors.js';

export type MetricKind = 'ndcg' | 'ndcg_exp' | 'map' | 'recip_rank' | 'P' | 'recall' | 'Rprec' | 'pnr';

export interface MetricSpec {
  /** Canonical name, e.g. `ndcg_cut_10`. */
  name: string;
  kind: MetricKind;
  /** Rank cutoff; Infinity for the whole ranking. */
  k: number;
}

/** The metric list `disranker eval` uses when none is given. */
export { DEFAULT_METRICS } from './defaults.js';

/** Names with a rank cutoff: lowercase prefix -> kind and canonical prefix. */
const CUT: Record<string, [MetricKind, string]> = {
  ndcg_cut: ['ndcg', 'ndcg_cut_'],
  ndcg_exp_cut: ['ndcg_exp', 'ndcg_exp_cut_'],
  map_cut: ['map', 'map_cut_'],
  recip_rank_cut: ['recip_rank', 'recip_rank_cut_'],
  p: ['P', 'P_'],
  recall: ['recall', 'recall_'],
  // ir_measures aliases
  ndcg: ['ndcg', 'ndcg_cut_'],
  ap: ['map', 'map_cut_'],
  map: ['map', 'map_cut_'],
  rr: ['recip_rank', 'recip_rank_cut_'],
  mrr: ['recip_rank', 'recip_rank_cut_'],
  r: ['recall', 'recall_'],
};

/** Names without a cutoff: lowercase name -> kind and canonical name. */
const WHOLE: Record<string, [MetricKind, string]> = {
  ndcg: ['ndcg', 'ndcg'],
  ndcg_exp: ['ndcg_exp', 'ndcg_exp'],
  map: ['map', 'map'],
  ap: ['map', 'map'],
  recip_rank: ['recip_rank', 'recip_rank'],
  rr: ['recip_rank', 'recip_rank'],
  mrr: ['recip_rank', 'recip_rank'],
  rprec: ['Rprec', 'Rprec'],
  'r-prec': ['Rprec', 'Rprec'],
  pnr: ['pnr', 'pnr'],
};

/** Parse one metric name (canonical, dotted or alias). Throws a usage error listing the accepted forms. */
export function parseMetric(text: string): MetricSpec {
  const raw = text.trim();
  const lower = raw.toLowerCase();
  if (lower.includes('(')) {
    throw usage(raw, 'per-metric parameters such as "(rel=2)" are not supported; use --relevance-level');
  }
  const whole = WHOLE[lower];
  if (whole) return { kind: whole[0], name: whole[1], k: Infinity };
  // `ndcg_cut_10`, `ndcg_cut.10`, `nDCG@10`, `P_10`, `P.10`, `P@10`, `recall_100`, `R@100`, `Recall@100`, ...
  const m = /^([a-z_-]+?)(?:[_.@])(\d+)$/.exec(lower) ?? /^(recall)@(\d+)$/.exec(lower);
  if (m) {
    const cut = CUT[m[1]];
    const k = Number(m[2]);
    // `ndcg_10`, `map_10`, `rr_10` are neither trec_eval's nor ir_measures' spelling: only `@` may follow an alias.
    const separator = lower[m[1].length];
    const aliasOnly = ['ndcg', 'ap', 'map', 'rr', 'mrr', 'r'].includes(m[1]);
    if (cut && !(aliasOnly && separator !== '@')) {
      if (!Number.isSafeInteger(k) || k < 1) throw usage(raw, 'the cutoff must be a positive integer');
      return { kind: cut[0], name: `${cut[1]}${k}`, k };
    }
  }
  throw usage(
    raw,
    'unknown metric; use ndcg_cut_K, ndcg_exp_cut_K, ndcg, map, map_cut_K, recip_rank, recip_rank_cut_K, P_K, ' +
      'recall_K, Rprec or pnr (aliases: nDCG@K, AP, RR, MRR, RR@K, P@K, R@K)',
  );
}

/** Parse a comma-separated metric list; duplicates (after canonicalization) are dropped. */
export function parseMetricList(text: string): MetricSpec[] {
  const out: MetricSpec[] = [];
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const spec = parseMetric(part);
    if (!seen.has(spec.name)) {
      seen.add(spec.name);
      out.push(spec);
    }
  }
  if (out.length === 0) throw new DisrankerError('DR_ERR_USAGE', '--metrics: no metric given');
  return out;
}

function usage(name: string, what: string): DisrankerError {
  return new DisrankerError('DR_ERR_USAGE', `--metrics: "${name}": ${what}`);
}

// Evaluate a run against qrels: per-query values and means, with trec_eval's query-set rules.
//
// - A query in the run but not in the qrels is skipped (and reported in `skipped`).
// - A query in the qrels but not in the run is left out of the means, unless `complete` (trec_eval -c): then it
//   counts with every metric 0 (trec_eval evaluates a one-document dummy ranking, which scores 0 on all of ours).
// - A query in the qrels with no relevant document (at the relevance level) is evaluated and counts in the means;
//   its map, recip_rank, P, recall, Rprec and nDCG are 0, as in trec_eval.
// - PNR is not a mean: `pnr` is pooled ΣC/ΣD, `pnr_pair_acc` the mean pair accuracy over the queries with a pair,
//   `pnr_pair_acc_left_out` how many queries had no pair. Per query, `pnr_pair_acc` is NaN for those.
import { DisrankerError } from '../util/errors.js';
import { sortedQids, type Qrels, type Run } from '../data/trec.js';
import type { MetricSpec } from './names.js';
import { rankQuery, type RankedQuery } from './ranking.js';
import { ndcg } from './ndcg.js';
import { averagePrecision } from './map.js';
import { reciprocalRank } from './reciprocal-rank.js';
import { precisionAt } from './precision.js';
import { recallAt } from './recall.js';
import { rPrecision } from './rprec.js';
import { pairAccuracy, pairCounts, summarizePnr, type PairCounts, type PnrSummary } from './pnr.js';

export interface EvalOptions {
  /** Minimum label for a document to count as relevant in binary metrics (trec_eval -l). Default 1. */
  relevanceLevel?: number;
  /** Average over every query of the qrels, missing ones counting 0 (trec_eval -c). Default false. */
  complete?: boolean;
  /** Name of the run in error messages. */
  runName?: string;
}

export const PNR_POOLED = 'pnr';
export const PNR_PAIR_ACC = 'pnr_pair_acc';
export const PNR_LEFT_OUT = 'pnr_pair_acc_left_out';

export interface RunEvaluation {
  /** Evaluated query ids, sorted. */
  queries: string[];
  /** Metric name -> value per query (aligned with `queries`; NaN = undefined for that query). */
  perQuery: Map<string, Float64Array>;
  /** Metric name -> aggregate over queries (the mean, except for the PNR entries; see above). */
  summary: Map<string, number>;
  /** Present when `pnr` was asked for. */
  pnr?: PnrSummary;
  /** Queries of the run that the qrels do not have (skipped). */
  skipped: string[];
  /** Queries of the qrels that the run does not have (left out, or counted 0 when `complete`). */
  missing: string[];
}

/** One metric on one ranked query. */
export function metricValue(spec: MetricSpec, q: RankedQuery, level: number): number {
  switch (spec.kind) {
    case 'ndcg':
      return ndcg(q, spec.k, 'linear');
    case 'ndcg_exp':
      return ndcg(q, spec.k, 'exp');
    case 'map':
      return averagePrecision(q, level, spec.k);
    case 'recip_rank':
      return reciprocalRank(q, level, spec.k);
    case 'P':
      return precisionAt(q, level, spec.k);
    case 'recall':
      return recallAt(q, level, spec.k);
    case 'Rprec':
      return rPrecision(q, level);
    case 'pnr':
      throw new Error('pnr is computed from pair counts, not a ranking');
  }
}

export function evaluateRun(qrels: Qrels, run: Run, metrics: MetricSpec[], opts: EvalOptions = {}): RunEvaluation {
  const level = opts.relevanceLevel ?? 1;
  if (!Number.isSafeInteger(level)) {
    throw new DisrankerError('DR_ERR_USAGE', `relevance level must be an integer, got ${level}`);
  }
  const skipped = sortedQids([...run.keys()].filter((qid) => !qrels.has(qid)));
  const missing = sortedQids([...qrels.keys()].filter((qid) => !run.has(qid)));
  const queries = sortedQids([...qrels.keys()].filter((qid) => opts.complete || run.has(qid)));
  if (queries.length === 0) {
    throw new DisrankerError(
      'DR_ERR_INPUT',
      `${opts.runName ?? 'run'}: no query has both results and relevance judgements ` +
        `(run queries e.g. ${skipped.slice(0, 3).join(', ')}; qrels queries e.g. ${missing.slice(0, 3).join(', ')})`,
    );
  }

  const rankMetrics = metrics.filter((m) => m.kind !== 'pnr');
  const wantPnr = metrics.some((m) => m.kind === 'pnr');
  const perQuery = new Map<string, Float64Array>();
  for (const m of rankMetrics) perQuery.set(m.name, new Float64Array(queries.length));
  const pairAcc = new Float64Array(queries.length);
  const pairs: PairCounts[] = [];

  queries.forEach((qid, i) => {
    const judged = qrels.get(qid) as Map<string, number>;
    const scores = run.get(qid);
    if (rankMetrics.length > 0) {
      const ranked = rankQuery(scores, judged);
      for (const m of rankMetrics) (perQuery.get(m.name) as Float64Array)[i] = metricValue(m, ranked, level);
    }
    if (wantPnr) {
      const c = pairCounts(scores, judged);
      pairs.push(c);
      pairAcc[i] = pairAccuracy(c) ?? NaN;
    }
  });

  const summary = new Map<string, number>();
  for (const m of metrics) {
    if (m.kind === 'pnr') continue;
    summary.set(m.name, mean(perQuery.get(m.name) as Float64Array));
  }
  let pnr: PnrSummary | undefined;
  if (wantPnr) {
    pnr = summarizePnr(pairs);
    perQuery.set(PNR_PAIR_ACC, pairAcc);
    summary.set(PNR_POOLED, pnr.pooled);
    summary.set(PNR_PAIR_ACC, pnr.meanPairAccuracy);
    summary.set(PNR_LEFT_OUT, pnr.queriesLeftOut);
  }
  return { queries, perQuery, summary, pnr, skipped, missing };
}

/** Names of the summary entries a metric list produces, in order (`pnr` expands to its three entries). */
export function summaryNames(metrics: MetricSpec[]): string[] {
  return metrics.flatMap((m) => (m.kind === 'pnr' ? [PNR_POOLED, PNR_PAIR_ACC, PNR_LEFT_OUT] : [m.name]));
}

/** Names of the per-query series a metric list produces (what comparisons test). */
export function perQueryNames(metrics: MetricSpec[]): string[] {
  return metrics.map((m) => (m.kind === 'pnr' ? PNR_PAIR_ACC : m.name));
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

// Evaluate several runs against one set of qrels and compare each with the first (the baseline): the numbers
// behind `disranker eval` and the pipeline's reports. Returns structured results; src/eval/report.ts formats them.
import { DisrankerError } from '../util/errors.js';
import { readHitsJson, readQrels, readRun, type Qrels, type Run } from '../data/trec.js';
import { parseMetricList, type MetricSpec } from './names.js';
import { EVAL_DEFAULTS } from './defaults.js';
import { evaluateRun, perQueryNames, summaryNames } from './evaluate.js';
import { compareRuns } from './compare.js';
import type { ReportInput } from './report.js';

export interface EvaluateRunsOptions {
  /** metric names (`ndcg_cut_10,map,pnr`) or parsed specs; default DEFAULT_METRICS */
  metrics?: string | MetricSpec[];
  /** minimum label counted relevant by binary metrics (trec_eval -l); default 1 */
  relevanceLevel?: number;
  /** average over all qrels queries, a missing query counting 0 (trec_eval -c) */
  complete?: boolean;
  /** keep per-query values in the report */
  perQuery?: boolean;
  seed?: number;
  permutations?: number;
  bootstrap?: number;
  alpha?: number;
}

/** The evaluation of named runs: what the report layer formats (text, Markdown, JSON). */
export type EvalReport = ReportInput;

/** A run file: TREC run text, or a JSON candidate list (`.json`, `.json.gz`: `[{hits: [{qid, docid, score}]}]`). */
export async function readRunFile(path: string): Promise<Run> {
  return /\.json(\.gz)?$/i.test(path) ? readHitsJson(path) : readRun(path);
}

/** Evaluates `runs` (name → run; the first is the baseline of the comparisons) against `qrels`. */
export function evaluateRuns(qrels: Qrels, runs: [string, Run][], opts: EvaluateRunsOptions = {}): EvalReport {
  if (runs.length === 0) throw new DisrankerError('DR_ERR_USAGE', 'give at least one run');
  const names = runs.map(([n]) => n);
  const dup = names.find((p, i) => names.indexOf(p) !== i);
  if (dup !== undefined) throw new DisrankerError('DR_ERR_USAGE', `run ${dup} is given twice`);
  const metrics = typeof opts.metrics === 'string' || opts.metrics === undefined ? parseMetricList(opts.metrics ?? EVAL_DEFAULTS.metrics) : opts.metrics;
  const relevanceLevel = opts.relevanceLevel ?? EVAL_DEFAULTS.relevanceLevel;
  const seed = opts.seed ?? EVAL_DEFAULTS.seed;
  const permutations = opts.permutations ?? EVAL_DEFAULTS.permutations;
  const bootstrap = opts.bootstrap ?? EVAL_DEFAULTS.bootstrap;
  const alpha = opts.alpha ?? EVAL_DEFAULTS.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new DisrankerError('DR_ERR_USAGE', `alpha: expected 0 < α < 1, got ${alpha}`);
  const complete = Boolean(opts.complete);
  const evals = runs.map(([name, run]) => evaluateRun(qrels, run, metrics, { relevanceLevel, complete, runName: name }));
  const pqNames = perQueryNames(metrics);
  const comparisons = compareRuns(names, evals, pqNames, { seed, permutations, bootstrap, alpha });
  return {
    names,
    evals,
    summaryMetrics: summaryNames(metrics),
    perQueryMetrics: pqNames,
    comparisons,
    perQuery: Boolean(opts.perQuery),
    complete,
    alpha,
    permutations,
    seed,
  };
}

/** Reads a qrels file and run files (named by their paths) and evaluates them. */
export async function evaluateRunFiles(qrelsFile: string, runFiles: string[], opts: EvaluateRunsOptions = {}): Promise<EvalReport> {
  if (runFiles.length === 0) throw new DisrankerError('DR_ERR_USAGE', 'give at least one --run');
  const dup = runFiles.find((p, i) => runFiles.indexOf(p) !== i);
  if (dup !== undefined) throw new DisrankerError('DR_ERR_USAGE', `--run ${dup} is given twice`);
  const [qrels, ...runs] = await Promise.all([readQrels(qrelsFile), ...runFiles.map(readRunFile)]);
  return evaluateRuns(qrels, runs.map((r, i) => [runFiles[i], r]), opts);
}

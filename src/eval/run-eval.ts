// `disranker eval`: read qrels and runs, evaluate, compare against the first run, print a report.
import { DisrankerError } from '../util/errors.js';
import { readHitsJson, readQrels, readRun, type Run } from '../data/trec.js';
import { DEFAULT_METRICS, parseMetricList } from './names.js';
import { evaluateRun, perQueryNames, summaryNames } from './evaluate.js';
import { compareRuns, DEFAULT_ALPHA } from './compare.js';
import { DEFAULT_BOOTSTRAP, DEFAULT_PERMUTATIONS, DEFAULT_SEED } from './significance.js';
import { reportJson, reportTable } from './report.js';
import { intFlag } from '../util/flags.js';

export interface EvalCommandOptions {
  qrels: string;
  run: string[];
  metrics?: string;
  relevanceLevel?: string | number;
  complete?: boolean;
  perQuery?: boolean;
  json?: boolean;
  markdown?: boolean;
  seed?: string | number;
  permutations?: string | number;
  bootstrap?: string | number;
  alpha?: string | number;
}

function intOption(name: string, value: string | number | undefined, fallback: number, min: number): number {
  return value === undefined ? fallback : intFlag(name, String(value), min);
}

/** A run file: TREC run text, or a JSON candidate list (`.json`, `.json.gz`: `[{hits: [{qid, docid, score}]}]`). */
export async function readRunFile(path: string): Promise<Run> {
  return /\.json(\.gz)?$/i.test(path) ? readHitsJson(path) : readRun(path);
}

/** Evaluate and return the report text (what the command prints). */
export async function evalCommand(opts: EvalCommandOptions): Promise<string> {
  if (opts.json && opts.markdown) throw new DisrankerError('DR_ERR_USAGE', '--json and --markdown exclude each other');
  if (!opts.run || opts.run.length === 0) throw new DisrankerError('DR_ERR_USAGE', 'give at least one --run');
  const dup = opts.run.find((p, i) => opts.run.indexOf(p) !== i);
  if (dup !== undefined) throw new DisrankerError('DR_ERR_USAGE', `--run ${dup} is given twice`);
  const metrics = parseMetricList(opts.metrics ?? DEFAULT_METRICS);
  const relevanceLevel = intOption('--relevance-level', opts.relevanceLevel, 1, 0);
  const seed = intOption('--seed', opts.seed, DEFAULT_SEED, 0);
  const permutations = intOption('--permutations', opts.permutations, DEFAULT_PERMUTATIONS, 1);
  const bootstrap = intOption('--bootstrap', opts.bootstrap, DEFAULT_BOOTSTRAP, 1);
  const alpha = opts.alpha === undefined ? DEFAULT_ALPHA : Number(opts.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new DisrankerError('DR_ERR_USAGE', `--alpha: expected 0 < α < 1, got "${opts.alpha}"`);

  const [qrels, ...runs] = await Promise.all([readQrels(opts.qrels), ...opts.run.map(readRunFile)]);
  const complete = Boolean(opts.complete);
  const evals = runs.map((run, i) => evaluateRun(qrels, run, metrics, { relevanceLevel, complete, runName: opts.run[i] }));
  const pqNames = perQueryNames(metrics);
  const comparisons = compareRuns(opts.run, evals, pqNames, { seed, permutations, bootstrap, alpha });
  const input = {
    names: opts.run,
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
  return opts.json ? reportJson(input) : reportTable(input, Boolean(opts.markdown));
}

// Public API of the evaluation module (for the pipeline and scripts).
export { parseMetric, parseMetricList, DEFAULT_METRICS, type MetricSpec, type MetricKind } from './names.js';
export {
  evaluateRun,
  metricValue,
  summaryNames,
  perQueryNames,
  PNR_POOLED,
  PNR_PAIR_ACC,
  PNR_LEFT_OUT,
  type EvalOptions,
  type RunEvaluation,
} from './evaluate.js';
export { rankQuery, numRelevant, UNJUDGED, type RankedQuery } from './ranking.js';
export { pairCounts, pairAccuracy, summarizePnr, type PairCounts, type PnrSummary } from './pnr.js';
export { pairedTTest, permutationTest, bootstrapCI, holm, comparePaired } from './significance.js';
export { compareRuns, type Comparison } from './compare.js';
export { evaluateRuns, evaluateRunFiles, readRunFile, type EvalReport, type EvaluateRunsOptions } from './evaluate-runs.js';
export { EVAL_DEFAULTS } from './defaults.js';
export { reportJson, reportTable, type ReportInput } from './report.js';
export { datasetOrderings, datasetStats, scoreOrderings } from './orderings.js';

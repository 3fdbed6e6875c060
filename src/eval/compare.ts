// Compare N runs against a baseline (the first run): paired tests per metric, Holm-corrected across the runs.
// The significance mark uses the permutation test's p after Holm's correction over the N − 1 runs compared on the
// same metric (no correction when only one run is compared).
import type { RunEvaluation } from './evaluate.js';
import { comparePaired, holm, type CompareOptions } from './significance.js';

import { DEFAULT_ALPHA } from './defaults.js';

export { DEFAULT_ALPHA };

export interface Comparison {
  run: string;
  baseline: string;
  metric: string;
  /** mean(run − baseline) over the `n` queries both runs have a value for. */
  delta: number;
  p_ttest: number;
  p_permutation: number;
  ci95: [number, number];
  n: number;
  /** p_permutation after Holm's correction over the runs compared on this metric. */
  p_holm: number;
  /** p_holm < alpha. */
  significant: boolean;
}

export interface CompareRunsOptions extends CompareOptions {
  alpha?: number;
}

/** Per-query series of one metric as qid -> value. */
function series(e: RunEvaluation, metric: string): Map<string, number> {
  const values = e.perQuery.get(metric);
  if (!values) throw new Error(`metric ${metric} was not evaluated`);
  return new Map(e.queries.map((qid, i) => [qid, values[i]]));
}

/**
 * Compare runs[1..] with runs[0] on each metric (names of per-query series, see `perQueryNames`).
 * Returns one entry per (run, metric), grouped by run in the order given.
 */
export function compareRuns(
  names: string[],
  evals: RunEvaluation[],
  metrics: string[],
  opts: CompareRunsOptions = {},
): Comparison[] {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (evals.length < 2) return [];
  const out: Comparison[] = [];
  for (let r = 1; r < evals.length; r++) {
    for (const metric of metrics) {
      const c = comparePaired(series(evals[0], metric), series(evals[r], metric), opts);
      out.push({
        run: names[r],
        baseline: names[0],
        metric,
        delta: c.delta,
        p_ttest: c.pTTest,
        p_permutation: c.pPermutation,
        ci95: c.ci95,
        n: c.n,
        p_holm: NaN,
        significant: false,
      });
    }
  }
  for (const metric of metrics) {
    const family = out.filter((c) => c.metric === metric);
    const adjusted = holm(family.map((c) => c.p_permutation));
    family.forEach((c, i) => {
      c.p_holm = adjusted[i];
      c.significant = adjusted[i] < alpha;
    });
  }
  return out;
}

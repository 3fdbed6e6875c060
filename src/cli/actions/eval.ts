// The work of `disranker eval`: evaluate the run files, then format the structured result for the terminal.
import { DisrankerError } from '../../util/errors.js';
import { evaluateRunFiles, type EvaluateRunsOptions } from '../../eval/evaluate-runs.js';
import { reportJson, reportTable } from '../../eval/report.js';

export interface EvalActionOptions extends EvaluateRunsOptions {
  qrels: string;
  run?: string[];
  json?: boolean;
  markdown?: boolean;
}

/** Evaluates and returns the report text (what the command prints). */
export async function evalAction(opts: EvalActionOptions): Promise<string> {
  if (opts.json && opts.markdown) throw new DisrankerError('DR_ERR_USAGE', '--json and --markdown exclude each other');
  const report = await evaluateRunFiles(opts.qrels, opts.run ?? [], opts);
  return opts.json ? reportJson(report) : reportTable(report, Boolean(opts.markdown));
}

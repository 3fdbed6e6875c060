// Stage: evaluate run files on a data set's judged queries, with paired significance tests against the first run.
// Returns the structured evaluation and writes report.json (numbers) and report.txt (the text table) beside.
import { join } from 'node:path';
import { evaluateRunFiles, type EvalReport, type EvaluateRunsOptions } from '../eval/evaluate-runs.js';
import { reportJson, reportTable } from '../eval/report.js';
import { writeFileAtomicSync } from '../util/fs.js';

export interface EvaluateStageOptions extends EvaluateRunsOptions {
  qrels: string;
  /** run name → file; the first is the baseline */
  runs: Record<string, string>;
  /** the folder report.json and report.txt go to */
  out: string;
}

export async function evaluateStage(opts: EvaluateStageOptions): Promise<EvalReport> {
  const report = await evaluateRunFiles(opts.qrels, Object.values(opts.runs), opts);
  writeFileAtomicSync(join(opts.out, 'report.json'), reportJson(report));
  writeFileAtomicSync(join(opts.out, 'report.txt'), reportTable(report, false));
  return report;
}

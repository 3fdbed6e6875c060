// The work of `disranker demo`: run the job with a console reporter, then show what CPT taught and the table.
import { runDemo } from '../../pipeline/demo.js';
import { reportTable } from '../../eval/report.js';
import { consoleReporter } from '../reporter.js';

export interface DemoActionOptions {
  out: string;
  seed: number;
  preset: string;
  steps: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  maxGradNorm: number;
  bf16?: boolean;
  skipNonFinite?: boolean;
  checkpointEvery: number;
  fresh?: boolean;
  force?: boolean;
  quiet?: boolean;
}

export async function demoAction(o: DemoActionOptions): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const r = await runDemo(
    {
      out: o.out,
      seed: o.seed,
      preset: o.preset,
      steps: o.steps,
      batchSize: o.batchSize,
      lr: o.lr,
      train: {
        gradAccum: o.gradAccum,
        maxGradNorm: o.maxGradNorm > 0 ? o.maxGradNorm : null,
        bf16: Boolean(o.bf16),
        nonFinite: o.skipNonFinite ? 'skip' : 'stop',
        checkpointEvery: o.checkpointEvery,
      },
      force: o.force,
      fresh: o.fresh,
    },
    reporter,
  );
  const c = r.world.counts;
  reporter.info(`${c.documents} documents, ${c.queries} queries (${c.judgedQueries ?? 0} judged); CPT corpus: ${r.cpt.records} clicks from ${r.cpt.impressions} result pages`);
  reporter.info(`CPT loss: ${r.cpt.loss.first10.toFixed(3)} (first 10 steps) → ${r.cpt.loss.last10.toFixed(3)} (last 10)${r.cpt.cached ? ' (cached)' : ''}`);
  console.log('\nWhat CPT taught (held-out judged queries → generated result):');
  for (const g of r.generations) console.log(`  ${g.query}\n    → ${g.text}`);
  console.log();
  console.log(reportTable(r.evaluation, false));
  reporter.info(`done: model in ${r.cpt.modelDir}, runs and report.txt/report.json in ${o.out}; training metrics in ${r.cpt.metricsFile}`);
  reporter.info(`try: npx disranker generate ${r.cpt.modelDir} --query "${r.generations[0]?.query ?? 'a query'}"`);
}

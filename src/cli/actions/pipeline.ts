// The work of `disranker pipeline run`: resolve the configuration, run the stages with a console reporter, write
// the report and print the closing table.
import { parseSettings, readPipelineConfigFile, resolvePipelineConfig, type PipelineConfigFile } from '../../pipeline/pipeline-config.js';
import { runPipeline } from '../../pipeline/pipeline.js';
import { writePipelineReport } from '../../pipeline/pipeline-report.js';
import { consoleReporter } from '../reporter.js';
import { join } from 'node:path';

export interface PipelineRunFlags {
  config?: string;
  preset?: string;
  data?: string;
  set?: string[];
  from?: string;
  only?: string;
  out: string;
  seed?: number;
  quiet?: boolean;
}

export async function pipelineRunAction(o: PipelineRunFlags): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const layers: PipelineConfigFile[] = [];
  if (o.config) layers.push(readPipelineConfigFile(o.config));
  if (o.data) layers.push({ data: { path: o.data } });
  if (o.seed !== undefined) layers.push({ seed: o.seed });
  if (o.set?.length) layers.push(parseSettings(o.set));
  const config = resolvePipelineConfig({ preset: o.preset, layers });
  reporter.info(`pipeline: preset ${config.preset}, seed ${config.seed}, ${config.data.path ? `data set ${config.data.path}` : `synthetic world ${config.data.world}`}; output in ${o.out}`);
  const res = await runPipeline({ out: o.out, config, from: o.from, only: o.only }, reporter);
  const report = await writePipelineReport(res);

  const metrics = ['ndcg_cut_5', 'ndcg_cut_10', 'map', 'recip_rank', 'pnr'];
  const w = Math.max(8, ...Object.keys(report.test.runs).map((v) => v.length));
  const lines = [`test queries: ${report.test.queries}`, `${'variant'.padEnd(w)}  ${metrics.map((m) => m.padStart(11)).join(' ')}`];
  for (const [v, m] of Object.entries(report.test.runs)) lines.push(`${v.padEnd(w)}  ${metrics.map((k) => (typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : '-').padStart(11)).join(' ')}`);
  for (const [v, why] of Object.entries(report.test.skipped_variants ?? {})) lines.push(`${v.padEnd(w)}  not evaluated: ${why}`);
  const lat = report.latency_ms_per_100;
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  lines.push('', `latency per 100 candidates: teacher ${f(lat.teacher)} ms, student ${f(lat.student)} ms, ONNX student ${f(lat.student_onnx)} ms`);
  lines.push('', `${'stage'.padEnd(18)} ${'status'.padEnd(8)} seconds`);
  for (const [s, r] of Object.entries(report.stages)) lines.push(`${s.padEnd(18)} ${r.status.padEnd(8)} ${r.seconds.toFixed(1).padStart(7)}${r.reason ? `  ${r.reason}` : ''}`);
  console.log('\n' + lines.join('\n') + '\n');
  reporter.info(`done in ${res.seconds.toFixed(1)} s (${res.ran.length ? `ran: ${res.ran.join(', ')}` : 'nothing to train: every stage was done'}); ${join(o.out, 'report.json')}, ${join(o.out, 'report.html')}`);
}

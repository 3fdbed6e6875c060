// The pipeline's report: report.json (fields in docs/pipeline.md) and report.html (src/report), written from the
// stages' recorded results, so a rerun that trains nothing writes the same report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRun } from '../data/trec.js';
import { reportHtml, type PipelineReport, type ReportPlotsData } from '../report/report-html.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { PIPELINE_STAGES, VARIANTS, type PipelineResult, type PipelineStage, type Variant } from './pipeline.js';

const SUMMARY = ['ndcg_cut_5', 'ndcg_cut_10', 'map', 'recip_rank', 'pnr'] as const;
const TRAINING: PipelineStage[] = ['cpt', 'sft', 'sft-only', 'student-pretrain', 'student-labels', 'distill-pointwise', 'distill-margin', 'distill-hybrid'];

interface EvalResult {
  test_queries: number;
  variants: Record<string, { summary: Record<string, number | null>; per_query: Record<string, Record<string, number | null>> }>;
  comparisons: { run: string; baseline: string; metric: string; delta: number; ci95: (number | null)[]; p_permutation: number; p_holm: number; significant: boolean; n: number }[];
  runs_dir: string;
}

/** The stage's result fields worth reading in the report (no paths). */
function stageSummary(stage: PipelineStage, r: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!r) return {};
  const pick = (...ks: string[]) => Object.fromEntries(ks.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
  if (TRAINING.includes(stage)) return pick('steps', 'loss', 'best', 'parameters', 'records');
  if (stage === 'world') return pick('counts');
  if (stage === 'teacher-score') return pick('queries', 'pairs', 'pairs_per_s');
  if (stage === 'export') return pick('student', 'student_dev_ndcg_cut_10', 'onnx_bytes');
  return {};
}

export function pipelineReport(res: PipelineResult): PipelineReport {
  const ev = res.stages.evaluate?.result as EvalResult | undefined;
  const exp = res.stages.export?.result as { latency_ms_per_100: { teacher: number | null; student: number; student_onnx: number }; student: string } | undefined;
  const runs: Record<string, Record<string, number | null>> = {};
  const perQuery: Record<string, Record<string, Record<string, number | null>>> = {};
  for (const [v, r] of Object.entries(ev?.variants ?? {})) {
    runs[v] = Object.fromEntries(SUMMARY.map((m) => [m, r.summary[m] ?? null]));
    perQuery[v] = r.per_query;
  }
  const skipped: Record<string, string> = {};
  for (const [v, stage] of Object.entries(VARIANTS) as [Variant, PipelineStage | null][]) {
    if (runs[v]) continue;
    const rec = stage ? res.stages[stage] : res.stages.evaluate;
    skipped[v] = rec?.status === 'skipped' ? (rec.reason ?? 'skipped') : `not evaluated (stage ${stage ?? 'evaluate'}: ${rec?.status ?? 'not run'})`;
  }
  const stages: PipelineReport['stages'] = {};
  for (const s of PIPELINE_STAGES) {
    const r = res.stages[s];
    if (!r) continue;
    stages[s] = { status: r.status, seconds: r.seconds, key: r.key, ...(r.reason ? { reason: r.reason } : {}), ...stageSummary(s, r.result) };
  }
  return {
    format: 'disranker.pipeline-report',
    preset: res.config.preset,
    seed: res.config.seed,
    data: res.config.data.path ? { path: res.config.data.path } : { world: res.config.data.world },
    test: {
      queries: ev?.test_queries ?? 0,
      runs,
      comparisons: (ev?.comparisons ?? []).map((c) => ({ run: c.run, baseline: c.baseline, metric: c.metric, delta: c.delta, ci95: c.ci95, p: c.p_permutation, p_holm: c.p_holm, significant: c.significant, n: c.n })),
      skipped_variants: skipped,
      per_query: perQuery,
    },
    latency_ms_per_100: { teacher: exp?.latency_ms_per_100.teacher ?? null, student: exp?.latency_ms_per_100.student ?? null, student_onnx: exp?.latency_ms_per_100.student_onnx ?? null, student_variant: exp?.student ?? null },
    stages,
    wall_seconds: res.seconds,
    ran: res.ran,
  };
}

/** Loss curves from each training stage's metrics.jsonl, and the test pairs' teacher and student-hybrid scores. */
export async function plotsData(res: PipelineResult): Promise<ReportPlotsData> {
  const losses: ReportPlotsData['losses'] = [];
  for (const s of TRAINING) {
    const file = res.stages[s]?.result?.metricsFile as string | undefined;
    if (!file || !existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const m = JSON.parse(line) as { step?: number; loss?: number | null };
      if (typeof m.loss === 'number' && Number.isFinite(m.loss) && typeof m.step === 'number') losses.push({ stage: s, step: m.step, loss: m.loss });
    }
  }
  const dir = (res.stages.evaluate?.result as EvalResult | undefined)?.runs_dir;
  const scores: ReportPlotsData['scores'] = [];
  const student = ['student-hybrid', 'student-margin', 'student-pointwise'].find((v) => dir && existsSync(join(dir, `${v}.run`))) ?? 'student-hybrid';
  if (dir && existsSync(join(dir, 'teacher.run')) && existsSync(join(dir, `${student}.run`))) {
    const t = await readRun(join(dir, 'teacher.run'));
    const s = await readRun(join(dir, `${student}.run`));
    for (const [q, docs] of t) for (const [d, v] of docs) if (s.get(q)?.has(d)) scores.push({ teacher: v, student: s.get(q)!.get(d)! });
  }
  return { losses, scores, scatterStudent: student };
}

/** Writes OUT/report.json and OUT/report.html; returns the report. */
export async function writePipelineReport(res: PipelineResult): Promise<PipelineReport> {
  const report = pipelineReport(res);
  writeFileAtomicSync(join(res.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomicSync(join(res.out, 'report.html'), await reportHtml(report, await plotsData(res)));
  return report;
}

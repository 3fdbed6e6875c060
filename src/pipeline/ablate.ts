// The students' ablation (`disranker student ablate`): the label-only baseline, the point-wise, Margin-MSE and hybrid
// distilled students, and a sweep of the hybrid's β, all from one pre-trained student with one seed, one number of
// steps and one learning rate on the same data; each reranks one split, BM25 reranks it too, and every student is
// compared with the label-only one and with BM25 (paired randomization tests, Holm-corrected per baseline and metric).
//   OUT/train/<variant>/   each student's run folder (src/pipeline/run-folder.ts): a rerun returns a finished one, a
//                          killed one resumes from its checkpoint, other settings are refused unless --force
//   OUT/runs/<variant>.run the split's TREC runs (bm25.run: BM25 over the same candidate lists)
//   OUT/summary.json       settings, metrics per variant, comparisons (format below: AblationSummary)
//   OUT/summary.md         one Markdown table, a row per variant
// The runs are reranked and evaluated again on every call (a rerun trains nothing but rewrites them identically).
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openDataset } from '../data/dataset.js';
import { formatRun, readRun, type Run } from '../data/trec.js';
import { compareRuns, type Comparison } from '../eval/compare.js';
import { EVAL_DEFAULTS } from '../eval/defaults.js';
import { evaluateRun, perQueryNames, summaryNames, type RunEvaluation } from '../eval/evaluate.js';
import { parseMetricList } from '../eval/names.js';
import { fmt, fmtP, fmtSigned, renderTable } from '../eval/report.js';
import type { RankLossName } from '../train/losses/index.js';
import { DisrankerError } from '../util/errors.js';
import { assertSafeOutput, markRunFolder, writeFileAtomicSync } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { ABLATION_DEFAULTS, DISTILL_DEFAULTS, STUDENT_TRAIN_DEFAULTS } from './defaults.js';
import { distillStage, type DistillLoss, type DistillOptions, type Normalization } from './distill.js';
import { bm25CandidateRun, rerankStage, splitQueries } from './rerank.js';
import type { RankerTrainResult } from './run-folder.js';
import { studentLabelsStage } from './student.js';

/** The summary table's columns: trec_eval names and their headers. */
export const ABLATION_COLUMNS = [
  ['ndcg_cut_10', 'nDCG@10'],
  ['ndcg_cut_5', 'nDCG@5'],
  ['map', 'MAP'],
  ['recip_rank', 'MRR'],
  ['pnr', 'PNR'],
] as const;
/** The metric the table's Δ columns compare. */
const DELTA_METRIC = 'ndcg_cut_10';
export const LABELS_VARIANT = 'student-labels';
export const BM25_VARIANT = 'bm25';

/**
 * The ablation's settings: distill's (every variant gets the same seed, steps, lr, data and trainer settings; α
 * and β are the hybrid's, DISTILL_DEFAULTS), plus the β sweep, the evaluated split and the significance test's.
 */
export interface AblationOptions extends Omit<DistillOptions, 'loss'> {
  /** the hybrid's β sweep; a value equal to `beta` is student-hybrid itself */
  betas?: readonly number[];
  /** the split every variant reranks and is evaluated on (rerank's split names) */
  split?: string;
  permutations?: number;
  bootstrap?: number;
}

/** One student of the ablation. */
export interface AblationVariant {
  name: string;
  /** labels: the label-only baseline (a rank loss on the judged train split); distill: the teacher's scores */
  kind: 'labels' | 'distill';
  loss: RankLossName | DistillLoss;
  /** the distillation loss's weights: α · MSE + β · Margin-MSE (null for the label-only student) */
  alpha: number | null;
  beta: number | null;
}

export interface AblationVariantSummary {
  kind: 'bm25' | 'labels' | 'distill';
  loss: string | null;
  alpha: number | null;
  beta: number | null;
  /** the TREC run, relative to OUT */
  run: string;
  /** the run folder and model, relative to OUT (null for bm25) */
  train_dir: string | null;
  model_dir: string | null;
  /** keep-best on dev nDCG@10 */
  dev_best: RankerTrainResult['best'];
  /** true: the run folder was finished before this call */
  cached: boolean;
  /** summary metrics on the split (null: undefined) */
  metrics: Record<string, number | null>;
}

export interface AblationComparison {
  run: string;
  baseline: string;
  /** the per-query series compared (PNR: pnr_pair_acc) */
  metric: string;
  delta: number;
  ci95: [number | null, number | null];
  /** the paired randomization test's two-sided p */
  p: number;
  p_ttest: number | null;
  /** p after Holm's correction over the variants compared with the same baseline on the same metric */
  p_holm: number;
  significant: boolean;
  n: number;
}

/** OUT/summary.json. */
export interface AblationSummary {
  format: 'disranker.ablation';
  data: string;
  init: string;
  scores: string;
  split: string;
  /** queries of the split with judgements and candidates (what the means are over) */
  queries: number;
  settings: {
    seed: number;
    steps: number;
    lr: number;
    eval_every: number;
    max_length: number;
    /** the MLM loss kept as a second task (0: off) */
    mlm_weight: number;
    mlm_query_mask_rate: number;
    alpha: number;
    beta: number;
    normalize: Normalization;
    queries_per_step: number;
    candidates_per_query: number;
    labels: { loss: RankLossName; groups_per_step: number; group_size: number };
    betas: number[];
  };
  /** the summary metrics of each variant (trec_eval names; pnr is pooled ΣC/ΣD) */
  metrics: string[];
  /** bm25, then the students in training order */
  variants: Record<string, AblationVariantSummary>;
  /** the β sweep: each β and the variant trained with it */
  sweep: { beta: number; variant: string }[];
  /** every student against student-labels, and every student against bm25 */
  comparisons: AblationComparison[];
  significance: { test: string; permutations: number; bootstrap: number; seed: number; alpha: number; correction: string };
}

export interface AblationResult {
  summary: AblationSummary;
  /** summary.md's text */
  markdown: string;
  files: { summaryJson: string; summaryMd: string; runs: string };
}

/** The name of the hybrid student trained with sweep value β. */
export const sweepVariant = (beta: number) => `student-hybrid-beta-${beta}`;

/** The students, in training order: labels, point-wise, Margin-MSE, hybrid (α, β), then the hybrid at each other β. */
export function ablationVariants(alpha: number, beta: number, betas: readonly number[]): AblationVariant[] {
  for (const b of [beta, ...betas]) if (!(Number.isFinite(b) && b >= 0)) throw new DisrankerError('DR_ERR_USAGE', `β must be a finite number ≥ 0, got ${b}`);
  return [
    { name: LABELS_VARIANT, kind: 'labels', loss: STUDENT_TRAIN_DEFAULTS.loss, alpha: null, beta: null },
    { name: 'student-pointwise', kind: 'distill', loss: 'pointwise', alpha, beta: 0 },
    { name: 'student-margin', kind: 'distill', loss: 'margin', alpha: 0, beta },
    { name: 'student-hybrid', kind: 'distill', loss: 'hybrid', alpha, beta },
    ...[...new Set(betas)].filter((b) => b !== beta).map((b): AblationVariant => ({ name: sweepVariant(b), kind: 'distill', loss: 'hybrid', alpha, beta: b })),
  ];
}

export async function ablateStage(opts: AblationOptions, reporter: Reporter = silentReporter): Promise<AblationResult> {
  const s = {
    seed: opts.seed,
    steps: opts.steps ?? STUDENT_TRAIN_DEFAULTS.steps,
    lr: opts.lr ?? STUDENT_TRAIN_DEFAULTS.lr,
    evalEvery: opts.evalEvery ?? STUDENT_TRAIN_DEFAULTS.evalEvery,
    maxLength: opts.maxLength ?? STUDENT_TRAIN_DEFAULTS.maxLength,
    mlmWeight: opts.mlmWeight ?? STUDENT_TRAIN_DEFAULTS.mlmWeight,
    mlmQueryMaskRate: opts.mlmQueryMaskRate ?? STUDENT_TRAIN_DEFAULTS.mlmQueryMaskRate,
  };
  const alpha = opts.alpha ?? DISTILL_DEFAULTS.alpha;
  const beta = opts.beta ?? DISTILL_DEFAULTS.beta;
  const normalize = opts.normalize ?? DISTILL_DEFAULTS.normalize;
  const queriesPerStep = opts.queriesPerStep ?? DISTILL_DEFAULTS.queriesPerStep;
  const candidatesPerQuery = opts.candidatesPerQuery ?? DISTILL_DEFAULTS.candidatesPerQuery;
  const betas = [...new Set(opts.betas ?? ABLATION_DEFAULTS.betas)];
  const split = opts.split ?? ABLATION_DEFAULTS.split;
  const permutations = opts.permutations ?? EVAL_DEFAULTS.permutations;
  const bootstrap = opts.bootstrap ?? EVAL_DEFAULTS.bootstrap;
  const variants = ablationVariants(alpha, beta, betas);
  const inputs = [opts.data, opts.init, opts.scores];
  assertSafeOutput(opts.out, { force: true, inputs });
  markRunFolder(opts.out, { job: 'student ablate' });
  if (split === 'train' || split === 'dev') reporter.warn(`--split ${split}: the students were trained on the train split and kept-best on dev; test is the held-out split`);

  // training: one run folder per student, the same seed, steps, learning rate and data for all
  const trained = new Map<string, RankerTrainResult>();
  for (const v of variants) {
    const dir = join(opts.out, 'train', v.name);
    reporter.info(`── ${v.name} (${dir})`);
    const common = { data: opts.data, init: opts.init, out: dir, ...s, train: opts.train, force: opts.force, fresh: opts.fresh };
    const r =
      v.kind === 'labels'
        ? await studentLabelsStage({ ...common, loss: v.loss as RankLossName }, reporter)
        : await distillStage({ ...common, scores: opts.scores, loss: v.loss as DistillLoss, alpha: v.alpha!, beta: v.beta!, normalize, queriesPerStep, candidatesPerQuery }, reporter);
    reporter.info(`${v.name}: best dev nDCG@10 ${r.best?.ndcg_cut_10.toFixed(4) ?? '-'} at step ${r.best?.step ?? '-'}${r.cached ? ' (finished before)' : ''}`);
    trained.set(v.name, r);
  }

  // the split's runs: BM25 over the candidate lists, then each student
  const runsDir = join(opts.out, 'runs');
  const runFile = (name: string) => join(runsDir, `${name}.run`);
  const ds = await openDataset(opts.data);
  mkdirSync(runsDir, { recursive: true });
  const runs = new Map<string, Run>();
  const bm25 = await bm25CandidateRun(ds, await splitQueries(ds, split));
  writeFileAtomicSync(runFile(BM25_VARIANT), formatRun(bm25, BM25_VARIANT));
  runs.set(BM25_VARIANT, bm25);
  for (const v of variants) {
    await rerankStage({ model: trained.get(v.name)!.modelDir, data: opts.data, split, out: runFile(v.name), tag: v.name, maxLength: s.maxLength }, reporter);
    runs.set(v.name, await readRun(runFile(v.name)));
  }

  // evaluation: every student against the label-only one, and every student against BM25
  const metrics = parseMetricList(ABLATION_COLUMNS.map(([m]) => m).join(','));
  const qrels = await ds.qrels();
  const evals = new Map<string, RunEvaluation>([...runs].map(([name, run]) => [name, evaluateRun(qrels, run, metrics, { runName: name })]));
  const sig = { seed: EVAL_DEFAULTS.seed, permutations, bootstrap, alpha: EVAL_DEFAULTS.alpha };
  const students = variants.map((v) => v.name);
  const compare = (names: string[]) => compareRuns(names, names.map((n) => evals.get(n)!), perQueryNames(metrics), sig);
  const comparisons = [...compare(students), ...compare([BM25_VARIANT, ...students])];

  const rel = (p: string) => relative(opts.out, p) || '.';
  const summaryMetrics = summaryNames(metrics);
  const scores = (name: string) => Object.fromEntries(summaryMetrics.map((m) => [m, finiteOrNull(evals.get(name)!.summary.get(m))]));
  const summary: AblationSummary = {
    format: 'disranker.ablation',
    data: opts.data,
    init: opts.init,
    scores: opts.scores,
    split,
    queries: evals.get(BM25_VARIANT)!.queries.length,
    settings: {
      seed: s.seed,
      steps: s.steps,
      lr: s.lr,
      eval_every: s.evalEvery,
      max_length: s.maxLength,
      mlm_weight: s.mlmWeight,
      mlm_query_mask_rate: s.mlmQueryMaskRate,
      alpha,
      beta,
      normalize,
      queries_per_step: queriesPerStep,
      candidates_per_query: candidatesPerQuery,
      labels: { loss: STUDENT_TRAIN_DEFAULTS.loss, groups_per_step: STUDENT_TRAIN_DEFAULTS.groupsPerStep, group_size: STUDENT_TRAIN_DEFAULTS.groupSize },
      betas,
    },
    metrics: summaryMetrics,
    variants: {
      [BM25_VARIANT]: { kind: 'bm25', loss: null, alpha: null, beta: null, run: rel(runFile(BM25_VARIANT)), train_dir: null, model_dir: null, dev_best: null, cached: false, metrics: scores(BM25_VARIANT) },
      ...Object.fromEntries(
        variants.map((v) => {
          const r = trained.get(v.name)!;
          const entry: AblationVariantSummary = {
            kind: v.kind,
            loss: v.loss,
            alpha: v.alpha,
            beta: v.beta,
            run: rel(runFile(v.name)),
            train_dir: rel(join(opts.out, 'train', v.name)),
            model_dir: rel(r.modelDir),
            dev_best: r.best,
            cached: Boolean(r.cached),
            metrics: scores(v.name),
          };
          return [v.name, entry];
        }),
      ),
    },
    sweep: betas.map((b) => ({ beta: b, variant: b === beta ? 'student-hybrid' : sweepVariant(b) })),
    comparisons: comparisons.map(comparisonJson),
    significance: {
      test: 'paired randomization (sign flips of the per-query differences)',
      permutations,
      bootstrap,
      seed: sig.seed,
      alpha: sig.alpha,
      correction: 'Holm, over the variants compared with the same baseline, per metric',
    },
  };
  const markdown = ablationMarkdown(summary);
  const files = { summaryJson: join(opts.out, 'summary.json'), summaryMd: join(opts.out, 'summary.md'), runs: runsDir };
  writeFileAtomicSync(files.summaryJson, JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomicSync(files.summaryMd, markdown);
  reporter.info(`evaluated ${runs.size} runs on ${summary.queries} ${split} queries: ${files.summaryJson}, ${files.summaryMd}`);
  return { summary, markdown, files };
}

function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

function comparisonJson(c: Comparison): AblationComparison {
  return {
    run: c.run,
    baseline: c.baseline,
    metric: c.metric,
    delta: c.delta,
    ci95: [finiteOrNull(c.ci95[0]), finiteOrNull(c.ci95[1])],
    p: c.p_permutation,
    p_ttest: finiteOrNull(c.p_ttest),
    p_holm: c.p_holm,
    significant: c.significant,
    n: c.n,
  };
}

/** summary.md: a heading, the settings in one line, the table (a row per variant) and what Δ and p_holm mean. */
export function ablationMarkdown(s: AblationSummary): string {
  const delta = (run: string, baseline: string) => {
    const c = s.comparisons.find((x) => x.run === run && x.baseline === baseline && x.metric === DELTA_METRIC);
    return c ? `${fmtSigned(c.delta)} (${fmtP(c.p_holm)})${c.significant ? ' *' : ''}` : '—';
  };
  const header = ['variant', ...ABLATION_COLUMNS.map(([, h]) => h), 'Δ nDCG@10 vs labels (p_holm)', 'Δ nDCG@10 vs bm25 (p_holm)'];
  const rows = Object.entries(s.variants).map(([name, v]) => [
    name,
    ...ABLATION_COLUMNS.map(([m]) => (v.metrics[m] === null ? 'n/a' : fmt(v.metrics[m]!))),
    delta(name, LABELS_VARIANT),
    delta(name, BM25_VARIANT),
  ]);
  const t = s.settings;
  const sweep = s.sweep.map((x) => `β ${x.beta}: ${x.variant}`).join(', ');
  return [
    `# Student ablation: ${s.queries} ${s.split} queries of ${s.data}`,
    '',
    `Every student starts from ${s.init} with seed ${t.seed}, ${t.steps} steps, lr ${t.lr} and keep-best on dev nDCG@10 every ${t.eval_every} steps. ` +
      `student-labels: ${t.labels.loss} loss on the judged train split; the others: the teacher's scores (${s.scores}, normalised ${t.normalize}), ` +
      `α · MSE + β · Margin-MSE with α ${t.alpha}, β ${t.beta} (point-wise: β 0; Margin-MSE: α 0). β sweep of the hybrid: ${sweep || 'none'}.`,
    '',
    renderTable(header, rows, true, [false, ...ABLATION_COLUMNS.map(() => true), true, true]).trimEnd(),
    '',
    `Δ: mean per-query difference in nDCG@10 from the baseline; p_holm: the paired randomization test's p ` +
      `(${s.significance.permutations} permutations, seed ${s.significance.seed}), Holm-corrected over the variants compared with that baseline; ` +
      `* p_holm < ${s.significance.alpha}. PNR: pooled concordant / discordant pairs. All comparisons (every metric, 95% bootstrap CIs): summary.json.`,
    '',
  ].join('\n');
}

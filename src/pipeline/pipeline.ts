// `disranker pipeline run`: the whole method as one cached, resumable job (see docs/pipeline.md).
//   world → tokenizer → cpt → sft (+ sft-only, the ablation from scratch) → teacher-score → student-pretrain →
//   student-labels, distill-pointwise, distill-margin, distill-hybrid → evaluate (test split, significance) →
//   export (ONNX of the best student by dev nDCG@10, and latency per 100 candidates).
// Each stage has a key: a SHA-256 of its own settings and its upstream stages' keys; its work goes to
// OUT/stages/<stage>-<key> and, once finished, OUT/stages/<stage>-<key>.done.json records its result. A rerun
// returns recorded results without work; a changed setting changes the key of that stage and of everything
// downstream, so only those run again. A killed training stage resumes from its checkpoint (same folder, same key).
// The report (report.json, report.html) is written from the recorded results at the end of every run.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { LAYOUT, openDataset } from '../data/dataset.js';
import { judgedSplits } from '../data/sets/split.js';
import { PRESETS } from '../data/synth/world.js';
import { formatRun, readRun, type Run } from '../data/trec.js';
import { compareRuns, type Comparison } from '../eval/compare.js';
import { evaluateRuns } from '../eval/evaluate-runs.js';
import { parseMetricList } from '../eval/names.js';
import { reportJson, reportTable } from '../eval/report.js';
import { exportOnnx } from '../models/onnx/export.js';
import type { QueryDocument } from '../text/index.js';
import { canonicalJson } from '../train/checkpoint.js';
import { DisrankerError } from '../util/errors.js';
import { assertSafeOutput, markRunFolder, writeFileAtomicSync } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { cptStage } from './cpt.js';
import { PIPELINE_RUN_DEFAULTS, RERANK_DEFAULTS, STUDENT_TRAIN_DEFAULTS, TEACHER_SIZES } from './defaults.js';
import { distillStage, type DistillLoss, type Normalization } from './distill.js';
import { LATENCY_PAIRS, timeOnnxModel, timeTorchModel } from './latency.js';
import { PIPELINE_STAGES, STAGE_GROUPS, type PipelineConfig, type PipelineStage } from './pipeline-config.js';
import { bm25CandidateRun, rerankStage } from './rerank.js';
import { sftStage } from './sft.js';
import { pretrainCorpusChanges, studentLabelsStage, studentPretrainStage } from './student.js';
import { teacherScoreStage } from './teacher-score.js';
import { bpeTokenizerStage } from './tokenizer.js';
import { worldStage } from './world.js';

export { PIPELINE_STAGES, STAGE_GROUPS, type PipelineStage };

/** The evaluated variants, the model stage behind each (null: computed from the data set). */
export const VARIANTS = {
  bm25: null,
  production: null,
  teacher: 'sft',
  'teacher-sft-only': 'sft-only',
  'student-labels': 'student-labels',
  'student-pointwise': 'distill-pointwise',
  'student-margin': 'distill-margin',
  'student-hybrid': 'distill-hybrid',
} as const satisfies Record<string, PipelineStage | null>;
export type Variant = keyof typeof VARIANTS;
export const STUDENT_VARIANTS: Variant[] = ['student-labels', 'student-pointwise', 'student-margin', 'student-hybrid'];
/** Comparison groups: each run against the group's first, Holm-corrected within the group and metric. */
export const COMPARISON_GROUPS: Variant[][] = [
  ['bm25', 'production', 'teacher', 'teacher-sft-only', 'student-labels', 'student-pointwise', 'student-margin', 'student-hybrid'],
  ['teacher-sft-only', 'teacher'],
  ['student-labels', 'student-pointwise', 'student-margin', 'student-hybrid'],
];
export const PIPELINE_METRICS = 'ndcg_cut_5,ndcg_cut_10,map,recip_rank,pnr';

const DEPS: Record<PipelineStage, PipelineStage[]> = {
  world: [],
  tokenizer: ['world'],
  cpt: ['world', 'tokenizer'],
  sft: ['world', 'cpt'],
  'sft-only': ['world', 'tokenizer'],
  'teacher-score': ['world', 'sft'],
  'student-pretrain': ['world'],
  'student-labels': ['world', 'student-pretrain'],
  'distill-pointwise': ['world', 'student-pretrain', 'teacher-score'],
  'distill-margin': ['world', 'student-pretrain', 'teacher-score'],
  'distill-hybrid': ['world', 'student-pretrain', 'teacher-score'],
  evaluate: ['world', 'sft', 'sft-only', 'student-labels', 'distill-pointwise', 'distill-margin', 'distill-hybrid'],
  export: ['world', 'sft', 'student-labels', 'distill-pointwise', 'distill-margin', 'distill-hybrid'],
};
/** Stages that run alone, here: export times the models (latency per 100 candidates), and evaluate, which every
 * model stage feeds, has nothing to run beside but export. */
const ALONE = new Set<PipelineStage>(['evaluate', 'export']);
/** Stages that run on whatever of their upstream stages ran (the others need all of theirs). */
const TOLERANT = new Set<PipelineStage>(['evaluate', 'export']);

/** What the data set offers, which decides the stages that can run. */
export interface DataFacts {
  hasClickLog: boolean;
  /** candidate lists of queries without judgments (what teacher scoring and MLM pre-training use) */
  unjudgedLists: number;
  /** an imported data set's content hash (null: the synthetic world, identified by its settings) */
  contentHash: string | null;
}

export interface StagePlan {
  stage: PipelineStage;
  deps: PipelineStage[];
  /** the settings that make the stage's key (with the upstream keys) */
  settings: Record<string, unknown>;
  key: string;
  dir: string;
  /** why the stage cannot run on this data set (null: it can) */
  skip: string | null;
}

/** The stages, their keys and folders: a pure function of the configuration and the data set's facts. */
export function planPipeline(cfg: PipelineConfig, out: string, facts: DataFacts): Map<PipelineStage, StagePlan> {
  const d = cfg.distill;
  const { pairs, queryMaskRate, ...pretrain } = cfg.studentPretrain;
  const distill = (loss: DistillLoss) => ({ steps: d.steps, lr: d.lr, evalEvery: d.evalEvery, normalize: d.normalize, loss, alpha: loss === 'margin' ? 0 : d.alpha, beta: loss === 'pointwise' ? 0 : d.beta, seed: cfg.seed });
  const settings: Record<PipelineStage, Record<string, unknown>> = {
    // the synthetic world by its preset's numbers too, so a release that changes a preset does not reuse an old world
    world: cfg.data.path ? { path: resolve(cfg.data.path), sha256: facts.contentHash } : { world: cfg.data.world, preset: PRESETS[cfg.data.world] ?? null, seed: cfg.seed },
    tokenizer: { ...cfg.tokenizer },
    cpt: { ...cfg.cpt, seed: cfg.seed },
    sft: { ...cfg.sft, seed: cfg.seed },
    'sft-only': { ...cfg.sft, size: cfg.cpt.size, seed: cfg.seed },
    'teacher-score': { ...cfg.teacherScore },
    'student-pretrain': { ...pretrain, ...pretrainCorpusChanges(pairs, queryMaskRate), seed: cfg.seed },
    'student-labels': { ...cfg.studentLabels, seed: cfg.seed },
    'distill-pointwise': distill('pointwise'),
    'distill-margin': distill('margin'),
    'distill-hybrid': distill('hybrid'),
    evaluate: { ...cfg.evaluate, metrics: PIPELINE_METRICS, split: 'test' },
    export: { ...cfg.latency, pairs: LATENCY_PAIRS, selection: 'best dev nDCG@10 among the students' },
  };
  const own: Partial<Record<PipelineStage, string>> = {};
  if (!facts.hasClickLog) own.cpt = 'the data set has no click log (clicks.jsonl.gz): CPT trains on clicks';
  if (facts.unjudgedLists === 0) {
    own['teacher-score'] = 'the data set has no candidate list of a query without judgments: nothing to distil on';
    own['student-pretrain'] = 'the data set has no candidate list of a query without judgments: nothing to pre-train the student on';
  }
  if (!facts.hasClickLog && cfg.studentPretrain.pairs === 'clicks') {
    own['student-pretrain'] ??= 'the data set has no click log (clicks.jsonl.gz): the student\'s MLM masks click pairs (studentPretrain.pairs: clicks; candidates masks candidate lists)';
  }
  const plan = new Map<PipelineStage, StagePlan>();
  for (const stage of PIPELINE_STAGES) {
    const deps = DEPS[stage];
    let skip = own[stage] ?? null;
    if (!skip && !TOLERANT.has(stage)) {
      const missing = deps.filter((x) => plan.get(x)!.skip);
      if (missing.length) skip = `needs ${missing.join(', ')}, skipped`;
    }
    if (!skip && stage === 'export' && STUDENT_VARIANTS.every((v) => plan.get(VARIANTS[v] as PipelineStage)!.skip)) skip = 'no student was trained';
    const key = createHash('sha256')
      .update(canonicalJson({ stage, settings: settings[stage], deps: deps.map((x) => plan.get(x)!.key) }))
      .digest('hex')
      .slice(0, 12);
    plan.set(stage, { stage, deps, settings: settings[stage], key, dir: join(out, 'stages', `${stage}-${key}`), skip });
  }
  return plan;
}

/** The stages `--from X` reruns: X and everything downstream of it. */
export function downstreamOf(stages: PipelineStage[]): Set<PipelineStage> {
  const set = new Set(stages);
  for (const s of PIPELINE_STAGES) if (DEPS[s].some((x) => set.has(x))) set.add(s);
  return set;
}

/** How many stages depend on each stage, directly or through others: side by side, the stages that more of the
 * pipeline waits for start first (the SFT-only ablation, which only the evaluation needs, after CPT and the student's
 * MLM). */
export const DOWNSTREAM = new Map<PipelineStage, number>(PIPELINE_STAGES.map((s) => [s, downstreamOf([s]).size - 1]));

/** A stage or group name as the stages it means. */
export function stagesNamed(name: string, flag: string): PipelineStage[] {
  if ((PIPELINE_STAGES as readonly string[]).includes(name)) return [name as PipelineStage];
  if (STAGE_GROUPS[name]) return STAGE_GROUPS[name];
  throw new DisrankerError('DR_ERR_USAGE', `${flag} ${name}: expected a stage (${PIPELINE_STAGES.join(', ')}) or ${Object.keys(STAGE_GROUPS).join(', ')}`);
}

export interface PipelineOptions {
  out: string;
  config: PipelineConfig;
  /** rerun this stage (or group) and everything downstream, even when recorded as done */
  from?: string;
  /** rerun only this stage (or group); its upstream stages must be done */
  only?: string;
  /**
   * Stages run at once (PIPELINE_RUN_DEFAULTS.jobs). Above 1, and with `launch`, stages whose upstream stages are
   * done run side by side, each in its own process with cores / jobs threads; a stage with nothing beside it runs
   * here, on every core. 1: one stage after the other, here.
   */
  jobs?: number;
  /** runs one stage in another process (the CLI's `pipeline stage`); without it every stage runs here */
  launch?: StageLauncher;
}

/**
 * Starts one stage of the pipeline in OUT in another process, with `threads` threads (the process records the stage's
 * done file as a run here would). `done` resolves when it has finished and rejects when it failed; `signal` stops it;
 * `widen(n)` lets it use n threads from its next step on (when nothing else will run beside it).
 */
export type StageLauncher = (
  stage: PipelineStage,
  ctx: { out: string; config: PipelineConfig; threads: number; signal: AbortSignal },
  reporter: Reporter,
) => { done: Promise<void>; widen(threads: number): void };

export type StageStatus = 'ran' | 'cached' | 'skipped' | 'not run';

export interface StageRecord {
  stage: PipelineStage;
  key: string;
  dir: string;
  status: StageStatus;
  /** seconds the stage's work took when it ran (recorded; 0 for skipped) */
  seconds: number;
  reason?: string;
  result?: Record<string, unknown>;
}

export interface PipelineResult {
  out: string;
  config: PipelineConfig;
  stages: Record<PipelineStage, StageRecord>;
  /** stages that trained or computed in this call */
  ran: PipelineStage[];
  seconds: number;
}

interface DoneFile {
  format: 'disranker.pipeline-stage';
  stage: PipelineStage;
  key: string;
  settings: Record<string, unknown>;
  seconds: number;
  finished: string;
  result: Record<string, unknown>;
}

const doneFile = (p: StagePlan) => `${p.dir}.done.json`;

function readDone(p: StagePlan): DoneFile | null {
  const f = doneFile(p);
  if (!existsSync(f) || !existsSync(p.dir)) return null;
  try {
    const d = JSON.parse(readFileSync(f, 'utf8')) as DoneFile;
    return d.format === 'disranker.pipeline-stage' && d.key === p.key ? d : null;
  } catch {
    return null;
  }
}

/** The facts of a data set folder (an imported one: hashed by content). */
export async function dataFacts(dir: string, hash: boolean): Promise<DataFacts> {
  const ds = await openDataset(dir);
  const judged = await ds.qrels();
  let unjudgedLists = 0;
  for (const qid of (await ds.loadCandidates()).keys()) if (!judged.has(qid)) unjudgedLists++;
  let contentHash: string | null = null;
  if (hash) {
    const h = createHash('sha256');
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
        else h.update(`${rel}${name}\n`).update(readFileSync(p));
      }
    };
    walk(dir, '');
    contentHash = h.digest('hex');
  }
  return { hasClickLog: ds.has(LAYOUT.clicks), unjudgedLists, contentHash };
}

export async function runPipeline(opts: PipelineOptions, reporter: Reporter = silentReporter): Promise<PipelineResult> {
  const t0 = performance.now();
  const cfg = opts.config;
  const out = resolve(opts.out);
  assertSafeOutput(out, { force: true, inputs: cfg.data.path ? [cfg.data.path] : [] });
  markRunFolder(out, { job: 'pipeline' });
  writeFileAtomicSync(join(out, 'pipeline.config.json'), JSON.stringify(cfg, null, 2) + '\n');
  if (opts.from && opts.only) throw new DisrankerError('DR_ERR_USAGE', '--from and --only cannot be used together');
  const forced = opts.from ? downstreamOf(stagesNamed(opts.from, '--from')) : opts.only ? new Set(stagesNamed(opts.only, '--only')) : new Set<PipelineStage>();

  // the data set first: its facts decide which stages can run
  let facts: DataFacts = { hasClickLog: true, unjudgedLists: 1, contentHash: null };
  if (cfg.data.path) facts = await dataFacts(cfg.data.path, true);
  let plan = planPipeline(cfg, out, facts);
  const records = {} as Record<PipelineStage, StageRecord>;
  const results = {} as Record<PipelineStage, Record<string, unknown>>;
  const ran: PipelineStage[] = [];
  const dataDir = cfg.data.path ? resolve(cfg.data.path) : plan.get('world')!.dir;

  const jobs = opts.launch && !opts.only ? Math.max(1, opts.jobs ?? PIPELINE_RUN_DEFAULTS.jobs) : 1;

  /** Records a stage that need not run (skipped, cached, not asked for); true when it must run. */
  const mustRun = (stage: PipelineStage): boolean => {
    const p = plan.get(stage)!;
    const base = { stage, key: p.key, dir: p.dir };
    if (p.skip) {
      records[stage] = { ...base, status: 'skipped', seconds: 0, reason: p.skip };
      reporter.info(`${stage}: skipped (${p.skip})`);
      return false;
    }
    let done = readDone(p);
    if (forced.has(stage) && done) {
      rmSync(doneFile(p), { force: true });
      rmSync(p.dir, { recursive: true, force: true }); // a stage folder of this pipeline (OUT/stages/<stage>-<key>)
      done = null;
    }
    if (opts.only && !forced.has(stage)) {
      records[stage] = done ? { ...base, status: 'cached', seconds: done.seconds, result: done.result } : { ...base, status: 'not run', seconds: 0 };
      if (done) results[stage] = done.result;
      return false;
    }
    if (done) {
      records[stage] = { ...base, status: 'cached', seconds: done.seconds, result: done.result };
      results[stage] = done.result;
      reporter.info(`${stage}: done before (${p.dir})`);
      return false;
    }
    const missing = p.deps.filter((x) => records[x]?.status === 'not run');
    if (missing.length) throw new DisrankerError('DR_ERR_USAGE', `--only ${opts.only}: ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} not run with these settings; run the pipeline first`);
    return true;
  };
  const recordRan = (stage: PipelineStage, result: Record<string, unknown>, seconds: number) => {
    const p = plan.get(stage)!;
    records[stage] = { stage, key: p.key, dir: p.dir, status: 'ran', seconds, result };
    results[stage] = result;
    ran.push(stage);
  };
  const runHere = async (stage: PipelineStage) => {
    const p = plan.get(stage)!;
    reporter.info(`── stage ${stage} (${p.dir})`);
    const s0 = performance.now();
    const result = await runStage(stage, p, cfg, dataDir, results, reporter);
    const seconds = (performance.now() - s0) / 1000;
    const file: DoneFile = { format: 'disranker.pipeline-stage', stage, key: p.key, settings: p.settings, seconds, finished: new Date().toISOString(), result };
    writeFileAtomicSync(doneFile(p), JSON.stringify(file, null, 2) + '\n');
    recordRan(stage, result, seconds);
    if (stage === 'world' && !cfg.data.path) {
      // the synthetic world always has a click log; its facts are known now
      facts = await dataFacts(dataDir, false);
      plan = planPipeline(cfg, out, facts);
    }
  };

  // the world first, here (every stage depends on it); the others in order, or side by side with `jobs`
  const queue: PipelineStage[] = [];
  for (const stage of PIPELINE_STAGES) {
    if (!mustRun(stage)) continue;
    if (jobs > 1 && stage !== 'world') queue.push(stage);
    else await runHere(stage);
  }
  if (queue.length) await runSideBySide(queue, jobs, { plan, records, runHere, recordRan, launch: opts.launch!, out, cfg, reporter });
  return { out, config: cfg, stages: records, ran, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs the queued stages as their upstream stages finish, at most `jobs` at once, those with more stages downstream
 * first (DOWNSTREAM): a stage that would run alone runs
 * here on every core, and so do the ALONE stages, with nothing beside them; stages that can run together each get a
 * process (`launch`) with cores / jobs threads, and the last one left running gets them all. A failed stage stops the
 * others (their checkpoints resume on the next run) and is reported.
 */
async function runSideBySide(
  queue: PipelineStage[],
  jobs: number,
  ctx: {
    /** the plan after the world stage (it does not change again) */
    plan: Map<PipelineStage, StagePlan>;
    records: Record<PipelineStage, StageRecord>;
    runHere: (stage: PipelineStage) => Promise<void>;
    recordRan: (stage: PipelineStage, result: Record<string, unknown>, seconds: number) => void;
    launch: StageLauncher;
    out: string;
    cfg: PipelineConfig;
    reporter: Reporter;
  },
): Promise<void> {
  const cores = availableParallelism();
  const threads = Math.max(1, Math.floor(cores / jobs));
  const abort = new AbortController();
  const active = new Map<PipelineStage, { done: Promise<{ stage: PipelineStage; error?: unknown }>; widen(threads: number): void }>();
  // the stages whose upstream stages are done, those with more stages downstream first (then in pipeline order)
  const ready = () => queue.filter((s) => ctx.plan.get(s)!.deps.every((d) => ctx.records[d] !== undefined)).sort((a, b) => DOWNSTREAM.get(b)! - DOWNSTREAM.get(a)!);
  while (queue.length || active.size) {
    const now = ready();
    const here = active.size === 0 ? (now.find((s) => ALONE.has(s)) ?? (now.length === 1 ? now[0] : undefined)) : undefined;
    if (here) {
      queue.splice(queue.indexOf(here), 1);
      await ctx.runHere(here);
      continue;
    }
    for (const stage of now.filter((s) => !ALONE.has(s)).slice(0, jobs - active.size)) {
      queue.splice(queue.indexOf(stage), 1);
      const p = ctx.plan.get(stage)!;
      ctx.reporter.info(`── stage ${stage} (${p.dir}), in its own process with ${threads} thread${threads > 1 ? 's' : ''}`);
      const launched = ctx.launch(stage, { out: ctx.out, config: ctx.cfg, threads, signal: abort.signal }, ctx.reporter);
      active.set(stage, {
        done: launched.done.then(
          () => ({ stage }),
          (error: unknown) => ({ stage, error }),
        ),
        widen: launched.widen,
      });
    }
    if (active.size === 0) throw new Error(`pipeline: ${queue.join(', ')} wait for stages that will not run`);
    // readiness changes only when a stage finishes: a stage running alone now stays alone, so it gets every thread
    if (active.size === 1) [...active.values()][0].widen(cores);
    const { stage, error } = await Promise.race([...active.values()].map((a) => a.done));
    active.delete(stage);
    if (error) {
      abort.abort();
      await Promise.all([...active.values()].map((a) => a.done));
      throw error;
    }
    const done = readDone(ctx.plan.get(stage)!);
    if (!done) throw new Error(`pipeline: the process of stage ${stage} ended without recording it as done`);
    ctx.recordRan(stage, done.result, done.seconds);
    ctx.reporter.info(`${stage}: finished in ${done.seconds.toFixed(1)} s`);
  }
}

type Results = Record<PipelineStage, Record<string, unknown>>;
const modelOf = (results: Results, stage: PipelineStage) => results[stage]?.modelDir as string | undefined;

async function runStage(stage: PipelineStage, p: StagePlan, cfg: PipelineConfig, data: string, results: Results, reporter: Reporter): Promise<Record<string, unknown>> {
  const seed = cfg.seed;
  const tokDir = () => results.tokenizer.dir as string;
  const asRecord = (x: object) => x as Record<string, unknown>;
  switch (stage) {
    case 'world':
      return asRecord(await worldStage({ out: p.dir, preset: cfg.data.world, seed }, reporter));
    case 'tokenizer':
      return asRecord(await bpeTokenizerStage({ data, out: p.dir, vocabSize: cfg.tokenizer.vocabSize }, reporter));
    case 'cpt':
      return asRecord(await cptStage({ data, tokenizer: tokDir(), out: p.dir, seed, steps: cfg.cpt.steps, batchSize: cfg.cpt.batchSize, lr: cfg.cpt.lr, model: TEACHER_SIZES[cfg.cpt.size] }, reporter));
    case 'sft':
    case 'sft-only': {
      const from = stage === 'sft' ? { init: modelOf(results, 'cpt')! } : { tokenizer: tokDir(), model: TEACHER_SIZES[cfg.cpt.size] };
      const s = cfg.sft;
      return asRecord(await sftStage({ data, ...from, out: p.dir, seed, steps: s.steps, lr: s.lr, loss: s.loss, margin: s.margin, groupsPerStep: s.groupsPerStep, groupSize: s.groupSize, hardDepth: s.hardDepth, lmWeight: s.lmWeight, evalEvery: s.evalEvery }, reporter));
    }
    case 'teacher-score':
      return asRecord(await teacherScoreStage({ model: modelOf(results, 'sft')!, data, out: p.dir, candidates: cfg.teacherScore.candidates ?? undefined, batchSize: cfg.teacherScore.batchSize }, reporter));
    case 'student-pretrain': {
      const s = cfg.studentPretrain;
      return asRecord(await studentPretrainStage({ data, out: p.dir, seed, size: s.size, vocabSize: s.vocabSize, steps: s.steps, batchSize: s.batchSize, lr: s.lr, pairs: s.pairs, queryMaskRate: s.queryMaskRate }, reporter));
    }
    case 'student-labels': {
      const s = cfg.studentLabels;
      return asRecord(await studentLabelsStage({ data, init: modelOf(results, 'student-pretrain')!, out: p.dir, seed, steps: s.steps, lr: s.lr, evalEvery: s.evalEvery }, reporter));
    }
    case 'distill-pointwise':
    case 'distill-margin':
    case 'distill-hybrid': {
      const d = p.settings as { steps: number; lr: number; evalEvery: number; normalize: Normalization; loss: DistillLoss; alpha: number; beta: number };
      return asRecord(
        await distillStage(
          { data, init: modelOf(results, 'student-pretrain')!, scores: results['teacher-score'].file as string, out: p.dir, seed, steps: d.steps, lr: d.lr, evalEvery: d.evalEvery, loss: d.loss, alpha: d.alpha, beta: d.beta, normalize: d.normalize },
          reporter,
        ),
      );
    }
    case 'evaluate':
      return evaluateVariants(p.dir, cfg, data, results, reporter);
    case 'export':
      return exportBest(p.dir, cfg, data, results, reporter);
  }
}

/** The test split's TREC runs of every variant that exists, their metrics and the paired comparisons. */
async function evaluateVariants(dir: string, cfg: PipelineConfig, data: string, results: Results, reporter: Reporter): Promise<Record<string, unknown>> {
  assertSafeOutput(dir, { force: true, inputs: [data] });
  markRunFolder(dir, { job: 'pipeline evaluate' });
  const ds = await openDataset(data);
  const { splits } = await judgedSplits(ds);
  const test = splits.test;
  const docs = await ds.loadDocuments();
  const candidates = await ds.loadCandidates();
  const qrels = await ds.qrels();
  const runs = new Map<Variant, Run>();
  const production: Run = new Map();
  for (const qid of test) {
    const hits = (candidates.get(qid) ?? []).filter((h) => docs.has(h.docid));
    production.set(qid, new Map(hits.map((h) => [h.docid, -h.rank])));
  }
  runs.set('bm25', await bm25CandidateRun(ds, test));
  runs.set('production', production);
  const rerank: Record<string, { ms_per_100: number; pairs: number }> = {};
  for (const [variant, stage] of Object.entries(VARIANTS) as [Variant, PipelineStage | null][]) {
    const model = stage ? modelOf(results, stage) : undefined;
    if (!model) continue;
    const file = join(dir, `${variant}.run`);
    const r = await rerankStage({ model, data, split: 'test', out: file, tag: variant, maxLength: RERANK_DEFAULTS.maxLength }, reporter);
    rerank[variant] = { ms_per_100: r.ms_per_100, pairs: r.pairs };
    runs.set(variant, await readRun(file));
  }
  for (const v of ['bm25', 'production'] as Variant[]) writeFileAtomicSync(join(dir, `${v}.run`), formatRun(runs.get(v)!, v));
  const names = [...runs.keys()];
  const opts = { metrics: PIPELINE_METRICS, perQuery: true, permutations: cfg.evaluate.permutations, bootstrap: cfg.evaluate.bootstrap };
  const report = evaluateRuns(qrels, names.map((n) => [n, runs.get(n)!]), opts);
  writeFileAtomicSync(join(dir, 'eval.json'), reportJson(report));
  writeFileAtomicSync(join(dir, 'report.txt'), reportTable(report, false));
  const pq = report.perQueryMetrics;
  const comparisons: Comparison[] = [];
  for (const group of COMPARISON_GROUPS) {
    const members = group.filter((v) => runs.has(v));
    if (members.length < 2) continue;
    const evals = members.map((v) => report.evals[names.indexOf(v)]);
    comparisons.push(...compareRuns(members, evals, pq, { seed: 42, permutations: cfg.evaluate.permutations, bootstrap: cfg.evaluate.bootstrap }));
  }
  const variants: Record<string, unknown> = {};
  names.forEach((n, i) => {
    const e = report.evals[i];
    variants[n] = {
      summary: Object.fromEntries(report.summaryMetrics.map((m) => [m, e.summary.get(m) ?? null])),
      per_query: Object.fromEntries(pq.map((m) => [m, Object.fromEntries(e.queries.map((q, k) => [q, nullIfNaN((e.perQuery.get(m) as Float64Array)[k])]))])),
    };
  });
  reporter.info(`evaluated ${names.length} variants on ${test.length} test queries`);
  return { test_queries: test.length, metrics: parseMetricList(PIPELINE_METRICS).map((m) => m.name), variants, comparisons: comparisons.map((c) => ({ ...c, ci95: c.ci95.map(nullIfNaN) })), rerank, runs_dir: dir };
}

function nullIfNaN(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** 100 (query, candidate) pairs of the test split: whole candidate lists in split order, cut at 100. */
async function latencyPairs(data: string): Promise<QueryDocument[]> {
  const ds = await openDataset(data);
  const { splits } = await judgedSplits(ds);
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const candidates = await ds.loadCandidates();
  const pairs: QueryDocument[] = [];
  for (const qid of [...splits.test, ...splits.dev, ...splits.train]) {
    for (const h of candidates.get(qid) ?? []) {
      const d = docs.get(h.docid);
      if (d && pairs.length < LATENCY_PAIRS) pairs.push({ query: queries.get(qid)!.text, title: d.title, summary: d.summary });
    }
    if (pairs.length >= LATENCY_PAIRS) break;
  }
  while (pairs.length < LATENCY_PAIRS && pairs.length > 0) pairs.push(pairs[pairs.length % Math.max(1, pairs.length)]);
  return pairs;
}

async function exportBest(dir: string, cfg: PipelineConfig, data: string, results: Results, reporter: Reporter): Promise<Record<string, unknown>> {
  assertSafeOutput(dir, { force: true, inputs: [data] });
  markRunFolder(dir, { job: 'pipeline export' });
  const students = STUDENT_VARIANTS.filter((v) => modelOf(results, VARIANTS[v] as PipelineStage)).map((v) => {
    const r = results[VARIANTS[v] as PipelineStage] as { modelDir: string; best: { ndcg_cut_10: number } | null };
    return { variant: v, modelDir: r.modelDir, dev: r.best?.ndcg_cut_10 ?? -Infinity };
  });
  const best = students.reduce((a, b) => (b.dev > a.dev ? b : a));
  const onnxDir = join(dir, 'onnx');
  reporter.info(`exporting the best student by dev nDCG@10 (${best.variant}, ${best.dev.toFixed(4)}) to ONNX: ${onnxDir}`);
  const exported = exportOnnx(best.modelDir, onnxDir);
  const pairs = await latencyPairs(data);
  const maxLength = STUDENT_TRAIN_DEFAULTS.maxLength;
  const rounds = cfg.latency.rounds;
  reporter.info(`timing ${LATENCY_PAIRS} candidates in one batch (${rounds - 1} rounds after a warm-up): teacher, student, ONNX student`);
  const teacherDir = modelOf(results, 'sft');
  const teacher = teacherDir ? timeTorchModel(teacherDir, pairs, { rounds, maxLength: RERANK_DEFAULTS.maxLength }) : null;
  const student = timeTorchModel(best.modelDir, pairs, { rounds, maxLength });
  const studentOnnx = await timeOnnxModel(onnxDir, pairs, { rounds, maxLength });
  reporter.info(`ms per 100 candidates: teacher ${teacher?.toFixed(1) ?? '-'}, student ${student.toFixed(1)}, ONNX student ${studentOnnx.toFixed(1)}`);
  return { student: best.variant, student_dev_ndcg_cut_10: best.dev, onnx_dir: onnxDir, onnx_bytes: exported.bytes, latency_ms_per_100: { teacher, student, student_onnx: studentOnnx }, rounds, pairs: LATENCY_PAIRS };
}

// Stage 7: distillation. The student (a BERT cross-encoder) learns the teacher's scores of the click-log queries'
// candidates (teacher score's scores.jsonl) with the paper's hybrid loss, α · MSE(s_S, s_T) + β · Margin-MSE, or
// either term alone. Each step takes `queriesPerStep` scored queries and `candidatesPerQuery` of their candidates.
// Teacher scores can be normalised first: `none`; `query-z` (per query: minus its mean, over its standard
// deviation); `affine` (one global affine map to mean 0 and standard deviation 1). Under a point-wise loss the
// student learns absolute scores, so this matters; Margin-MSE is invariant to a per-query shift.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, tensor } from '../engine/index.js';
import { bertPairInputs } from '../models/inputs.js';
import { loadTokenizer, type QueryDocument } from '../text/index.js';
import { hybridDistillLoss } from '../train/losses/hybrid.js';
import { lossSummary, resultConfig, train, trainConfig, type TrainConfig } from '../train/trainer.js';
import { DisrankerError, InputError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { DISTILL_DEFAULTS, NORMALIZATIONS, STUDENT_TRAIN_DEFAULTS } from './defaults.js';
import { beginRun, finishTrainingRun, rankerResult } from './run-folder.js';
import { mainFirst } from '../train/distributed.js';
import { rankingData } from './ranking-data.js';
import { devMetrics, loadStudent, MlmTask, mlmIdentity, saveStudent, type StudentTrainResult } from './student.js';

export type DistillLoss = 'pointwise' | 'margin' | 'hybrid';
export type Normalization = (typeof NORMALIZATIONS)[number];

export interface DistillOptions {
  data: string;
  /** the student folder to start from (student pretrain's output, or any BERT cross-encoder) */
  init: string;
  /** the teacher's scores.jsonl */
  scores: string;
  out: string;
  seed: number;
  steps?: number;
  lr?: number;
  loss?: DistillLoss;
  alpha?: number;
  beta?: number;
  normalize?: Normalization;
  queriesPerStep?: number;
  candidatesPerQuery?: number;
  maxLength?: number;
  /** weight of the MLM loss kept on each query's best-scored candidate as a second task (0: off) */
  mlmWeight?: number;
  /** that MLM's selection rate of the query's tokens */
  mlmQueryMaskRate?: number;
  evalEvery?: number;
  train?: Partial<TrainConfig>;
  force?: boolean;
  fresh?: boolean;
}

/** Reads scores.jsonl into qid → [(docid, score)], in file order. */
export function readTeacherScores(file: string): Map<string, { docid: string; score: number }[]> {
  const out = new Map<string, { docid: string; score: number }[]>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let r: { qid?: unknown; docid?: unknown; score?: unknown };
      try {
        r = JSON.parse(line);
      } catch (err) {
        throw new InputError(file, i + 1, undefined, `not JSON (${(err as Error).message})`);
      }
      if (typeof r.qid !== 'string') throw new InputError(file, i + 1, 'qid', 'missing or not a string');
      if (typeof r.docid !== 'string') throw new InputError(file, i + 1, 'docid', 'missing or not a string');
      if (typeof r.score !== 'number' || !Number.isFinite(r.score)) throw new InputError(file, i + 1, 'score', 'missing or not a finite number');
      if (!out.has(r.qid)) out.set(r.qid, []);
      out.get(r.qid)!.push({ docid: r.docid, score: r.score });
    });
  if (out.size === 0) throw new InputError(file, undefined, undefined, 'no scores');
  return out;
}

/** Normalises teacher scores in place of a copy. */
export function normalizeScores(scores: Map<string, { docid: string; score: number }[]>, how: Normalization): Map<string, { docid: string; score: number }[]> {
  const stats = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    return { m, sd: sd > 1e-6 ? sd : 1 };
  };
  if (how === 'none') return scores;
  if (how === 'affine') {
    const { m, sd } = stats([...scores.values()].flatMap((l) => l.map((x) => x.score)));
    return new Map([...scores].map(([q, l]) => [q, l.map((x) => ({ docid: x.docid, score: (x.score - m) / sd }))]));
  }
  return new Map(
    [...scores].map(([q, l]) => {
      const { m, sd } = stats(l.map((x) => x.score));
      return [q, l.map((x) => ({ docid: x.docid, score: (x.score - m) / sd }))];
    }),
  );
}

export async function distillStage(opts: DistillOptions, reporter: Reporter = silentReporter): Promise<StudentTrainResult> {
  const lossName = opts.loss ?? DISTILL_DEFAULTS.loss;
  const alpha = lossName === 'margin' ? 0 : (opts.alpha ?? DISTILL_DEFAULTS.alpha);
  const beta = lossName === 'pointwise' ? 0 : (opts.beta ?? DISTILL_DEFAULTS.beta);
  const normalize = opts.normalize ?? DISTILL_DEFAULTS.normalize;
  const Q = opts.queriesPerStep ?? DISTILL_DEFAULTS.queriesPerStep;
  const K = opts.candidatesPerQuery ?? DISTILL_DEFAULTS.candidatesPerQuery;
  const maxLength = opts.maxLength ?? STUDENT_TRAIN_DEFAULTS.maxLength;
  const mlmWeight = opts.mlmWeight ?? STUDENT_TRAIN_DEFAULTS.mlmWeight;
  const mlmQueryRate = opts.mlmQueryMaskRate ?? STUDENT_TRAIN_DEFAULTS.mlmQueryMaskRate;
  if (K < 2 && beta > 0) throw new DisrankerError('DR_ERR_USAGE', '--candidates-per-query must be at least 2 for Margin-MSE');
  const config = trainConfig({ steps: opts.steps ?? STUDENT_TRAIN_DEFAULTS.steps, seed: opts.seed, lr: opts.lr ?? STUDENT_TRAIN_DEFAULTS.lr, evalEvery: opts.evalEvery ?? STUDENT_TRAIN_DEFAULTS.evalEvery, ...opts.train });
  const hash = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  const identity = {
    init: { path: opts.init, config_sha256: hash(join(opts.init, 'config.json')) },
    scores: { path: opts.scores, sha256: hash(opts.scores) },
    data: opts.data,
    loss: lossName,
    alpha,
    beta,
    normalize,
    queries_per_step: Q,
    candidates_per_query: K,
    max_length: maxLength,
    ...mlmIdentity(mlmWeight, mlmQueryRate),
  };
  const runConfig = { train: resultConfig(config), ...identity };
  const { done } = await mainFirst(() => beginRun<StudentTrainResult>(opts.out, 'distill', runConfig, { force: opts.force, inputs: [opts.data, opts.init, opts.scores] }));
  if (done && existsSync(join(done.modelDir, 'config.json'))) return { ...done, cached: true };

  const { dev, devQrels, docs, queries } = await rankingData(opts.data);
  const teacher = normalizeScores(readTeacherScores(opts.scores), normalize);
  const lists = [...teacher].filter(([qid, l]) => queries.has(qid) && l.length >= Math.min(2, K) && l.every((x) => docs.has(x.docid)));
  if (lists.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.scores}: no scored query of ${opts.data} with known documents`);
  const item = (qid: string, docid: string): QueryDocument => ({ query: queries.get(qid)!.text, title: docs.get(docid)!.title, summary: docs.get(docid)!.summary });
  const tok = loadTokenizer(opts.init);
  manualSeed(opts.seed);
  const model = loadStudent(opts.init);
  const mlm = new MlmTask(model, opts.init, tok, mlmWeight, maxLength, mlmQueryRate);
  reporter.info(
    `distillation (${lossName}: α ${alpha}, β ${beta}; teacher scores normalised: ${normalize}` +
      `${mlmWeight > 0 ? `; plus the MLM loss on each query's best-scored candidate × ${mlmWeight}` : ''}) of ${lists.length} scored queries into ${opts.init}: ` +
      `${config.steps} steps of ${Q} queries × ${K} candidates`,
  );
  try {
    const result = await train(
      {
        model: mlm.module,
        batch: (step, m) => {
          const rng = new Random(opts.seed).fork(`distill-step-${step}-${m}`);
          const rows = Array.from({ length: Q }, () => {
            const [qid, l] = lists[rng.int(lists.length)];
            const picked = rng.sample(l, K);
            while (picked.length < K) picked.push(rng.pick(l)); // short lists repeat candidates
            return { items: picked.map((x) => item(qid, x.docid)), teacher: picked.map((x) => x.score) };
          });
          const best = (r: (typeof rows)[number]) => r.items[r.teacher.indexOf(Math.max(...r.teacher))];
          return { rows, masked: mlm.mask(rows.map(best), rng) };
        },
        loss: ({ rows, masked }) => {
          const inputs = bertPairInputs(tok, rows.flatMap((r) => r.items), { maxLength });
          const s = model.score(inputs).view(rows.length, K);
          const t = tensor(rows.map((r) => r.teacher));
          return { loss: mlm.add(hybridDistillLoss(s, t, { alpha, beta }), masked), examples: rows.length * K, tokens: inputs.attentionMask.sum().item() };
        },
        evaluate: () => devMetrics(model, tok, dev, devQrels, maxLength),
        metric: 'ndcg_cut_10',
      },
      { dir: opts.out, config, identity, reporter, fresh: opts.fresh, name: 'distill' },
    );
    const loss = lossSummary(result.losses);
    const modelDir = saveStudent(model, mlm.module, opts.init, join(opts.out, 'model'), result.bestWeights, {
      task: `distillation of the teacher's scores into a BERT cross-encoder (${lossName} loss)`,
      init: opts.init,
      teacher_scores: opts.scores,
      steps: config.steps,
      losses: { kind: `${alpha}·MSE + ${beta}·Margin-MSE`, first10_mean: loss.first, last10_mean: loss.last },
      hyperparameters: { ...config, loss: lossName, alpha, beta, normalize, queries_per_step: Q, candidates_per_query: K, max_length: maxLength, mlm_weight: mlmWeight, mlm_query_mask_rate: mlmQueryRate },
      dev: { best: result.best, evals: result.evals },
    });
    return finishTrainingRun(opts.out, 'distill', runConfig, rankerResult(modelDir, result));
  } finally {
    model.dispose();
    mlm.dispose();
  }
}

// Stage 6: the BERT student (a BertForSequenceClassification cross-encoder, 1 label).
//   - studentPretrainStage: masked-LM pre-training of a student made here, on `[CLS] query [SEP] title summary
//     [SEP]` pairs of the click-log queries and their clicked documents (or their candidates), with a WordPiece
//     vocabulary trained on the data set and BERT's 15% / 80-10-10 masking, the query's tokens selected more often
//     (50%) so that recovering them needs the document. It exists because a cross-encoder trained from random
//     weights did not learn query-document matching within CPU minutes (in our engine or in PyTorch).
//   - studentLabelsStage: the paper's baseline, the student trained on the human labels of the train split only,
//     with a rank loss over groups (one positive, hard negatives), keep-best on dev nDCG@10.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUT, openDataset } from '../data/dataset.js';
import { loadSafetensors, manualSeed, Module, saveSafetensors, tensor, tidy, type Tensor } from '../engine/index.js';
import { evaluateRun } from '../eval/evaluate.js';
import { parseMetricList } from '../eval/names.js';
import { BertForSequenceClassification, BertLMPredictionHead, bertConfig } from '../models/bert.js';
import { loadHfModel, saveHfModel } from '../models/hf.js';
import { batchTensors, bertPairInputs } from '../models/inputs.js';
import { encodePairs, loadTokenizer, maskTokens, MLM_DEFAULTS, saveTrainedTokenizer, trainWordPiece, type EncodedBatch, type QueryDocument } from '../text/index.js';
import { RANK_LOSSES, type RankLossName } from '../train/losses/index.js';
import { CHECKPOINT_DIR, lossSummary, resultConfig, train, trainConfig, type TrainConfig } from '../train/trainer.js';
import { DisrankerError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { cptRecords } from '../data/sets/training-sets.js';
import { CPT_DEFAULTS, STUDENT_PRETRAIN_DEFAULTS, STUDENT_SIZES, STUDENT_TRAIN_DEFAULTS, type PretrainPairs, type StudentSize } from './defaults.js';
import { beginRun, finishRun, finishTrainingRun, rankerResult, type RankerTrainResult } from './run-folder.js';
import { isMainRank, mainFirst } from '../train/distributed.js';
import { rankingData, sampleGroup } from './ranking-data.js';
import { rerankQueries } from './sft.js';

export const MLM_HEAD_FILE = 'mlm_head.safetensors';

export interface StudentPretrainOptions {
  data: string;
  out: string;
  seed: number;
  size?: StudentSize;
  vocabSize?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  maxLength?: number;
  /** the pairs masked: each click-log query with its candidates, or with the documents clicked (dwell ≥ CPT's) */
  pairs?: PretrainPairs;
  /** selection rate of the query's tokens (the document's stay at 15%) */
  queryMaskRate?: number;
  train?: Partial<TrainConfig>;
  force?: boolean;
  fresh?: boolean;
}

export interface StudentPretrainResult {
  modelDir: string;
  parameters: number;
  pairs: number;
  steps: number;
  resumedFrom: number;
  loss: { first10: number; last10: number };
  metricsFile: string;
  seconds: number;
  cached?: boolean;
}

/**
 * The MLM corpus settings that differ from those before `pairs` and `queryMaskRate` existed (each click-log query's
 * candidate list, BERT's 15%): only these enter the run's settings and the pipeline's stage key, so the runs and
 * stages recorded then keep theirs.
 */
export function pretrainCorpusChanges(pairs: PretrainPairs, queryMaskRate: number): { pairs?: PretrainPairs; queryMaskRate?: number } {
  return { ...(pairs !== 'candidates' ? { pairs } : {}), ...(queryMaskRate !== MLM_DEFAULTS.rate ? { queryMaskRate } : {}) };
}

export async function studentPretrainStage(opts: StudentPretrainOptions, reporter: Reporter = silentReporter): Promise<StudentPretrainResult> {
  const size = opts.size ?? STUDENT_PRETRAIN_DEFAULTS.size;
  const vocabSize = opts.vocabSize ?? STUDENT_PRETRAIN_DEFAULTS.vocabSize;
  const batchSize = opts.batchSize ?? STUDENT_PRETRAIN_DEFAULTS.batchSize;
  const maxLength = opts.maxLength ?? STUDENT_PRETRAIN_DEFAULTS.maxLength;
  const config = trainConfig({ steps: opts.steps ?? STUDENT_PRETRAIN_DEFAULTS.steps, seed: opts.seed, lr: opts.lr ?? STUDENT_PRETRAIN_DEFAULTS.lr, ...opts.train });
  const pairsFrom = opts.pairs ?? STUDENT_PRETRAIN_DEFAULTS.pairs;
  const queryRate = opts.queryMaskRate ?? STUDENT_PRETRAIN_DEFAULTS.queryMaskRate;
  // an undefined field is left out of the saved settings (JSON), as before the two options existed
  const changed = pretrainCorpusChanges(pairsFrom, queryRate);
  const runConfig = { train: resultConfig(config), data: opts.data, size, vocab_size: vocabSize, batch_size: batchSize, max_length: maxLength, pairs: changed.pairs, query_mask_rate: changed.queryMaskRate };
  const { done } = await mainFirst(() => beginRun<StudentPretrainResult>(opts.out, 'student-pretrain', runConfig, { force: opts.force, inputs: [opts.data] }));
  const modelDir = join(opts.out, 'model');
  if (done && existsSync(join(done.modelDir, 'config.json'))) return { ...done, cached: true };

  // pairs: the click-log queries (never the judged ones) with their candidates or their clicks; the vocabulary from
  // all text
  const ds = await openDataset(opts.data);
  const judged = await ds.qrels();
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const pairs: QueryDocument[] = [];
  if (pairsFrom === 'clicks') {
    if (!ds.has(LAYOUT.clicks)) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: no click log (${LAYOUT.clicks}) to take click pairs from: use --pairs candidates`);
    const filter = { minDwell: CPT_DEFAULTS.minDwell, dedup: false, excludeQids: new Set(judged.keys()) };
    for await (const r of cptRecords(ds, filter, { impressions: 0, clicks: 0, kept: 0 })) pairs.push({ query: r.query, title: r.title, summary: r.summary });
  } else {
    for (const [qid, hits] of await ds.loadCandidates()) {
      if (judged.has(qid) || !queries.has(qid)) continue;
      for (const h of hits) {
        const d = docs.get(h.docid);
        if (d) pairs.push({ query: queries.get(qid)!.text, title: d.title, summary: d.summary });
      }
    }
  }
  if (pairs.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: no ${pairsFrom === 'clicks' ? 'click' : 'candidate list'} of an unjudged query: nothing to pre-train on`);
  const tokDir = join(opts.out, 'tokenizer');
  await mainFirst(() => {
    if (isMainRank() && !existsSync(join(tokDir, 'tokenizer.json'))) {
      reporter.info(`training a WordPiece vocabulary (${vocabSize.toLocaleString('en')} tokens)`);
      const corpus = function* () {
        for (const d of docs.values()) yield `${d.title} ${d.summary}`;
        for (const q of queries.values()) yield q.text;
      };
      saveTrainedTokenizer(tokDir, trainWordPiece(corpus(), { vocabSize }));
    }
  });
  const tok = loadTokenizer(tokDir);
  manualSeed(opts.seed);
  const bc = bertConfig({ ...STUDENT_SIZES[size], vocab_size: tok.vocabSize, max_position_embeddings: Math.max(512, maxLength), pad_token_id: tok.special.pad?.id ?? 0 });
  const model = new BertForSequenceClassification(bc);
  const head = new BertLMPredictionHead(bc);
  const pairModule = new MlmPair(model, head);
  const specialIds = tok.specialTokenIds();
  const maskId = tok.special.mask?.id;
  if (maskId === undefined) throw new DisrankerError('DR_ERR_INPUT', `${tokDir}: the vocabulary has no [MASK] token`);
  reporter.info(`MLM pre-training of a BERT student (${size}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters) on ${pairs.length.toLocaleString('en')} query-${pairsFrom === 'clicks' ? 'click' : 'candidate'} pairs: ${config.steps} steps of ${batchSize}${queryRate !== MLM_DEFAULTS.rate ? `, the query's tokens masked at ${queryRate}` : ''}`);
  try {
    const result = await train(
      {
        model: pairModule,
        batch: (step, m) => {
          const rng = new Random(opts.seed).fork(`mlm-step-${step}-${m}`);
          const rows = Array.from({ length: batchSize / config.gradAccum }, () => pairs[rng.int(pairs.length)]);
          const enc = encodePairs(tok, rows, { maxLength, padding: 'longest' });
          const masked = maskTokens(enc, rng, { maskId, vocabSize: tok.vocabSize, specialIds, queryRate });
          return { enc: { ...enc, inputIds: masked.inputIds, labels: masked.labels } };
        },
        loss: ({ enc }) => {
          const t = batchTensors(enc);
          const { hidden } = model.bert.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask, tokenTypeIds: t.tokenTypeIds });
          return { loss: head.loss(hidden, model.bert.embeddings.word_embeddings.weight, t.labels!), examples: enc.shape[0], tokens: enc.shape[0] * enc.shape[1] };
        },
      },
      { dir: opts.out, config, identity: { size, vocab_size: tok.vocabSize, pairs: pairs.length, data: opts.data, pairs_from: changed.pairs, query_mask_rate: changed.queryMaskRate }, reporter, fresh: opts.fresh, name: 'MLM' },
    );
    const loss = lossSummary(result.losses);
    if (isMainRank()) saveHfModel(modelDir, model, {
      card: {
        task: `masked-LM pre-training of a BERT cross-encoder student (15%, 80/10/10; the query's tokens at ${queryRate}) on query-${pairsFrom === 'clicks' ? 'clicked document' : 'candidate'} pairs; the classifier is untrained`,
        data: { dataset: opts.data, pairs_from: pairsFrom, pairs: pairs.length },
        steps: config.steps,
        losses: { kind: 'masked-LM cross-entropy', first10_mean: loss.first, last10_mean: loss.last },
        hyperparameters: { ...config, size, batch_size: batchSize, max_length: maxLength, vocab_size: tok.vocabSize, query_mask_rate: queryRate },
      },
    });
    if (isMainRank()) {
      saveSafetensors(join(modelDir, MLM_HEAD_FILE), prefixed(head, 'cls.predictions.'), { format: 'pt' });
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) if (existsSync(join(tokDir, f))) copyFileSync(join(tokDir, f), join(modelDir, f));
    }
    const out: StudentPretrainResult = {
      modelDir,
      parameters: model.numParameters(),
      pairs: pairs.length,
      steps: result.steps,
      resumedFrom: result.resumedFrom,
      loss: { first10: loss.first, last10: loss.last },
      metricsFile: result.metricsFile,
      seconds: result.seconds,
    };
    finishRun(opts.out, 'student-pretrain', runConfig, out);
    if (isMainRank()) rmSync(join(opts.out, CHECKPOINT_DIR), { recursive: true, force: true });
    return out;
  } finally {
    model.dispose();
    head.dispose();
  }
}

function prefixed(m: BertLMPredictionHead, prefix: string): Map<string, Tensor> {
  return new Map([...m.stateDict()].map(([k, v]) => [prefix + k, v]));
}

/** The encoder and the MLM head as one module, so the trainer sees (and checkpoints) both. */
class MlmPair extends Module {
  constructor(encoder: BertForSequenceClassification, head: BertLMPredictionHead) {
    super();
    this.child('student', encoder);
    this.child('cls.predictions', head);
  }
}

/** The MLM weight in a run's identity: only when on, so runs made before the option keep theirs. */
export function mlmIdentity(weight: number, queryRate: number): { mlm_weight?: number; mlm_query_mask_rate?: number } {
  if (weight <= 0) return {};
  return queryRate === MLM_DEFAULTS.rate ? { mlm_weight: weight } : { mlm_weight: weight, mlm_query_mask_rate: queryRate };
}

/**
 * The masked-LM loss kept as a second task while the student learns to rank (`mlmWeight`), as the teacher keeps its
 * CPT loss during SFT (`--lm-weight`): each step adds `weight` × the MLM loss on one masked pair per group (the
 * group's positive, or the teacher's best-scored candidate). The MLM head comes from the init folder
 * (`mlm_head.safetensors`, written by student pretrain), or is made new when the folder has none. With weight 0 the
 * trainer sees the student alone.
 */
export class MlmTask {
  /** what the trainer optimises and checkpoints: the student, or the student and the MLM head */
  readonly module: Module;
  private head: BertLMPredictionHead | null = null;
  private maskId = -1;
  private specialIds: ReadonlySet<number> = new Set();

  constructor(
    private model: BertForSequenceClassification,
    init: string,
    private tok: ReturnType<typeof loadTokenizer>,
    readonly weight: number,
    private maxLength: number,
    /** selection rate of the query's tokens (the document's: 15%), as student pretrain's --query-mask-rate */
    private queryRate: number = MLM_DEFAULTS.rate,
  ) {
    this.module = model;
    if (weight <= 0) return;
    const maskId = tok.special.mask?.id;
    if (maskId === undefined) throw new DisrankerError('DR_ERR_INPUT', `${init}: --mlm-weight needs a vocabulary with a [MASK] token`);
    this.maskId = maskId;
    this.specialIds = tok.specialTokenIds();
    this.head = new BertLMPredictionHead(model.config);
    const file = join(init, MLM_HEAD_FILE);
    if (existsSync(file)) {
      tidy(() => this.head!.loadStateDict(new Map([...loadSafetensors(file)].map(([k, v]) => [k.replace(/^cls\.predictions\./, ''), v])), { source: file }));
    }
    this.module = new MlmPair(model, this.head);
  }

  /** Encodes and masks the pairs (in the trainer's batch function, with its step's rng); null when off. */
  mask(items: QueryDocument[], rng: Random): EncodedBatch | null {
    if (!this.head) return null;
    const enc = encodePairs(this.tok, items, { maxLength: this.maxLength, padding: 'longest' });
    const masked = maskTokens(enc, rng, { maskId: this.maskId, vocabSize: this.tok.vocabSize, specialIds: this.specialIds, queryRate: this.queryRate });
    return { ...enc, inputIds: masked.inputIds, labels: masked.labels };
  }

  /** `loss + weight · MLM(masked)`; the ranking loss alone when off. */
  add(loss: Tensor, masked: EncodedBatch | null): Tensor {
    if (!this.head || !masked) return loss;
    const t = batchTensors(masked);
    const { hidden } = this.model.bert.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask, tokenTypeIds: t.tokenTypeIds });
    return loss.add(this.head.loss(hidden, this.model.bert.embeddings.word_embeddings.weight, t.labels!).mul(this.weight));
  }

  dispose(): void {
    this.head?.dispose();
  }
}

// ---- the label-only student (the paper's baseline) --------------------------------------------------------

export interface StudentLabelsOptions {
  data: string;
  /** a BERT cross-encoder folder to start from (e.g. student pretrain's output) */
  init: string;
  out: string;
  seed: number;
  steps?: number;
  lr?: number;
  loss?: RankLossName;
  groupsPerStep?: number;
  groupSize?: number;
  /** negatives come from the top n lower-labelled candidates */
  hardDepth?: number;
  maxLength?: number;
  /** weight of the MLM loss kept on each group's positive as a second task (0: off) */
  mlmWeight?: number;
  /** that MLM's selection rate of the query's tokens */
  mlmQueryMaskRate?: number;
  evalEvery?: number;
  train?: Partial<TrainConfig>;
  force?: boolean;
  fresh?: boolean;
}

/** What the label-only student and the distilled students return. */
export type StudentTrainResult = RankerTrainResult;

/** Loads a BERT cross-encoder folder (a classifier head is created when the folder has none). */
export function loadStudent(dir: string): BertForSequenceClassification {
  const { model } = loadHfModel(dir, { allowNewHead: true });
  if (!(model instanceof BertForSequenceClassification)) throw new DisrankerError('DR_ERR_MODEL', `${dir}: the student must be a BERT cross-encoder (BertForSequenceClassification)`);
  return model;
}

/** nDCG@10 and PNR of a student on the dev lists. */
export function devMetrics(model: BertForSequenceClassification, tok: ReturnType<typeof loadTokenizer>, dev: Map<string, { docid: string; item: QueryDocument }[]>, devQrels: Map<string, Map<string, number>>, maxLength: number) {
  const run = rerankQueries(model, tok, [...dev.keys()], dev, { maxLength });
  const e = evaluateRun(devQrels, run, parseMetricList('ndcg_cut_10,pnr'));
  return { ndcg_cut_10: e.summary.get('ndcg_cut_10') as number, pnr: e.summary.get('pnr') as number };
}

/**
 * Saves the best (or last) student as a HF folder with its tokenizer; returns the folder. `trained` is the module the
 * trainer checkpointed (the student, or MlmTask.module with its MLM head): the best weights load into it, and so into
 * the student it holds.
 */
export function saveStudent(model: BertForSequenceClassification, trained: Module, from: string, dir: string, bestWeights: string | null, card: Record<string, unknown>): string {
  if (!isMainRank()) return dir; // data-parallel: rank 0 writes the model
  if (bestWeights) tidy(() => trained.loadStateDict(loadSafetensors(bestWeights), { source: bestWeights }));
  saveHfModel(dir, model, { card });
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(dir, f));
  return dir;
}

export async function studentLabelsStage(opts: StudentLabelsOptions, reporter: Reporter = silentReporter): Promise<StudentTrainResult> {
  const lossName = opts.loss ?? STUDENT_TRAIN_DEFAULTS.loss;
  const Q = opts.groupsPerStep ?? STUDENT_TRAIN_DEFAULTS.groupsPerStep;
  const G = opts.groupSize ?? STUDENT_TRAIN_DEFAULTS.groupSize;
  const hardDepth = opts.hardDepth ?? STUDENT_TRAIN_DEFAULTS.hardDepth;
  const maxLength = opts.maxLength ?? STUDENT_TRAIN_DEFAULTS.maxLength;
  const mlmWeight = opts.mlmWeight ?? STUDENT_TRAIN_DEFAULTS.mlmWeight;
  const mlmQueryRate = opts.mlmQueryMaskRate ?? STUDENT_TRAIN_DEFAULTS.mlmQueryMaskRate;
  const config = trainConfig({ steps: opts.steps ?? STUDENT_TRAIN_DEFAULTS.steps, seed: opts.seed, lr: opts.lr ?? STUDENT_TRAIN_DEFAULTS.lr, evalEvery: opts.evalEvery ?? STUDENT_TRAIN_DEFAULTS.evalEvery, ...opts.train });
  const initHash = createHash('sha256').update(readFileSync(join(opts.init, 'config.json'))).digest('hex');
  const identity = { init: { path: opts.init, config_sha256: initHash }, data: opts.data, loss: lossName, groups_per_step: Q, group_size: G, hard_depth: hardDepth, max_length: maxLength, ...mlmIdentity(mlmWeight, mlmQueryRate) };
  const runConfig = { train: resultConfig(config), ...identity };
  const { done } = await mainFirst(() => beginRun<StudentTrainResult>(opts.out, 'student-labels', runConfig, { force: opts.force, inputs: [opts.data, opts.init] }));
  if (done && existsSync(join(done.modelDir, 'config.json'))) return { ...done, cached: true };
  const { trainQ, dev, devQrels, item } = await rankingData(opts.data);
  if (trainQ.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: no train-split query has a positive and a negative candidate`);
  const tok = loadTokenizer(opts.init);
  manualSeed(opts.seed);
  const model = loadStudent(opts.init);
  const mlm = new MlmTask(model, opts.init, tok, mlmWeight, maxLength, mlmQueryRate);
  reporter.info(
    `the label-only student (${lossName} loss${mlmWeight > 0 ? `, plus the MLM loss on the positives × ${mlmWeight}` : ''}): ` +
      `${trainQ.length} train queries, ${dev.size} dev; ${config.steps} steps of ${Q} groups × ${G}`,
  );
  try {
    const result = await train(
      {
        model: mlm.module,
        batch: (step, m) => {
          const rng = new Random(opts.seed).fork(`labels-step-${step}-${m}`);
          const groups = Array.from({ length: Q }, () => sampleGroup(trainQ, item, rng, G, hardDepth));
          return { groups, masked: mlm.mask(groups.map((g) => g.items[0]), rng) }; // items[0]: the group's positive
        },
        loss: ({ groups, masked }) => {
          const inputs = bertPairInputs(tok, groups.flatMap((g) => g.items), { maxLength });
          const s = model.score(inputs).view(groups.length, G);
          const y = tensor(groups.map((g) => g.labels));
          return { loss: mlm.add(RANK_LOSSES[lossName](s, y), masked), examples: groups.length * G, tokens: inputs.attentionMask.sum().item() };
        },
        evaluate: () => devMetrics(model, tok, dev, devQrels, maxLength),
        metric: 'ndcg_cut_10',
      },
      { dir: opts.out, config, identity, reporter, fresh: opts.fresh, name: 'student' },
    );
    const loss = lossSummary(result.losses);
    const modelDir = saveStudent(model, mlm.module, opts.init, join(opts.out, 'model'), result.bestWeights, {
      task: 'the label-only student: BERT cross-encoder trained on the human labels of the train split with a rank loss',
      init: opts.init,
      steps: config.steps,
      losses: { kind: lossName, first10_mean: loss.first, last10_mean: loss.last },
      hyperparameters: { ...config, loss: lossName, groups_per_step: Q, group_size: G, hard_depth: hardDepth, max_length: maxLength, mlm_weight: mlmWeight, mlm_query_mask_rate: mlmQueryRate },
      dev: { best: result.best, evals: result.evals },
    });
    return finishTrainingRun(opts.out, 'student-labels', runConfig, rankerResult(modelDir, result));
  } finally {
    model.dispose();
    mlm.dispose();
  }
}

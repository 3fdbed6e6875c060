// Stage 4: ranking fine-tuning (SFT) of the teacher decoder. The input is `query: {q} document: {title} {summary}`
// with eos appended; the score is the `score` head on the hidden state of the last position whose attention mask
// is 1 (the eos). Each step takes `groupsPerStep` judged train queries; a group is one positive (label ≥ the
// relevant level) and `groupSize − 1` lower-labelled hard negatives from the query's candidate list (groupSize 0:
// the whole list). The rank loss (src/train/losses) compares the scores within a group. The dev split's nDCG@10
// is measured every `evalEvery` steps and the best weights are kept. The result is a Hugging Face
// LlamaForSequenceClassification / Qwen2ForSequenceClassification folder (+ the LoRA adapter when LoRA is used).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Run } from '../data/trec.js';
import { loadSafetensors, manualSeed, tensor, tidy } from '../engine/index.js';
import { evaluateRun } from '../eval/evaluate.js';
import { parseMetricList } from '../eval/names.js';
import type { BertForSequenceClassification } from '../models/bert.js';
import { loadHfModel, saveHfModel, saveLoraAdapter } from '../models/hf.js';
import { decoderConfigFor, decoderCptInputs, decoderRankingInputs } from '../models/inputs.js';
import { LlamaForCausalLM, type LlamaConfig } from '../models/llama.js';
import { addLora, type LoraAdapter } from '../models/lora.js';
import { scorePairs } from '../models/score.js';
import { loadTokenizer, type QueryDocument } from '../text/index.js';
import { RANK_LOSSES, type RankLossName } from '../train/losses/index.js';
import { lossSummary, resultConfig, train, trainConfig, type TrainConfig } from '../train/trainer.js';
import { DisrankerError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { cptCorpus, cptCorpusOptions } from './cpt.js';
import { SFT_DEFAULTS } from './defaults.js';
import { rankingData, sampleGroup, type RankingGroup } from './ranking-data.js';
import { beginRun, finishTrainingRun, rankerResult, type RankerTrainResult } from './run-folder.js';
import { isMainRank, mainFirst } from '../train/distributed.js';

export interface SftStageOptions {
  data: string;
  /** a decoder folder to start from (a CPT output, any LLaMA/Qwen2 folder); absent: from scratch (needs `tokenizer`) */
  init?: string;
  /** tokenizer folder (default: the init folder) */
  tokenizer?: string;
  /** the decoder's shape when training from scratch */
  model?: Partial<LlamaConfig>;
  out: string;
  /** the model folder written at the end (default: OUT/model) */
  modelOut?: string;
  seed: number;
  steps?: number;
  lr?: number;
  loss?: RankLossName;
  margin?: number;
  groupsPerStep?: number;
  /** documents per group (1 positive + negatives); 0: the whole candidate list */
  groupSize?: number;
  hardDepth?: number;
  maxLength?: number;
  /** `judged` (qrels.txt) or, on a synthetic world, `hidden` (hidden-qrels.txt, standing in for more annotation) */
  labels?: 'judged' | 'hidden';
  /** LoRA rank (0: full fine-tuning) */
  loraR?: number;
  /**
   * Weight of a second task, the CPT loss (next-token loss on the positives' title + summary given the query), added
   * to the rank loss so fine-tuning keeps what CPT learnt (0: off). From scratch (the SFT-only ablation) the same
   * task trains the tied LM head with the rest, so both arms run one recipe.
   */
  lmWeight?: number;
  /**
   * Weight of CPT's own task replayed during SFT: each step adds the next-token loss on `groupsPerStep` clicked
   * (query, title + summary) pairs of the click log, drawn as CPT draws them (0: off). It uses the clicks, so it
   * belongs to the CPT arm; the SFT-only ablation keeps it at 0.
   */
  clickReplay?: number;
  evalEvery?: number;
  train?: Partial<TrainConfig>;
  force?: boolean;
  fresh?: boolean;
}

export interface SftStageResult extends RankerTrainResult {
  adapterDir: string | null;
  trainQueries: number;
  devQueries: number;
}

/** nDCG@10 and PNR of a model reranking the candidates of `qids`. */
export function rerankQueries(
  model: LlamaForCausalLM | BertForSequenceClassification,
  tok: Parameters<typeof scorePairs>[1],
  qids: string[],
  lists: Map<string, { docid: string; item: QueryDocument }[]>,
  opts: { maxLength: number; batchSize?: number },
): Run {
  const flat = qids.flatMap((q) => (lists.get(q) ?? []).map((c) => ({ qid: q, ...c })));
  const { scores } = scorePairs(model, tok, flat.map((f) => f.item), { maxLength: opts.maxLength, batchSize: opts.batchSize });
  const run: Run = new Map();
  flat.forEach((f, i) => {
    if (!run.has(f.qid)) run.set(f.qid, new Map());
    run.get(f.qid)!.set(f.docid, scores[i]);
  });
  return run;
}

export async function sftStage(opts: SftStageOptions, reporter: Reporter = silentReporter): Promise<SftStageResult> {
  const steps = opts.steps ?? SFT_DEFAULTS.steps;
  const lossName = opts.loss ?? SFT_DEFAULTS.loss;
  const margin = opts.margin ?? SFT_DEFAULTS.margin;
  const Q = opts.groupsPerStep ?? SFT_DEFAULTS.groupsPerStep;
  const G = opts.groupSize ?? SFT_DEFAULTS.groupSize;
  const hardDepth = opts.hardDepth ?? SFT_DEFAULTS.hardDepth;
  const maxLength = opts.maxLength ?? SFT_DEFAULTS.maxLength;
  const labelsFrom = opts.labels ?? SFT_DEFAULTS.labels;
  const loraR = opts.loraR ?? SFT_DEFAULTS.loraR;
  const lmWeight = opts.lmWeight ?? SFT_DEFAULTS.lmWeight;
  const clickReplay = opts.clickReplay ?? SFT_DEFAULTS.clickReplay;
  if (!(lossName in RANK_LOSSES)) throw new DisrankerError('DR_ERR_USAGE', `--loss: expected one of ${Object.keys(RANK_LOSSES).join(', ')}, got "${lossName}"`);
  const config = trainConfig({ steps, seed: opts.seed, lr: opts.lr ?? SFT_DEFAULTS.lr, evalEvery: opts.evalEvery ?? SFT_DEFAULTS.evalEvery, ...opts.train });
  const modelDir = opts.modelOut ?? join(opts.out, 'model');
  const tokDir = opts.tokenizer ?? opts.init;
  if (!tokDir) throw new DisrankerError('DR_ERR_USAGE', 'ranking SFT needs --init (a decoder folder) or --tokenizer (to train from scratch)');

  // data: train groups and dev lists
  const { splits, source, trainQ: train_, dev: devLists, devQrels, item } = await rankingData(opts.data, labelsFrom);
  if (train_.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: no train-split query has a positive and a negative candidate: nothing to fine-tune on`);

  const fingerprint = createHash('sha256')
    .update(JSON.stringify(train_.map((q) => [q.qid, q.scored.map((s) => [s.docid, s.label])])))
    .update(JSON.stringify(splits.dev))
    .digest('hex');
  const tok = loadTokenizer(tokDir);
  const initHash = opts.init ? createHash('sha256').update(readFileSync(join(opts.init, 'config.json'))).digest('hex') : null;
  const identity = {
    init: opts.init ? { path: opts.init, config_sha256: initHash } : { scratch: opts.model ?? {} },
    tokenizer: { path: tokDir, sha256: createHash('sha256').update(readFileSync(join(tokDir, 'tokenizer.json'))).digest('hex') },
    data: { path: opts.data, labels: labelsFrom, splits: source, fingerprint, train_queries: train_.length, dev_queries: devLists.size },
    sft: { loss: lossName, margin, groups_per_step: Q, group_size: G, hard_depth: hardDepth, max_length: maxLength, lora_r: loraR, lm_weight: lmWeight, ...(clickReplay > 0 ? { click_replay: clickReplay } : {}) },
  };
  const runConfig = { train: resultConfig(config), ...identity };
  const { done } = await mainFirst(() => beginRun<SftStageResult>(opts.out, 'sft', runConfig, { force: opts.force, inputs: [opts.data, tokDir, ...(opts.init ? [opts.init] : [])] }));
  if (done && existsSync(join(done.modelDir, 'config.json'))) {
    reporter.info(`ranking SFT already done with these settings: ${done.modelDir}`);
    return { ...done, cached: true };
  }

  // CPT's task replayed on the click log (the same corpus and draw as CPT's)
  const replay = clickReplay > 0 ? await cptCorpus(opts.data, cptCorpusOptions({})) : null;
  if (replay && replay.records.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: --click-replay needs a click log, and it has no click to replay`);

  // the model: the init decoder with a fresh score head, or a decoder from scratch
  manualSeed(opts.seed);
  let model: LlamaForCausalLM;
  if (opts.init) {
    const loaded = loadHfModel(opts.init, { heads: { lm: lmWeight > 0 || clickReplay > 0, score: true } });
    if (!(loaded.model instanceof LlamaForCausalLM)) throw new DisrankerError('DR_ERR_MODEL', `${opts.init}: ranking SFT needs a decoder (LLaMA/Qwen2), this is ${loaded.architecture}`);
    model = loaded.model;
    if ((lmWeight > 0 || clickReplay > 0) && model.lm_head) throw new DisrankerError('DR_ERR_USAGE', `${opts.init}: --lm-weight and --click-replay support decoders with tied embeddings only (this one has its own lm_head)`);
  } else {
    model = new LlamaForCausalLM(
      decoderConfigFor(tok, { ...SFT_DEFAULTS.scratchModel, max_position_embeddings: maxLength, ...opts.model }),
      // tied embeddings: the LM head of --lm-weight is the embedding matrix, trained from scratch with the rest
      { lm: lmWeight > 0 || clickReplay > 0, score: true },
    );
  }
  model.addScoreHead();
  let adapter: LoraAdapter | null = null;
  if (loraR > 0) {
    adapter = addLora(model, { r: loraR, lora_alpha: loraR * 2, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], modules_to_save: ['score'], task_type: 'SEQ_CLS' });
    adapter.freezeBase();
  }
  reporter.info(
    `ranking SFT (${lossName} loss${lossName === 'hinge' ? `, margin ${margin}` : ''}) of ${opts.init ?? 'a decoder from scratch'}` +
      `${loraR > 0 ? ` with LoRA r=${loraR}` : ', full fine-tuning'}: ${train_.length} train queries (${labelsFrom} labels), ${devLists.size} dev; ` +
      `${steps} steps of ${Q} groups × ${G || 'all'} documents${G ? ` (negatives from the top ${hardDepth})` : ''}` +
      `${lmWeight > 0 ? `, plus the CPT loss on the positives × ${lmWeight}` : ''}` +
      `${replay ? `, plus the CPT loss on ${Q} replayed clicks (of ${replay.records.length.toLocaleString('en')}) × ${clickReplay}` : ''}`,
  );

  const group = (rng: Random): RankingGroup => sampleGroup(train_, item, rng, G, hardDepth);
  const evalMetrics = parseMetricList('ndcg_cut_10,pnr');
  try {
    const result = await train(
      {
        model,
        batch: (step, m) => {
          const rng = new Random(opts.seed).fork(`sft-step-${step}-${m}`);
          const groups = Array.from({ length: Q }, () => group(rng));
          const clicks = replay ? Array.from({ length: Q }, () => replay.draw(rng)) : [];
          return { groups, clicks };
        },
        loss: ({ groups, clicks }) => {
          // G = 0: lists differ in length; pad every row to the longest with label −1 and score masked out
          const width = Math.max(...groups.map((g) => g.items.length));
          const items = groups.flatMap((g) => [...g.items, ...Array.from({ length: width - g.items.length }, () => g.items[0])]);
          const inputs = decoderRankingInputs(tok, items, { maxLength });
          const y = tensor(groups.map((g) => [...g.labels, ...Array.from({ length: width - g.items.length }, () => -1)]));
          // padding (label −1) scores −1e4: no softmax mass, no pair
          const s = model.rank(inputs).view(groups.length, width).add(y.lt(0).float().mul(-1e4));
          let loss = lossName === 'listwise' ? RANK_LOSSES.listwise(s, y.clamp(0)) : RANK_LOSSES[lossName](s, y, margin);
          if (lmWeight > 0) {
            // the second task: CPT's next-token loss on each group's best-labelled document given the query
            const { inputs: cpt, labels } = decoderCptInputs(tok, groups.map((g) => g.items[g.labels.indexOf(Math.max(...g.labels))]), { maxLength });
            loss = loss.add(model.lmLoss(cpt, labels).mul(lmWeight));
          }
          if (clicks.length > 0) {
            // CPT's task replayed: the next-token loss on clicked pairs of the click log
            const { inputs: cpt, labels } = decoderCptInputs(tok, clicks, { maxLength });
            loss = loss.add(model.lmLoss(cpt, labels).mul(clickReplay));
          }
          return { loss, examples: items.length, tokens: inputs.attentionMask!.sum().item() };
        },
        evaluate: () => {
          const run = rerankQueries(model, tok, [...devLists.keys()], devLists, { maxLength });
          const e = evaluateRun(devQrels, run, evalMetrics);
          return { ndcg_cut_10: e.summary.get('ndcg_cut_10') as number, pnr: e.summary.get('pnr') as number };
        },
        metric: 'ndcg_cut_10',
      },
      { dir: opts.out, config, identity, reporter, fresh: opts.fresh, name: 'SFT' },
    );
    // keep-best: the saved model is the best dev checkpoint
    if (result.bestWeights) tidy(() => model.loadStateDict(loadSafetensors(result.bestWeights!), { source: result.bestWeights! }));
    let adapterDir: string | null = null;
    const loss = lossSummary(result.losses);
    const card = {
      task: 'ranking fine-tuning: score head on the final </s> of "query: {q} document: {title} {summary}"',
      data: { dataset: opts.data, labels: labelsFrom, splits: source, train_queries: train_.length, dev_queries: devLists.size },
      init: opts.init ?? 'scratch',
      steps,
      losses: { kind: lossName, first10_mean: loss.first, last10_mean: loss.last },
      hyperparameters: { ...config, loss: lossName, margin, groups_per_step: Q, group_size: G, hard_depth: hardDepth, max_length: maxLength, lora_r: loraR, lm_weight: lmWeight, click_replay: clickReplay },
      dev: { best: result.best, evals: result.evals },
    };
    if (adapter) {
      adapterDir = join(opts.out, 'adapter');
      if (isMainRank()) saveLoraAdapter(adapterDir, adapter, { baseModel: opts.init, card });
      adapter.merge();
    }
    // the saved folder is a sequence-classification model: no LM head
    model.heads = { lm: false, score: true };
    if (isMainRank()) {
      saveHfModel(modelDir, model, { card });
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) if (existsSync(join(tokDir, f))) copyFileSync(join(tokDir, f), join(modelDir, f));
    }
    return finishTrainingRun(opts.out, 'sft', runConfig, { ...rankerResult(modelDir, result), adapterDir, trainQueries: train_.length, devQueries: devLists.size });
  } finally {
    model.dispose();
  }
}

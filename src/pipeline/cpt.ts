// Stage 3: continued pre-training (CPT) of the teacher decoder on the click log. The input is the query, the target
// the clicked title + summary (then eos), and the next-token loss counts only target tokens. The corpus comes from
// the data layer's builder (src/data/sets/training-sets.ts, the one click filter); the judged queries are left
// out, they are for evaluation. Training runs on the shared trainer (src/train/trainer.ts): checkpoints, resume,
// metrics log. The result is a Hugging Face LlamaForCausalLM folder with its tokenizer and a model card.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../data/dataset.js';
import { cptRecords, type CptCounts, type CptOptions, type CptRecord } from '../data/sets/training-sets.js';
import { manualSeed } from '../engine/index.js';
import { targetNll } from '../models/score.js';
import { loadHfModel, saveHfModel } from '../models/hf.js';
import { addLora } from '../models/lora.js';
import { decoderConfigFor, decoderCptInputs } from '../models/inputs.js';
import { generateForQueries } from '../models/generate.js';
import { LlamaForCausalLM, type LlamaConfig } from '../models/llama.js';
import { loadTokenizer, type TextTokenizer } from '../text/index.js';
import { CHECKPOINT_DIR, lossSummary, resultConfig, train, trainConfig, type TrainConfig } from '../train/trainer.js';
import { DisrankerError } from '../util/errors.js';
import { hashString, Random } from '../util/random.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { CPT_DEFAULTS, TOKENIZER_DEFAULTS } from './defaults.js';
import { bpeTokenizerStage } from './tokenizer.js';
import { beginRun, finishRun } from './run-folder.js';
import { isMainRank, mainFirst } from '../train/distributed.js';

export interface CptStageOptions {
  /** the data set folder (with a click log) */
  data: string;
  /** the tokenizer folder; absent: the --init folder's, else a byte-level BPE trained on the data set into OUT/tokenizer */
  tokenizer?: string;
  /** a Hugging Face decoder folder (LLaMA/Qwen2) to continue from; absent: a decoder from scratch (`model`) */
  init?: string;
  /** LoRA rank (0: full fine-tuning); the saved model has the adapter merged in */
  loraR?: number;
  /** the run folder: checkpoint/, metrics.jsonl, run.json */
  out: string;
  /** the model folder written at the end (default: OUT/model) */
  modelOut?: string;
  seed: number;
  steps?: number;
  /** examples per optimizer step (split over the gradient-accumulation micro-batches) */
  batchSize?: number;
  lr?: number;
  maxLength?: number;
  minDwell?: number;
  /** keep a click only when a result above it was skipped */
  skipAbove?: boolean;
  /** keep only the last click of each impression */
  lastClick?: boolean;
  dedup?: boolean;
  /** sample examples by click count (`none`), by a fitted PBM's relevance (`pbm`) or by inverse propensity (`ipw`) */
  weight?: 'none' | 'pbm' | 'ipw';
  /** fraction of the click-log queries held out of training: perplexity on their clicked targets before and after */
  heldOut?: number;
  /** the decoder's shape (LLaMA config fields); vocabulary and special ids come from the tokenizer */
  model?: Partial<LlamaConfig>;
  /** the other trainer settings (defaults: CPT_DEFAULTS, then src/train/defaults.ts) */
  train?: Partial<TrainConfig>;
  /** replace a finished run made with other settings (only a disranker run folder) */
  force?: boolean;
  /** discard a checkpoint instead of resuming */
  fresh?: boolean;
}

export interface CptStageResult {
  modelDir: string;
  /** CPT examples (kept clicks) and the click log they came from */
  records: number;
  impressions: number;
  clicks: number;
  parameters: number;
  steps: number;
  resumedFrom: number;
  loss: { first10: number; last10: number };
  metricsFile: string;
  seconds: number;
  /** perplexity on the held-out queries' clicked targets (title + summary + eos) before and after CPT */
  heldOut: { queries: number; examples: number; perplexityBefore: number; perplexityAfter: number } | null;
  /** held-out queries and the result the model generates for each after CPT */
  samples: { query: string; text: string }[];
  /** true: a finished run with the same settings was found and nothing was trained */
  cached?: boolean;
}

/** SHA-256 of the training examples in order: the data's fingerprint in the run's configuration. */
function fingerprint(records: CptRecord[]): string {
  const h = createHash('sha256');
  for (const r of records) h.update(`${r.query}\t${r.title}\t${r.summary}\t${r.weight}\n`);
  return h.digest('hex');
}

export async function cptStage(opts: CptStageOptions, reporter: Reporter = silentReporter): Promise<CptStageResult> {
  const steps = opts.steps ?? CPT_DEFAULTS.steps;
  const batchSize = opts.batchSize ?? CPT_DEFAULTS.batchSize;
  const maxLength = opts.maxLength ?? CPT_DEFAULTS.maxLength;
  const corpus = cptCorpusOptions(opts);
  const config = trainConfig({
    steps,
    seed: opts.seed,
    lr: opts.lr ?? CPT_DEFAULTS.lr,
    maxGradNorm: CPT_DEFAULTS.maxGradNorm,
    checkpointEvery: CPT_DEFAULTS.checkpointEvery,
    logEvery: CPT_DEFAULTS.logEvery,
    ...opts.train,
  });
  if (batchSize % config.gradAccum !== 0) {
    throw new DisrankerError('DR_ERR_USAGE', `--batch-size ${batchSize} must be a multiple of --grad-accum ${config.gradAccum}`);
  }
  const micro = batchSize / config.gradAccum;
  const modelDir = opts.modelOut ?? join(opts.out, 'model');

  const { records, heldOutRecords, draw, counts, judged } = await cptCorpus(opts.data, corpus);
  if (records.length === 0) throw new DisrankerError('DR_ERR_INPUT', `${opts.data}: the click log has no click with dwell ≥ ${corpus.minDwell}s outside the judged queries: nothing to train CPT on`);
  const givenTok = opts.tokenizer ?? opts.init;
  const tokDir = givenTok ?? join(opts.out, 'tokenizer');
  const tokIdentity = givenTok
    ? { path: givenTok, sha256: createHash('sha256').update(readFileSync(join(givenTok, 'tokenizer.json'))).digest('hex') }
    : { trained: 'byte-level BPE', vocab_size: TOKENIZER_DEFAULTS.vocabSize, lowercase: TOKENIZER_DEFAULTS.lowercase };
  const loraR = opts.loraR ?? 0;
  const modelIdentity = opts.init
    ? { init: opts.init, config_sha256: createHash('sha256').update(readFileSync(join(opts.init, 'config.json'))).digest('hex') }
    : { ...CPT_DEFAULTS.model, ...opts.model };
  const runConfig0 = { train: resultConfig(config), data: { path: opts.data, ...corpus }, tokenizer: tokIdentity, model: modelIdentity, lora_r: loraR, batch_size: batchSize, max_length: maxLength };
  // the run folder is claimed before anything is written into it (the tokenizer trained here goes there too)
  // (data-parallel: rank 0 claims the folder and trains the tokenizer, then the other ranks read them)
  const early = await mainFirst(async () => {
    const e = beginRun<CptStageResult>(opts.out, 'cpt', runConfig0, { force: opts.force, inputs: [opts.data, ...(givenTok ? [givenTok] : []), ...(opts.init ? [opts.init] : [])] });
    if (!(e.done && existsSync(join(e.done.modelDir, 'config.json'))) && !givenTok && isMainRank()) await bpeTokenizerStage({ data: opts.data, out: tokDir }, reporter);
    return e;
  });
  if (early.done && existsSync(join(early.done.modelDir, 'config.json'))) {
    reporter.info(`CPT already done with these settings: ${early.done.modelDir}`);
    return { ...early.done, cached: true };
  }
  const tok = loadTokenizer(tokDir);
  const modelConfig = decoderConfigFor(tok, { ...CPT_DEFAULTS.model, max_position_embeddings: maxLength, ...opts.model });
  const identity = {
    model: opts.init ? modelIdentity : modelConfig,
    init: opts.init ?? null,
    lora_r: loraR,
    data: { path: opts.data, fingerprint: fingerprint(records), records: records.length, ...corpus },
    tokenizer: tokIdentity,
    batch_size: batchSize,
    max_length: maxLength,
  };

  manualSeed(opts.seed);
  let model: LlamaForCausalLM;
  if (opts.init) {
    const loaded = loadHfModel(opts.init, { heads: { lm: true, score: false } });
    if (!(loaded.model instanceof LlamaForCausalLM)) throw new DisrankerError('DR_ERR_MODEL', `${opts.init}: CPT needs a decoder (LLaMA/Qwen2), this is ${loaded.architecture}`);
    model = loaded.model;
  } else model = new LlamaForCausalLM(modelConfig);
  const adapter = loraR > 0 ? addLora(model, { r: loraR, lora_alpha: 2 * loraR, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }) : null;
  adapter?.freezeBase();
  const { num_hidden_layers: L, hidden_size: H, num_attention_heads: nh, num_key_value_heads: nkv } = model.config;
  reporter.info(
    `CPT of a LLaMA-style decoder (L${L} H${H}, GQA ${nh}/${nkv} heads, ${(model.numParameters() / 1e6).toFixed(2)}M parameters) on ` +
      `${records.length.toLocaleString('en')} clicks with dwell ≥ ${corpus.minDwell}s: ${steps} steps of ${batchSize}`,
  );
  const evalSet = heldOutRecords.slice(0, CPT_DEFAULTS.heldOutExamples);
  const perplexityBefore = evalSet.length ? perplexity(model, tok, evalSet, maxLength) : NaN;
  try {
    const result = await train(
      {
        model,
        // The batch of a step depends only on (seed, step, micro): a resumed run sees the same data.
        batch: (step, m) => {
          const rng = new Random(opts.seed).fork(m === 0 ? `cpt-step-${step}` : `cpt-step-${step}-${m}`);
          return Array.from({ length: micro }, () => draw(rng));
        },
        loss: (batch) => {
          const { inputs, labels } = decoderCptInputs(tok, batch, { maxLength });
          return { loss: model.lmLoss(inputs, labels), examples: batch.length, tokens: labels.ne(-100).sum().item() };
        },
      },
      { dir: opts.out, config, identity, reporter, fresh: opts.fresh, name: 'CPT' },
    );
    adapter?.merge(); // the saved folder is a plain decoder
    const loss = lossSummary(result.losses);
    const perplexityAfter = evalSet.length ? perplexity(model, tok, evalSet, maxLength) : NaN;
    const sampleQueries = [...new Set(heldOutRecords.map((r) => r.query))].slice(0, 3);
    const texts = sampleQueries.length ? generateForQueries(model, tok, sampleQueries, { maxNewTokens: 20 }) : [];
    const samples = sampleQueries.map((query, i) => ({ query, text: texts[i].trim() }));
    const heldOut = evalSet.length
      ? { queries: new Set(heldOutRecords.map((r) => r.qid)).size, examples: evalSet.length, perplexityBefore, perplexityAfter }
      : null;
    if (heldOut) reporter.info(`held-out click-log queries (${heldOut.queries}): perplexity of clicked targets ${perplexityBefore.toFixed(1)} before CPT → ${perplexityAfter.toFixed(2)} after`);
    for (const x of samples) reporter.info(`  ${x.query} → ${x.text}`);
    if (isMainRank()) saveHfModel(modelDir, model, {
      card: {
        task: 'continued pre-training on clicks (query → clicked title + summary)',
        data: { dataset: opts.data, records: records.length, min_dwell_s: corpus.minDwell, judged_queries_excluded: judged.size },
        steps,
        losses: { kind: 'next-token cross-entropy on target tokens', first10_mean: loss.first, last10_mean: loss.last },
        held_out: heldOut,
        samples,
        hyperparameters: { ...config, batch_size: batchSize, max_length: maxLength, optimizer: 'AdamW' },
      },
    });
    for (const f of isMainRank() ? ['tokenizer.json', 'tokenizer_config.json'] : []) {
      if (existsSync(join(tokDir, f))) copyFileSync(join(tokDir, f), join(modelDir, f)); // a self-contained HF folder
    }
    const out: CptStageResult = {
      modelDir,
      records: records.length,
      impressions: counts.impressions,
      clicks: counts.clicks,
      parameters: model.numParameters(),
      steps: result.steps,
      resumedFrom: result.resumedFrom,
      loss: { first10: loss.first, last10: loss.last },
      metricsFile: result.metricsFile,
      seconds: result.seconds,
      heldOut,
      samples,
    };
    finishRun(opts.out, 'cpt', runConfig0, out);
    if (isMainRank()) rmSync(join(opts.out, CHECKPOINT_DIR), { recursive: true, force: true }); // the model folder holds the result
    return out;
  } finally {
    model.dispose();
  }
}

/** The CPT corpus options: the data layer's click filter, the sampling weight and the held-out fraction. */
export type CptCorpusOptions = Omit<CptOptions, 'out' | 'excludeQids' | 'qids'> & { heldOut: number };

/** The corpus options of `opts` with CPT's defaults filled in. */
export function cptCorpusOptions(opts: Partial<CptCorpusOptions>): CptCorpusOptions & { excludeJudged: true } {
  return {
    minDwell: opts.minDwell ?? CPT_DEFAULTS.minDwell,
    skipAbove: opts.skipAbove ?? false,
    lastClick: opts.lastClick ?? false,
    dedup: opts.dedup ?? CPT_DEFAULTS.dedup,
    weight: opts.weight ?? 'none',
    excludeJudged: true,
    heldOut: opts.heldOut ?? CPT_DEFAULTS.heldOut,
  };
}

/**
 * The CPT corpus of a data set: clicks of the click-log queries, never of the judged ones, with the held-out queries
 * set apart, and a draw that samples one example as CPT does (uniform over clicks unless weighted).
 */
export async function cptCorpus(data: string, corpus: CptCorpusOptions) {
  const ds = await openDataset(data);
  const judged = new Set((await ds.qrels()).keys());
  const counts: CptCounts = { impressions: 0, clicks: 0, kept: 0 };
  const records: CptRecord[] = [];
  // held-out click-log queries: chosen by a hash of their id (stable whatever the corpus options)
  const isHeldOut = (qid: string) => corpus.heldOut > 0 && hashString(`held-out:${qid}`) / 2 ** 32 < corpus.heldOut;
  const heldOutRecords: CptRecord[] = [];
  for await (const r of cptRecords(ds, { ...corpus, excludeQids: judged }, counts)) (isHeldOut(r.qid) ? heldOutRecords : records).push(r);
  // sampling: uniform over records (each click once) unless weighted; the CDF makes a weighted draw O(log n)
  const cdf = corpus.weight === 'none' && !corpus.dedup ? null : cumulative(records.map((r) => (corpus.weight === 'none' ? r.clicks : r.weight)));
  const draw = (rng: Random) => (cdf ? records[searchCdf(cdf, rng.next() * cdf[cdf.length - 1])] : records[rng.int(records.length)]);
  return { records, heldOutRecords, draw, counts, judged };
}

function cumulative(ws: number[]): Float64Array {
  const c = new Float64Array(ws.length);
  let acc = 0;
  ws.forEach((w, i) => (c[i] = acc += Math.max(0, w)));
  return c;
}

/** The first index whose cumulative weight exceeds x. */
function searchCdf(c: Float64Array, x: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** exp(mean next-token NLL over the target tokens of `records`), in batches, without gradients. */
export function perplexity(model: LlamaForCausalLM, tok: TextTokenizer, records: CptRecord[], maxLength: number): number {
  const { nll, tokens } = targetNll(model, tok, records, { maxLength });
  return Math.exp(nll.reduce((a, b) => a + b, 0) / Math.max(1, tokens.reduce((a, b) => a + b, 0)));
}

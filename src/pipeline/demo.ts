// The main job on the embedded default data, as a composition of stages (one per file in src/pipeline):
//   1. world      the synthetic web-search world (a click log, plus human-judged queries kept apart from it);
//   2. tokenizer  a byte-level BPE vocabulary trained on it;
//   3. cpt        continued pre-training of a small LLaMA-style decoder on the click log (query → clicked
//                 title + summary, loss on the target tokens), checkpointed and resumable;
//   4. what CPT taught: titles generated for judged queries the model never saw;
//   5. rank-judged + evaluate: the judged queries' candidates ranked by the CPT likelihood ratio, next to BM25
//                 and the production ranker, with paired significance tests.
// Every stage skips what is already done. Later stages (ranking SFT, teacher scoring, distillation into BERT)
// build on the CPT model.
import { join } from 'node:path';
import { openDataset } from '../data/dataset.js';
import type { EvalReport } from '../eval/evaluate-runs.js';
import { generateForQueries } from '../models/generate.js';
import { loadHfModel } from '../models/hf.js';
import { LlamaForCausalLM } from '../models/llama.js';
import { loadTokenizer } from '../text/index.js';
import type { TrainConfig } from '../train/trainer.js';
import { assertSafeOutput, markRunFolder } from '../util/fs.js';
import { silentReporter, type Reporter } from '../util/reporter.js';
import { cptStage, type CptStageResult } from './cpt.js';
import { CPT_DEFAULTS, DEMO_DEFAULTS } from './defaults.js';
import { evaluateStage } from './evaluate.js';
import { rankJudgedStage } from './rank-judged.js';
import { bpeTokenizerStage } from './tokenizer.js';
import { worldStage, type WorldStageResult } from './world.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** synthetic world size (tiny, small, medium, large) */
  preset?: string;
  /** CPT optimizer steps */
  steps?: number;
  lr?: number;
  batchSize?: number;
  /** other trainer settings for CPT (checkpointEvery, gradAccum, maxGradNorm, bf16, nonFinite...) */
  train?: Partial<TrainConfig>;
  force?: boolean;
  fresh?: boolean;
}

export interface DemoResult {
  out: string;
  world: WorldStageResult;
  tokenizer: { dir: string; trained: boolean };
  cpt: CptStageResult;
  /** judged queries (never seen in CPT) and the result title the model generates for each */
  generations: { query: string; text: string }[];
  runs: Record<string, string>;
  evaluation: EvalReport;
}

export async function runDemo(opts: DemoOptions, reporter: Reporter = silentReporter): Promise<DemoResult> {
  const preset = opts.preset ?? DEMO_DEFAULTS.preset;
  // the job's folder: a new one, or one this job made (it resumes there); never a folder disranker did not make
  assertSafeOutput(opts.out, { force: true });
  markRunFolder(opts.out, { job: 'demo' });
  const dataDir = join(opts.out, 'data');
  const world = await worldStage({ out: dataDir, preset, seed: opts.seed }, reporter);
  const tokenizer = await bpeTokenizerStage({ data: dataDir, out: join(opts.out, 'tokenizer') }, reporter);
  const cpt = await cptStage(
    {
      data: dataDir,
      tokenizer: tokenizer.dir,
      out: join(opts.out, 'cpt'),
      modelOut: join(opts.out, 'cpt-model'),
      seed: opts.seed,
      steps: opts.steps,
      lr: opts.lr,
      batchSize: opts.batchSize,
      train: opts.train,
      force: opts.force,
      fresh: opts.fresh,
    },
    reporter,
  );

  const tok = loadTokenizer(cpt.modelDir);
  const { model } = loadHfModel(cpt.modelDir);
  try {
    if (!(model instanceof LlamaForCausalLM)) throw new Error(`${cpt.modelDir}: expected a decoder`);
    model.eval();
    const ds = await openDataset(dataDir);
    const queries = await ds.loadQueries();
    const judged = [...(await ds.qrels()).keys()].slice(0, 3).map((q) => queries.get(q)!.text);
    const texts = generateForQueries(model, tok, judged, { maxNewTokens: 20 });
    const generations = judged.map((query, i) => ({ query, text: texts[i].trim() }));
    const runs = await rankJudgedStage({ data: dataDir, out: opts.out, model, tokenizer: tok, maxLength: CPT_DEFAULTS.maxLength }, reporter);
    const evaluation = await evaluateStage({ qrels: join(dataDir, 'qrels.txt'), runs, out: opts.out, metrics: DEMO_DEFAULTS.metrics });
    return { out: opts.out, world, tokenizer, cpt, generations, runs, evaluation };
  } finally {
    model.dispose();
  }
}

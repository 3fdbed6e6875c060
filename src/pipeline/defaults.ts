// The defaults of the pipeline's stages and of the demo job, written once: the stages use them and the CLI
// shows them in --help. "Measured on the small world" below means its earlier version, with 24 concepts per topic
// (until commit d7d8969), unless it says otherwise; docs/teacher.md and docs/student.md have both.
import { MLM_DEFAULTS } from '../text/mlm.js';

/** The main job (`disranker demo`). */
export const DEMO_DEFAULTS = {
  out: 'runs/demo',
  seed: 0,
  /** synthetic world size */
  preset: 'small',
  /** judged queries whose candidates are ranked and evaluated (all of them) */
  metrics: 'ndcg_cut_5,ndcg_cut_10,map,recip_rank,pnr',
};

/** The byte-level BPE vocabulary trained on the data set's documents and queries. */
export const TOKENIZER_DEFAULTS = {
  vocabSize: 4000,
  /** lowercase first: queries are lowercase and titles Title Case, and without it `Apple` and `apple` share no token */
  lowercase: true,
};

/** Size presets of the teacher decoder trained from scratch (`teacher cpt --size`); docs/teacher.md has their cost. */
export const TEACHER_SIZES = {
  /** 2 layers, hidden 128: the demo's decoder (0.9M parameters with a 4k vocabulary) */
  'l2-h128': { hidden_size: 128, intermediate_size: 344, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: true },
  /** 4 layers, hidden 256 */
  'l4-h256': { hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, tie_word_embeddings: true },
  /** 8 layers, hidden 512 */
  'l8-h512': { hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, tie_word_embeddings: true },
} as const;
export type TeacherSize = keyof typeof TEACHER_SIZES;

/** Continued pre-training of the teacher decoder on clicks (the recipe the demo measured). */
export const CPT_DEFAULTS = {
  steps: 1000,
  batchSize: 16,
  lr: 2e-3,
  /** the demo's measured recipe trains without clipping; --max-grad-norm turns it on */
  maxGradNorm: null as number | null,
  checkpointEvery: 100,
  logEvery: 10,
  /** tokens of query + target */
  maxLength: 96,
  /** seconds: shorter clicks are treated as misclicks */
  minDwell: 10,
  /** one record per click (a pair clicked twice counts twice), as the click log has it */
  dedup: false,
  /** fraction of the click-log queries held out of CPT for the perplexity check */
  heldOut: 0.05,
  /** held-out examples the perplexity is measured on (at most) */
  heldOutExamples: 512,
  /** the decoder trained from scratch: a LLaMA-style model, 2 layers, hidden 128, GQA 4/2 heads */
  size: 'l2-h128' as TeacherSize,
  model: TEACHER_SIZES['l2-h128'],
};

/** Ranking fine-tuning of the teacher (src/pipeline/sft.ts). */
export const SFT_DEFAULTS = {
  /** the measured step budget (docs/teacher.md): on the small world with 72 concepts per topic (listwise, seed 0) the
   * dev nDCG@10 still rose from 8,000 (0.667) to 16,000 steps (0.684), and the 16,000-step teacher beat the main job's
   * 8,000-step one on test nDCG@10 by +0.036 (p < 0.001), BM25 by +0.065 and SFT alone by +0.030. The main job trains
   * fewer (PIPELINE_SFT_DEFAULTS) */
  steps: 16000,
  lr: 1e-3,
  /** the paper's pairwise margin hinge */
  loss: 'hinge' as 'hinge' | 'ranknet' | 'listwise',
  margin: 1,
  groupsPerStep: 4,
  /** 1 positive + 7 hard negatives; 0: the whole candidate list */
  groupSize: 8,
  /** negatives from the top 50 lower-labelled candidates: the small world's whole list. With the top 30 only, the hinge
   * collapses (its loss stays near 1): there the negatives differ from the positive mostly in hidden quality */
  hardDepth: 50,
  maxLength: 128,
  labels: 'judged' as 'judged' | 'hidden',
  /** 0: full fine-tuning */
  loraR: 0,
  /** weight of the CPT loss kept on each group's positive as a second task during SFT (0: off, the paper's recipe).
   * 1 by default: without it, SFT forgot what CPT learnt and the teacher stayed near chance (docs/teacher.md) */
  lmWeight: 1,
  /** weight of CPT's next-token loss on clicked pairs replayed during SFT (the CPT arm only; 0: off) */
  clickReplay: 0,
  evalEvery: 1000,
  /** a decoder from scratch (the SFT-only ablation) has the CPT decoder's shape */
  scratchModel: CPT_DEFAULTS.model,
};

/** Where the pipeline's ranking SFT (both arms) departs from `teacher sft`'s defaults, which keep the paper's loss and train longer. */
export const PIPELINE_SFT_DEFAULTS = {
  /** half of `teacher sft`'s: both arms at 16,000 steps took 27.5 min side by side on 2 cores (seed 0), and the main
   * job with them about 41 min (docs/pipeline.md) */
  steps: 8000,
  /** listwise softmax cross-entropy over each group (targets 2^label − 1), measured against the hinge with the same
   * recipe otherwise (seed 0, docs/teacher.md): best dev nDCG@10 0.618 against 0.590 */
  loss: 'listwise' as typeof SFT_DEFAULTS.loss,
  /** a dev evaluation (150 queries × 50 candidates) costs about 8 s at one thread, 8% of an arm at every 1,000 steps;
   * the dev curves rose to within 1,000 steps of the end on every run measured (docs/pipeline.md) */
  evalEvery: 2000,
};

/** Reranking a data set's candidate lists with a model folder (src/pipeline/rerank.ts). */
export const RERANK_DEFAULTS = {
  split: 'test',
  batchSize: 32,
  maxLength: 128,
};

/** Teacher scoring of the distillation set (src/pipeline/teacher-score.ts). */
export const TEACHER_SCORE_DEFAULTS = {
  /** the click-log queries (not judged) */
  queries: 'clicks',
  batchSize: 32,
  maxLength: 128,
  /** queries per chunk: the unit of progress, resume and sharding */
  chunkQueries: 16,
};

/** Size presets of the BERT student made here (`student pretrain --size`); docs/student.md has their cost. */
export const STUDENT_SIZES = {
  'l2-h128': { num_hidden_layers: 2, hidden_size: 128, num_attention_heads: 2, intermediate_size: 512 },
  'l4-h256': { num_hidden_layers: 4, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 },
  /** 6 layers like the paper's student (MiniLM-L6's width) */
  'l6-h384': { num_hidden_layers: 6, hidden_size: 384, num_attention_heads: 6, intermediate_size: 1536 },
  /** BERT-base */
  'l12-h768': { num_hidden_layers: 12, hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 },
} as const;
export type StudentSize = keyof typeof STUDENT_SIZES;

/** The pairs the student's MLM masks: click-log queries with their candidates, or with their clicked documents. */
export const PRETRAIN_PAIRS = ['candidates', 'clicks'] as const;
export type PretrainPairs = (typeof PRETRAIN_PAIRS)[number];

/** Masked-LM pre-training of the student (src/pipeline/student.ts). */
export const STUDENT_PRETRAIN_DEFAULTS = {
  size: 'l2-h128' as StudentSize,
  vocabSize: 8000,
  /** measured on the small world's main job (seed 0, the hybrid distilled from it, test nDCG@10 with distillation seeds
   * 0 and 1; docs/student.md): 600 steps 0.487 and 0.432, 3,000 steps 0.529 and 0.538 (MLM loss 4.55 → 2.54) */
  steps: 3000,
  batchSize: 32,
  lr: 5e-4,
  maxLength: 128,
  /** what is masked, and how much of the query: measured on the small world's main job (seed 0, the hybrid distilled
   * from it, test nDCG@10; docs/student.md): candidate lists at 15% (BERT's rate everywhere) 0.457, click pairs at 15%
   * 0.446, candidate lists with the query at 50% 0.472, click pairs with the query at 50% 0.487 (+0.029, p = 0.001),
   * at 100% 0.467. Recovering query words from the clicked document is what teaches the student to match them */
  pairs: 'clicks' as PretrainPairs,
  queryMaskRate: 0.5,
};

/** The student trained on human labels only (the paper's baseline) and by distillation. */
export const STUDENT_TRAIN_DEFAULTS = {
  /** measured on the small world (docs/student.md): at lr 1e-4 the losses stay flat and every student ranks at chance;
   * 5e-4 for 3,000 steps beats 1e-3 (hybrid, seed 0: nDCG@10 +0.015, p = 0.008); at 1e-3 the loss falls only once the
   * cosine decay brings the rate down (held at 1e-3, it does not fall); at 2e-3 the hybrid does not train */
  steps: 3000,
  /** the `long` pipeline preset's students: measured on the small world's main job (seed 0, the hybrid from the
   * 3,000-step MLM; docs/student.md): 9,000 steps 0.616 test nDCG@10 against 0.529 at 3,000 (p < 0.001), dev still
   * rising; four students at 9,000 steps add about 18 min to the main job on 2 cores */
  longSteps: 9000,
  lr: 5e-4,
  /** labels: the rank loss over groups, as the teacher's SFT */
  loss: 'hinge' as 'hinge' | 'ranknet' | 'listwise',
  groupsPerStep: 4,
  groupSize: 8,
  /** labels: negatives from the top n lower-labelled candidates, as the teacher's SFT */
  hardDepth: SFT_DEFAULTS.hardDepth,
  maxLength: 128,
  evalEvery: 500,
  /** weight of the MLM loss kept as a second task on one pair per group (0: off), as the teacher's lmWeight */
  mlmWeight: 0,
  /** that MLM's selection rate of the query's tokens (the document's: 15%), as student pretrain's queryMaskRate */
  mlmQueryMaskRate: MLM_DEFAULTS.rate,
};

/** Where the main job's students (the `default` pipeline preset) depart from `student train` / `student distill`:
 * the main job has a 30-minute budget on 2 cores, and with 3,000 steps it took 33-38 min (docs/pipeline.md). */
export const PIPELINE_STUDENT_DEFAULTS = {
  steps: 2000,
  /** a dev evaluation (150 queries × 50 candidates) costs about 5 s at one thread; the dev curves rose to the end on
   * the 3,000-step runs (docs/pipeline.md) */
  evalEvery: 1000,
};

/** Teacher-score normalisations before the distillation loss (src/pipeline/distill.ts). */
export const NORMALIZATIONS = ['none', 'query-z', 'affine'] as const;

/** Distillation of the teacher's scores into the student (src/pipeline/distill.ts). */
export const DISTILL_DEFAULTS = {
  /** the paper's hybrid: α · point-wise MSE + β · Margin-MSE */
  loss: 'hybrid' as 'pointwise' | 'margin' | 'hybrid',
  alpha: 1,
  beta: 1,
  /** teacher-score normalisation before the loss, chosen on dev PNR of the small world's hybrid with the pipeline's
   * listwise teacher, three seeds (docs/student.md): affine 1.20 / 1.29 / 1.15, raw scores 1.15 / 1.20 / 1.13,
   * per-query z-scores 1.11 / 1.20 / 1.06 */
  normalize: 'affine' as (typeof NORMALIZATIONS)[number],
  queriesPerStep: 4,
  /** candidates per query per step (a random subset of the scored list) */
  candidatesPerQuery: 8,
};

/** The students' ablation (`disranker student ablate`, src/pipeline/ablate.ts). */
export const ABLATION_DEFAULTS = {
  /** the hybrid's β sweep (α stays); a value equal to the hybrid's own β is that student, not trained twice */
  betas: [0.1, 0.3, 1, 3, 10],
  /** the judged split every variant reranks and is evaluated on */
  split: RERANK_DEFAULTS.split,
};

/** How `disranker pipeline run` runs its stages (not part of any stage's key). */
export const PIPELINE_RUN_DEFAULTS = {
  /** stages side by side, each in its own process with cores / jobs threads, when their upstream stages allow it */
  jobs: 2,
};

// `disranker teacher cpt|sft`: the teacher decoder's continued pre-training on clicks and its ranking fine-tuning.
import { Option, type Command } from 'commander';
import { CPT_DEFAULTS, SFT_DEFAULTS, TEACHER_SCORE_DEFAULTS, TEACHER_SIZES, TOKENIZER_DEFAULTS, type TeacherSize } from '../../pipeline/defaults.js';
import { DisrankerError } from '../../util/errors.js';
import { launchIfAsked } from '../launch.js';
import { addTrainerOptions } from '../train-flags.js';
import { addOptions, choice, int, nonNegative, positive } from '../options.js';

export function registerTeacher(program: Command): void {
  const teacher = program.command('teacher').description('the teacher decoder: continued pre-training on clicks (cpt), ranking fine-tuning (sft)');
  const cpt = teacher
    .command('cpt')
    .description('continued pre-training on a data set\'s click log: the query in, the clicked title + summary out (loss on the target tokens)')
    .requiredOption('--data <dir>', 'data set folder with a click log')
    .requiredOption('--out <dir>', 'run folder (the model goes to OUT/model)')
    .option('--init <dir>', 'a Hugging Face decoder folder (LLaMA/Qwen2) to continue from; without it: a decoder from scratch of --size')
    .option('--size <preset>', `decoder size from scratch: ${Object.keys(TEACHER_SIZES).join(' | ')} (docs/teacher.md)`, (raw: string) => choice(Object.keys(TEACHER_SIZES) as TeacherSize[])('--size', raw), CPT_DEFAULTS.size)
    .option('--lora-r <n>', 'LoRA rank on every projection (0: full fine-tuning); the saved model has it merged', (raw: string) => int(0)('--lora-r', raw), 0)
    .option('--tokenizer <dir>', `tokenizer folder (default: the --init folder's, else a byte-level BPE of ${TOKENIZER_DEFAULTS.vocabSize} tokens trained on the data set into OUT/tokenizer)`)
    .option('--max-length <n>', 'tokens of query + target', (raw: string) => int(8)('--max-length', raw), CPT_DEFAULTS.maxLength)
    .option('--min-dwell <s>', 'keep clicks with at least this dwell time (seconds)', (raw: string) => nonNegative('--min-dwell', raw), CPT_DEFAULTS.minDwell)
    .option('--skip-above', 'keep a click only if a result above it was skipped (not clicked)')
    .option('--last-click', 'keep only the last click of each impression')
    .option('--dedup', 'one example per (query, document) pair, drawn by its click count (or --weight), instead of one per click', CPT_DEFAULTS.dedup)
    .option('--weight <w>', 'draw examples by none (clicks) | pbm (a PBM\'s debiased relevance, by EM) | ipw (inverse propensity)', (raw: string) => choice(['none', 'pbm', 'ipw'] as const)('--weight', raw), 'none');
  addOptions(cpt, ['seed', 0], ['steps', CPT_DEFAULTS.steps], ['batchSize', CPT_DEFAULTS.batchSize], ['lr', CPT_DEFAULTS.lr]);
  addTrainerOptions(cpt, CPT_DEFAULTS.maxGradNorm);
  cpt.action(async (opts) => {
    if (!(await launchIfAsked(opts))) await (await import('../actions/teacher.js')).teacherCptAction(opts);
  });

  const sft = teacher
    .command('sft')
    .description('ranking fine-tuning: score head on the final </s>, rank loss over groups of the judged train queries, keep-best on dev nDCG@10')
    .requiredOption('--data <dir>', 'data set folder with judged queries (splits/*.txt, else the default split)')
    .requiredOption('--out <dir>', 'run folder (the model goes to OUT/model)')
    .option('--init <dir>', 'decoder folder to start from (a CPT model, any LLaMA/Qwen2 folder); without it: from scratch')
    .option('--tokenizer <dir>', 'tokenizer folder (default: the --init folder; needed from scratch)')
    .option('--loss <name>', 'hinge (the paper\'s) | ranknet | listwise', (raw: string) => choice(['hinge', 'ranknet', 'listwise'] as const)('--loss', raw), SFT_DEFAULTS.loss)
    .option('--margin <x>', 'margin of the hinge loss', (raw: string) => positive('--margin', raw), SFT_DEFAULTS.margin)
    .option('--groups-per-step <n>', 'query groups per optimizer step', (raw: string) => int(1)('--groups-per-step', raw), SFT_DEFAULTS.groupsPerStep)
    .option('--group-size <n>', 'documents per group: 1 positive + n−1 hard negatives (0: the whole candidate list)', (raw: string) => int(0)('--group-size', raw), SFT_DEFAULTS.groupSize)
    .option('--hard-depth <n>', 'negatives come from the top n lower-labelled candidates', (raw: string) => int(1)('--hard-depth', raw), SFT_DEFAULTS.hardDepth)
    .option('--max-length <n>', 'tokens of the ranking input', (raw: string) => int(8)('--max-length', raw), SFT_DEFAULTS.maxLength)
    .option('--labels <which>', 'judged (qrels.txt) | hidden (a synthetic world\'s hidden labels, standing in for more annotation)', (raw: string) => choice(['judged', 'hidden'] as const)('--labels', raw), SFT_DEFAULTS.labels)
    .option('--lora-r <n>', 'LoRA rank on every projection (0: full fine-tuning)', (raw: string) => int(0)('--lora-r', raw), SFT_DEFAULTS.loraR)
    .option('--lm-weight <x>', 'keep the CPT loss on the positives as a second task with this weight (0: off)', (raw: string) => nonNegative('--lm-weight', raw), SFT_DEFAULTS.lmWeight)
    .option('--click-replay <x>', 'replay CPT\'s next-token loss on clicked pairs of the click log during SFT with this weight (0: off; it uses the clicks)', (raw: string) => nonNegative('--click-replay', raw), SFT_DEFAULTS.clickReplay)
    .option('--eval-every <n>', 'dev evaluation (and keep-best) every n steps', (raw: string) => int(1)('--eval-every', raw), SFT_DEFAULTS.evalEvery);
  addOptions(sft, ['seed', 0], ['steps', SFT_DEFAULTS.steps], ['lr', SFT_DEFAULTS.lr]);
  addTrainerOptions(sft);
  sft.action(async (opts) => {
    if (!(await launchIfAsked(opts))) await (await import('../actions/teacher.js')).teacherSftAction(opts);
  });
  registerTeacherScore(teacher);
}

export function registerTeacherScore(teacher: Command): void {
  const score = teacher
    .command('score')
    .description('score the candidates of many queries with a teacher folder into OUT/scores.jsonl, incrementally (a killed job resumes), optionally one shard of n')
    .requiredOption('--model <dir>', 'ranking model folder (a decoder with a score head, or a BERT cross-encoder)')
    .requiredOption('--data <dir>', 'data set folder')
    .requiredOption('--out <dir>', 'output folder')
    .option('--queries <which>', 'clicks (the click-log queries) | judged | all | train | dev | test | a name in DIR/splits', TEACHER_SCORE_DEFAULTS.queries)
    .option('--candidates <n>', 'candidates per query, from the top of each list (default: all)', (raw: string) => int(1)('--candidates', raw))
    .option('--shard <i/n>', 'score only shard i of n (0-based); join the shards with `teacher merge-scores`', parseShard)
    .option('--batch-size <n>', 'pairs per forward pass (batched by length)', (raw: string) => int(1)('--batch-size', raw), TEACHER_SCORE_DEFAULTS.batchSize)
    .option('--max-length <n>', 'tokens per pair', (raw: string) => int(8)('--max-length', raw), TEACHER_SCORE_DEFAULTS.maxLength)
    .option('--chunk-queries <n>', 'queries per chunk: the unit of progress, resume and sharding', (raw: string) => int(1)('--chunk-queries', raw), TEACHER_SCORE_DEFAULTS.chunkQueries);
  addOptions(score, ['bf16'], ['json', undefined, { help: 'print one JSON object (pairs, pairs/s)' }], ['quiet']);
  score.addOption(new Option('--nproc <n>', 'score in n worker processes on this machine (shards i/n, 1 thread each), then merge into OUT/scores.jsonl').argParser((raw) => int(1, 256)('--nproc', raw)));
  score.action(async (opts) => (await import('../actions/teacher.js')).teacherScoreAction(opts));
  teacher
    .command('merge-scores')
    .description('join the n shard files of OUT into OUT/scores.jsonl (the file an unsharded job writes)')
    .requiredOption('--out <dir>', 'the folder the shards were written to')
    .requiredOption('--shards <n>', 'number of shards', (raw: string) => int(1)('--shards', raw))
    .action(async (opts: { out: string; shards: number }) => (await import('../actions/teacher.js')).mergeScoresAction(opts));
}

function parseShard(raw: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && index < count)) throw new DisrankerError('DR_ERR_USAGE', `--shard: expected i/n with 0 ≤ i < n (e.g. 0/4), got "${raw}"`);
  return { index, count };
}

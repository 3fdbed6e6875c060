// `disranker student pretrain|train|ablate` and `disranker distill`: the BERT student, its masked-LM pre-training,
// the label-only baseline, distillation of the teacher's scores, and the ablation of them all.
import { Option, type Command } from 'commander';
import { EVAL_DEFAULTS } from '../../eval/defaults.js';
import { ABLATION_DEFAULTS, DISTILL_DEFAULTS, NORMALIZATIONS, PRETRAIN_PAIRS, STUDENT_PRETRAIN_DEFAULTS, STUDENT_SIZES, STUDENT_TRAIN_DEFAULTS, type StudentSize } from '../../pipeline/defaults.js';
import { launchIfAsked } from '../launch.js';
import { addTrainerOptions } from '../train-flags.js';
import { addOptions, choice, int, list, nonNegative, rate } from '../options.js';

const actions = () => import('../actions/student.js');

/** The distillation loss's weights, the teacher-score normalisation and the sampling, but not --loss (distill, student ablate). */
function addDistillOptions(cmd: Command): Command {
  return cmd
    .option('--alpha <x>', 'weight of the point-wise MSE', (raw: string) => nonNegative('--alpha', raw), DISTILL_DEFAULTS.alpha)
    .option('--beta <x>', 'weight of the Margin-MSE', (raw: string) => nonNegative('--beta', raw), DISTILL_DEFAULTS.beta)
    .option('--normalize <how>', 'teacher scores: none | query-z (per query) | affine (one global map to mean 0, sd 1)', (raw: string) => choice(NORMALIZATIONS)('--normalize', raw), DISTILL_DEFAULTS.normalize)
    .option('--queries-per-step <n>', 'queries per step', (raw: string) => int(1)('--queries-per-step', raw), DISTILL_DEFAULTS.queriesPerStep)
    .option('--candidates-per-query <n>', 'candidates per query per step (a random subset)', (raw: string) => int(1)('--candidates-per-query', raw), DISTILL_DEFAULTS.candidatesPerQuery);
}

/** What every student training shares (student train, distill, student ablate): tokens, keep-best, seed, steps, lr. */
function addStudentTrainOptions(cmd: Command): Command {
  cmd
    .option('--max-length <n>', 'tokens per pair', (raw: string) => int(8)('--max-length', raw), STUDENT_TRAIN_DEFAULTS.maxLength)
    .option('--eval-every <n>', 'dev evaluation (and keep-best) every n steps', (raw: string) => int(1)('--eval-every', raw), STUDENT_TRAIN_DEFAULTS.evalEvery)
    .option('--mlm-weight <x>', 'keep the MLM loss on one pair per group (the positive, or the teacher\'s best-scored) as a second task with this weight (0: off)', (raw: string) => nonNegative('--mlm-weight', raw), STUDENT_TRAIN_DEFAULTS.mlmWeight)
    .option('--mlm-query-mask-rate <p>', 'that MLM\'s share of the query\'s tokens masked (the document\'s: 15%)', (raw: string) => rate('--mlm-query-mask-rate', raw), STUDENT_TRAIN_DEFAULTS.mlmQueryMaskRate);
  return addOptions(cmd, ['seed', 0], ['steps', STUDENT_TRAIN_DEFAULTS.steps], ['lr', STUDENT_TRAIN_DEFAULTS.lr]);
}

export function registerStudent(program: Command): void {
  const student = program.command('student').description('the BERT cross-encoder student: masked-LM pre-training, the label-only baseline, and the ablation of the students');
  const pre = student
    .command('pretrain')
    .description('masked-LM pre-training (15%, 80/10/10) of a BERT student made here, on the click-log queries with their clicked documents (or candidate lists), the query\'s tokens masked more (--query-mask-rate), with a WordPiece vocabulary trained on the data set')
    .requiredOption('--data <dir>', 'data set folder')
    .requiredOption('--out <dir>', 'run folder (the model goes to OUT/model)')
    .option('--size <preset>', `student size: ${Object.keys(STUDENT_SIZES).join(' | ')} (l6-h384: 6 layers like the paper's)`, (raw: string) => choice(Object.keys(STUDENT_SIZES) as StudentSize[])('--size', raw), STUDENT_PRETRAIN_DEFAULTS.size)
    .option('--vocab-size <n>', 'WordPiece vocabulary size', (raw: string) => int(100)('--vocab-size', raw), STUDENT_PRETRAIN_DEFAULTS.vocabSize)
    .option('--max-length <n>', 'tokens per pair', (raw: string) => int(8)('--max-length', raw), STUDENT_PRETRAIN_DEFAULTS.maxLength)
    .option('--pairs <from>', 'candidates: each click-log query with its candidate list | clicks: with its clicked documents', (raw: string) => choice(PRETRAIN_PAIRS)('--pairs', raw), STUDENT_PRETRAIN_DEFAULTS.pairs)
    .option('--query-mask-rate <p>', 'share of the query\'s tokens masked (the document\'s: 15%)', (raw: string) => rate('--query-mask-rate', raw), STUDENT_PRETRAIN_DEFAULTS.queryMaskRate);
  addOptions(pre, ['seed', 0], ['steps', STUDENT_PRETRAIN_DEFAULTS.steps], ['batchSize', STUDENT_PRETRAIN_DEFAULTS.batchSize], ['lr', STUDENT_PRETRAIN_DEFAULTS.lr]);
  addTrainerOptions(pre);
  pre.action(async (opts) => {
    if (!(await launchIfAsked(opts))) await (await actions()).studentPretrainAction(opts);
  });

  const tr = student
    .command('train')
    .description('the paper\'s baseline: the student trained on the human labels of the train split only, with a rank loss')
    .requiredOption('--labels', 'train on the judged train split\'s labels (the only mode)')
    .requiredOption('--data <dir>', 'data set folder')
    .requiredOption('--init <dir>', 'student folder to start from (student pretrain\'s OUT/model, or any BERT cross-encoder)')
    .requiredOption('--out <dir>', 'run folder (the model goes to OUT/model)')
    .option('--loss <name>', 'hinge | ranknet | listwise', (raw: string) => choice(['hinge', 'ranknet', 'listwise'] as const)('--loss', raw), STUDENT_TRAIN_DEFAULTS.loss)
    .option('--groups-per-step <n>', 'query groups per step', (raw: string) => int(1)('--groups-per-step', raw), STUDENT_TRAIN_DEFAULTS.groupsPerStep)
    .option('--group-size <n>', 'documents per group (1 positive + hard negatives)', (raw: string) => int(2)('--group-size', raw), STUDENT_TRAIN_DEFAULTS.groupSize)
    .option('--hard-depth <n>', 'negatives come from the top n lower-labelled candidates', (raw: string) => int(1)('--hard-depth', raw), STUDENT_TRAIN_DEFAULTS.hardDepth);
  addStudentTrainOptions(tr);
  addTrainerOptions(tr);
  tr.action(async (opts) => {
    if (!(await launchIfAsked(opts))) await (await actions()).studentLabelsAction(opts);
  });

  const d = program
    .command('distill')
    .description('train the student on the teacher\'s scores: α · MSE(s_S, s_T) + β · Margin-MSE (the paper\'s hybrid), or either alone')
    .requiredOption('--data <dir>', 'data set folder (dev split for keep-best)')
    .requiredOption('--init <dir>', 'student folder to start from')
    .requiredOption('--scores <file>', 'the teacher\'s scores.jsonl (disranker teacher score)')
    .requiredOption('--out <dir>', 'run folder (the model goes to OUT/model)')
    .option('--loss <name>', 'hybrid | pointwise | margin', (raw: string) => choice(['hybrid', 'pointwise', 'margin'] as const)('--loss', raw), DISTILL_DEFAULTS.loss);
  addDistillOptions(d);
  addStudentTrainOptions(d);
  addTrainerOptions(d);
  d.action(async (opts) => {
    if (!(await launchIfAsked(opts))) await (await actions()).distillAction(opts);
  });

  const ab = student
    .command('ablate')
    .description(
      'the ablation: the label-only, point-wise, Margin-MSE and hybrid students and a β sweep of the hybrid, with one seed, steps and data; ' +
        'a TREC run each (and BM25\'s) on --split, compared with the label-only student and BM25; prints the summary table (docs/student.md)',
    )
    .requiredOption('--data <dir>', 'data set folder')
    .requiredOption('--init <dir>', 'the pre-trained student every variant starts from (student pretrain\'s OUT/model)')
    .requiredOption('--scores <file>', 'the teacher\'s scores.jsonl (disranker teacher score)')
    .requiredOption('--out <dir>', 'ablation folder: OUT/train/<variant>, OUT/runs/<variant>.run, OUT/summary.json, OUT/summary.md')
    .addOption(
      new Option('--betas <list>', 'the hybrid\'s β sweep, comma-separated (a value equal to --beta is student-hybrid, not trained twice)')
        .argParser((raw: string) => list(nonNegative)('--betas', raw))
        .default(ABLATION_DEFAULTS.betas, ABLATION_DEFAULTS.betas.join(',')),
    );
  addOptions(ab, ['split', ABLATION_DEFAULTS.split, { help: 'the split every variant reranks and is evaluated on: train | dev | test (of the judged queries) | judged | all | a name in DIR/splits' }]);
  addDistillOptions(ab);
  addStudentTrainOptions(ab);
  addOptions(ab, ['permutations', EVAL_DEFAULTS.permutations], ['bootstrap', EVAL_DEFAULTS.bootstrap]);
  addTrainerOptions(ab, undefined, { launch: false });
  ab.action(async (opts) => (await actions()).studentAblateAction(opts));
}

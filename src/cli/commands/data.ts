// `disranker data <what>`: import, inspect and generate data sets; build training sets from them.
// Defaults are the library's constants; the work is imported lazily from ../actions/data.js.
import type { Command } from 'commander';
import { BM25_DEFAULTS } from '../../data/bm25.js';
import { CPT_SET_DEFAULTS, DISTILL_SET_DEFAULTS, GROUP_DEFAULTS, SPLIT_DEFAULTS, SYNTH_DEFAULTS, TRANSLATION_LM_DEFAULTS } from '../../data/defaults.js';
import { addOptions, choice, int } from '../options.js';

const actions = () => import('../actions/data.js');

export function registerData(program: Command): void {
  const data = program.command('data').description('data sets: import, synthetic world, stats, BM25 and translation-LM runs, splits, training sets');
  const imp = data
    .command('import')
    .description('import IN (a file or folder, as the format needs) as a data set folder')
    .argument('<in>', 'input file or folder (trec-dl: folder with topics.tsv, qrels.txt, bm25-top100.json)')
    .requiredOption('--format <format>', 'trec-dl | msmarco | rankllm-json | wikiqa | jsonl')
    .requiredOption('--out <dir>', 'data set folder to write')
    .option('--skip-bad', 'count, report and skip bad lines instead of stopping at the first (default: stop, write nothing)')
    .option('--labels <range>', 'label range for msmarco, rankllm-json, jsonl (default 0-3)')
    .option('--qrels <file>', 'rankllm-json: TREC qrels to import with the candidates');
  addOptions(imp, ['force']);
  imp.action(async (input: string, opts) => void (await (await actions()).importCommand(input, opts)));

  data
    .command('stats')
    .description('counts, BM25 vs. ideal nDCG@10, lexical mismatch and CTR tables, measured from the files')
    .argument('<dir>', 'data set folder')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, opts) => (await actions()).statsCommand(dir, opts));

  const synth = data.command('synth').description('generate the synthetic web-search world as a data set');
  addOptions(synth, ['preset', SYNTH_DEFAULTS.preset], ['seed', SYNTH_DEFAULTS.seed, { help: 'random seed (same seed, same bytes; 0 … 2^32−1)' }], ['force'], ['quiet']);
  synth.requiredOption('--out <dir>', 'data set folder to write').action(async (opts) => (await actions()).synthCommand(opts));

  const bm25 = data
    .command('bm25')
    .description("BM25 (title + summary) run: rerank each query's candidates, or retrieve from all documents")
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'TREC run file to write')
    .option('--retrieve', 'retrieve the top --k from the whole collection instead of reranking candidates');
  addOptions(bm25, ['k', BM25_DEFAULTS.k], ['k1', BM25_DEFAULTS.k1], ['b', BM25_DEFAULTS.b], ['split'], ['judgedOnly'], ['tag', 'bm25']);
  bm25.action(async (dir: string, opts) => (await actions()).bm25Command(dir, opts));

  const tlm = data
    .command('translation-lm')
    .description("click-trained translation language model run (Berger & Lafferty 1999): rerank each query's candidates")
    .argument('<dir>', 'data set folder (with a click log)')
    .requiredOption('--out <file>', 'TREC run file to write');
  addOptions(
    tlm,
    ['k', TRANSLATION_LM_DEFAULTS.k],
    ['alphaSelf', TRANSLATION_LM_DEFAULTS.alphaSelf],
    ['mu', TRANSLATION_LM_DEFAULTS.mu],
    ['minDwell', TRANSLATION_LM_DEFAULTS.minDwell],
    ['split'],
    ['judgedOnly'],
    ['tag', 'translation-lm'],
  );
  tlm.action(async (dir: string, opts) => (await actions()).translationLmCommand(dir, opts));

  const exp = data
    .command('export')
    .description('export candidate lists as a TREC run (scores as stored), or qrels / hidden qrels as TREC qrels')
    .argument('<dir>', 'data set folder')
    .requiredOption('--what <what>', 'candidates | qrels | hidden-qrels')
    .requiredOption('--out <file>', 'file to write');
  addOptions(exp, ['tag', 'candidates']);
  exp.action(async (dir: string, opts) => (await actions()).exportCommand(dir, opts));

  const split = data
    .command('split')
    .description('split the judged queries (or all) into train/dev/test by query; writes DIR/splits/*.txt')
    .argument('<dir>', 'data set folder')
    .option('--ratios <r>', 'train,dev,test fractions', SPLIT_DEFAULTS.ratios)
    .option('--all-queries', 'split every query, not only the judged ones');
  addOptions(split, ['seed', SPLIT_DEFAULTS.seed]);
  split.action(async (dir: string, opts) => (await actions()).splitCommand(dir, opts));

  const build = data.command('build').description('build training sets (JSONL, gzip with a .gz name)');
  const cpt = build
    .command('cpt')
    .description('CPT corpus from clicks: query -> clicked title + summary')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--skip-above', 'keep a click only if a result above it was skipped (not clicked)')
    .option('--last-click', 'keep only the last click of each impression')
    .option('--no-dedup', 'one record per click instead of per (query, document) pair')
    .option('--weight <w>', 'none (click count) | pbm (PBM relevance by EM) | ipw (inverse propensity)', (raw: string) => choice(['none', 'pbm', 'ipw'] as const)('--weight', raw), CPT_SET_DEFAULTS.weight);
  addOptions(cpt, ['minDwell', CPT_SET_DEFAULTS.minDwell], ['split']);
  cpt.action(async (dir: string, opts) => (await actions()).buildCommand('cpt', dir, opts));

  const groups = build
    .command('groups')
    .description('ranking groups for SFT: each positive with hard negatives, graded labels')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--group-size <n>', 'documents per group (1 positive + n-1 negatives)', (raw: string) => int(2)('--group-size', raw), GROUP_DEFAULTS.groupSize)
    .option('--positive-label <l>', 'smallest positive label (default: 2 on graded scales, 1 on binary)', (raw: string) => int(0)('--positive-label', raw))
    .option('--hard-depth <n>', 'draw negatives from the top n lower-labelled candidates', (raw: string) => int(1)('--hard-depth', raw), GROUP_DEFAULTS.hardDepth)
    .option('--labels <which>', 'judged (qrels.txt) | hidden (synthetic hidden-qrels.txt)', (raw: string) => choice(['judged', 'hidden'] as const)('--labels', raw), GROUP_DEFAULTS.labels);
  addOptions(groups, ['seed', GROUP_DEFAULTS.seed], ['split']);
  groups.action(async (dir: string, opts) => (await actions()).buildCommand('groups', dir, opts));

  const distill = build
    .command('distill')
    .description('distillation set: per query the top-N candidates, unlabeled, for the teacher')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--candidates <n>', 'candidates per query', (raw: string) => int(1)('--candidates', raw), DISTILL_SET_DEFAULTS.candidates)
    .option('--unjudged-only', 'only queries with no human labels')
    .option('--max-queries <n>', 'at most n queries (seeded sample)', (raw: string) => int(0)('--max-queries', raw));
  addOptions(distill, ['seed', DISTILL_SET_DEFAULTS.seed], ['split']);
  distill.action(async (dir: string, opts) => (await actions()).buildCommand('distill', dir, opts));
}

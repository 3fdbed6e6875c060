// `disranker data <what>`: import, inspect and generate data sets; build training sets from them.
import type { Command } from 'commander';

export function registerData(program: Command): void {
  const data = program.command('data').description('data sets: import, synthetic world, stats, BM25, splits, training sets');
  data
    .command('import')
    .description('import IN (a file or folder, as the format needs) as a data set folder')
    .argument('<in>', 'input file or folder (trec-dl: folder with topics.tsv, qrels.txt, bm25-top100.json)')
    .requiredOption('--format <format>', 'trec-dl | msmarco | rankllm-json | wikiqa | jsonl')
    .requiredOption('--out <dir>', 'data set folder to write')
    .option('--skip-bad', 'count, report and skip bad lines instead of stopping at the first (default: stop, write nothing)')
    .option('--force', 'replace --out if it exists')
    .option('--labels <range>', 'label range for msmarco, rankllm-json, jsonl (default 0-3)')
    .option('--qrels <file>', 'rankllm-json: TREC qrels to import with the candidates')
    .action(async (input: string, opts) => {
      const { importCommand } = await import('../actions/data.js');
      await importCommand(input, opts);
    });
  data
    .command('stats')
    .description('counts, BM25 vs. ideal nDCG@10, lexical mismatch and CTR tables, measured from the files')
    .argument('<dir>', 'data set folder')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, opts) => {
      const { statsCommand } = await import('../actions/data.js');
      await statsCommand(dir, opts);
    });
  data
    .command('synth')
    .description('generate the synthetic web-search world as a data set')
    .option('--preset <name>', 'tiny | small | medium | large', 'small')
    .option('--seed <n>', 'random seed (same seed, same bytes)', '1')
    .requiredOption('--out <dir>', 'data set folder to write')
    .option('--force', 'replace --out if it exists')
    .option('--quiet', 'no progress output')
    .action(async (opts) => {
      const { synthCommand } = await import('../actions/data.js');
      await synthCommand(opts);
    });
  data
    .command('bm25')
    .description('BM25 (title + summary) run: rerank each query\'s candidates, or retrieve from all documents')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'TREC run file to write')
    .option('--retrieve', 'retrieve the top --k from the whole collection instead of reranking candidates')
    .option('--k <n>', 'results per query', '100')
    .option('--k1 <x>', 'BM25 k1', '0.9')
    .option('--b <x>', 'BM25 b', '0.4')
    .option('--tag <tag>', 'run tag', 'bm25')
    .action(async (dir: string, opts) => {
      const { bm25Command } = await import('../actions/data.js');
      await bm25Command(dir, opts);
    });
  data
    .command('export')
    .description('export candidate lists as a TREC run (scores as stored), or qrels / hidden qrels as TREC qrels')
    .argument('<dir>', 'data set folder')
    .requiredOption('--what <what>', 'candidates | qrels | hidden-qrels')
    .requiredOption('--out <file>', 'file to write')
    .option('--tag <tag>', 'run tag', 'candidates')
    .action(async (dir: string, opts) => {
      const { exportCommand } = await import('../actions/data.js');
      await exportCommand(dir, opts);
    });
  data
    .command('split')
    .description('split the judged queries (or all) into train/dev/test by query; writes DIR/splits/*.txt')
    .argument('<dir>', 'data set folder')
    .option('--ratios <r>', 'train,dev,test fractions', '0.8,0.1,0.1')
    .option('--seed <n>', 'random seed', '1')
    .option('--all-queries', 'split every query, not only the judged ones')
    .action(async (dir: string, opts) => {
      const { splitCommand } = await import('../actions/data.js');
      await splitCommand(dir, opts);
    });
  const build = data.command('build').description('build training sets (JSONL, gzip with a .gz name)');
  build
    .command('cpt')
    .description('CPT corpus from clicks: query -> clicked title + summary')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--min-dwell <s>', 'keep clicks with at least this dwell time in seconds', '0')
    .option('--skip-above', 'keep a click only if a result above it was skipped (not clicked)')
    .option('--last-click', 'keep only the last click of each impression')
    .option('--no-dedup', 'one record per click instead of per (query, document) pair')
    .option('--weight <w>', 'none (click count) | pbm (PBM relevance by EM) | ipw (inverse propensity)', 'none')
    .option('--split <name>', 'only the queries of DIR/splits/<name>.txt')
    .action(async (dir: string, opts) => {
      const { buildCommand } = await import('../actions/data.js');
      await buildCommand('cpt', dir, opts);
    });
  build
    .command('groups')
    .description('ranking groups for SFT: each positive with hard negatives, graded labels')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--group-size <n>', 'documents per group (1 positive + n-1 negatives)', '8')
    .option('--positive-label <l>', 'smallest positive label (default: 2 on graded scales, 1 on binary)')
    .option('--hard-depth <n>', 'draw negatives from the top n lower-labelled candidates', '30')
    .option('--labels <which>', 'judged (qrels.txt) | hidden (synthetic hidden-qrels.txt)', 'judged')
    .option('--seed <n>', 'random seed', '1')
    .option('--split <name>', 'only the queries of DIR/splits/<name>.txt')
    .action(async (dir: string, opts) => {
      const { buildCommand } = await import('../actions/data.js');
      await buildCommand('groups', dir, opts);
    });
  build
    .command('distill')
    .description('distillation set: per query the top-N candidates, unlabeled, for the teacher')
    .argument('<dir>', 'data set folder')
    .requiredOption('--out <file>', 'output JSONL')
    .option('--candidates <n>', 'candidates per query', '20')
    .option('--unjudged-only', 'only queries with no human labels')
    .option('--max-queries <n>', 'at most n queries (seeded sample)')
    .option('--seed <n>', 'random seed', '1')
    .option('--split <name>', 'only the queries of DIR/splits/<name>.txt')
    .action(async (dir: string, opts) => {
      const { buildCommand } = await import('../actions/data.js');
      await buildCommand('distill', dir, opts);
    });
}

// `disranker eval`: trec_eval-compatible metrics, PNR and significance tests for one or more runs.
import type { Command } from 'commander';
import { EVAL_DEFAULTS } from '../../eval/defaults.js';
import { addOptions, int } from '../options.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate TREC runs against qrels (trec_eval metrics, PNR) and compare them with the first run')
    .requiredOption('--qrels <file>', 'TREC qrels "qid iter docid rel" (.gz read transparently)')
    .option(
      '--run <file>',
      'required: TREC run "qid Q0 docid rank score tag", or a JSON candidate list (.json); repeat for more runs, the first is the baseline',
      collect,
    )
    .option(
      '--metrics <list>',
      'comma-separated metrics: ndcg_cut_K, ndcg_exp_cut_K, ndcg, map, map_cut_K, recip_rank, recip_rank_cut_K, P_K, recall_K, Rprec, pnr (aliases nDCG@K, AP, RR, RR@K, P@K, R@K)',
      EVAL_DEFAULTS.metrics,
    )
    .option('-l, --relevance-level <n>', 'minimum label counted relevant by binary metrics (trec_eval -l)', (raw: string) => int(0)('--relevance-level', raw), EVAL_DEFAULTS.relevanceLevel)
    .option('-c, --complete', 'average over all qrels queries, a query missing from a run counting 0 (trec_eval -c)', false)
    .option('-q, --per-query', 'also print per-query values', false)
    .option('--json', 'print JSON: {"runs": {...}, "comparisons": [...]}')
    .option('--markdown', 'print Markdown tables');
  addOptions(
    cmd,
    ['seed', EVAL_DEFAULTS.seed, { help: 'seed of the permutation test and the bootstrap' }],
    ['permutations', EVAL_DEFAULTS.permutations],
    ['bootstrap', EVAL_DEFAULTS.bootstrap],
    ['alpha', EVAL_DEFAULTS.alpha],
  );
  cmd.action(async (opts) => {
    const { evalAction } = await import('../actions/eval.js');
    process.stdout.write(await evalAction(opts));
  });
}

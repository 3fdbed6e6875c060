// Metric names: canonical trec_eval names, dotted forms and ir_measures-style aliases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetric, parseMetricList } from '../../src/eval/names.js';

test('aliases map to canonical trec_eval names', () => {
  const cases: Record<string, string> = {
    'nDCG@10': 'ndcg_cut_10',
    ndcg_cut_10: 'ndcg_cut_10',
    'ndcg_cut.5': 'ndcg_cut_5',
    nDCG: 'ndcg',
    ndcg_exp_cut_10: 'ndcg_exp_cut_10',
    AP: 'map',
    MAP: 'map',
    'AP@100': 'map_cut_100',
    RR: 'recip_rank',
    MRR: 'recip_rank',
    'RR@10': 'recip_rank_cut_10',
    'MRR@10': 'recip_rank_cut_10',
    'P@10': 'P_10',
    'P.10': 'P_10',
    p_10: 'P_10',
    'R@100': 'recall_100',
    'Recall@1000': 'recall_1000',
    Rprec: 'Rprec',
    'R-Prec': 'Rprec',
    PNR: 'pnr',
  };
  for (const [input, name] of Object.entries(cases)) assert.equal(parseMetric(input).name, name, input);
  assert.equal(parseMetric('P_10').k, 10);
  assert.equal(parseMetric('map').k, Infinity);
});

test('bad metric names are usage errors', () => {
  assert.throws(() => parseMetric('ndcg_10'), /"ndcg_10": unknown metric/);
  assert.throws(() => parseMetric('P_0'), /cutoff must be a positive integer/);
  assert.throws(() => parseMetric('P(rel=2)@10'), /use --relevance-level/);
  assert.throws(() => parseMetricList(' , '), /no metric given/);
});

test('metric lists drop duplicates after canonicalization', () => {
  assert.deepEqual(
    parseMetricList('nDCG@10,ndcg_cut_10,AP,map').map((m) => m.name),
    ['ndcg_cut_10', 'map'],
  );
});

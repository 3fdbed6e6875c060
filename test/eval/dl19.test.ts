// TREC DL 2019 (../shared/data/trec-dl19): BM25 top-100 as a run against the official qrels must print what
// trec_eval prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hasShared, need, SHARED_DATA } from '../helpers/env.js';
import { readHitsJson, readQrels } from '../../src/data/trec.js';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { parseMetricList } from '../../src/eval/names.js';

const DIR = join(SHARED_DATA, 'trec-dl19');

test('DL19 BM25 top-100 matches trec_eval (levels 1 and 2)', async (t) => {
  if (!need(t, hasShared('data/trec-dl19'), '../shared/data/trec-dl19 is absent')) return;
  const qrels = await readQrels(join(DIR, 'qrels.txt'));
  const run = await readHitsJson(join(DIR, 'bm25-top100.json'));
  const metrics = parseMetricList('ndcg_cut_10,map,recip_rank');
  const l1 = evaluateRun(qrels, run, metrics);
  assert.equal(l1.queries.length, 43);
  const f = (e: typeof l1, m: string) => (e.summary.get(m) as number).toFixed(4);
  assert.equal(f(l1, 'ndcg_cut_10'), '0.5058');
  assert.equal(f(l1, 'map'), '0.2993');
  assert.equal(f(l1, 'recip_rank'), '0.8245');
  const l2 = evaluateRun(qrels, run, metrics, { relevanceLevel: 2 });
  assert.equal(f(l2, 'map'), '0.2476');
  assert.equal(f(l2, 'recip_rank'), '0.7036');
  assert.equal(f(l2, 'ndcg_cut_10'), '0.5058'); // gains are the labels: -l does not change nDCG
});

// Hand-computed metric values: ties, unjudged documents, queries without relevant documents, query-set rules, PNR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQrels, parseRun } from '../../src/data/trec.js';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { parseMetricList } from '../../src/eval/names.js';
import { rankQuery } from '../../src/eval/ranking.js';
import { ndcg } from '../../src/eval/ndcg.js';
import { averagePrecision } from '../../src/eval/map.js';
import { reciprocalRank } from '../../src/eval/reciprocal-rank.js';
import { precisionAt } from '../../src/eval/precision.js';
import { recallAt } from '../../src/eval/recall.js';
import { rPrecision } from '../../src/eval/rprec.js';
import { pairCounts, summarizePnr } from '../../src/eval/pnr.js';

const close = (actual: number, expected: number, eps = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);

// One query: qrels a=3, c=1, d=2, z=0 (z never retrieved); run ranks a, x (unjudged), c.
const judged = new Map([
  ['a', 3],
  ['c', 1],
  ['d', 2],
  ['z', 0],
]);
const scores = new Map([
  ['a', 3],
  ['x', 2],
  ['c', 1],
]);
const q = rankQuery(scores, judged);

test('nDCG: linear gain, log2(rank+1), ideal from all judged documents, unjudged = 0', () => {
  const dcg3 = 3 + 0 + 1 / Math.log2(4);
  const idcg3 = 3 + 2 / Math.log2(3) + 1 / Math.log2(4);
  close(ndcg(q, 3), dcg3 / idcg3); // 0.7350
  close(ndcg(q, 1), 1);
  close(ndcg(q, 2), 3 / (3 + 2 / Math.log2(3)));
  // Whole ranking: the ideal has all three positive labels.
  close(ndcg(q, Infinity), dcg3 / idcg3);
  // Exponential gain 2^l − 1: 7, 0, 1 against 7, 3, 1.
  close(ndcg(q, 3, 'exp'), (7 + 1 / 2) / (7 + 3 / Math.log2(3) + 1 / 2));
});

test('AP, RR, P, recall, Rprec at relevance levels 1 and 2', () => {
  // Level 1: relevant a, c, d (R = 3); retrieved relevant at ranks 1 and 3.
  close(averagePrecision(q, 1), (1 / 1 + 2 / 3) / 3);
  close(averagePrecision(q, 1, 2), 1 / 3); // map_cut_2
  close(reciprocalRank(q, 1), 1);
  close(precisionAt(q, 1, 2), 1 / 2);
  close(precisionAt(q, 1, 5), 2 / 5); // divisor stays k when fewer documents are retrieved
  close(recallAt(q, 1, 2), 1 / 3);
  close(rPrecision(q, 1), 2 / 3);
  // Level 2: relevant a, d (R = 2); c no longer counts.
  close(averagePrecision(q, 2), 1 / 2);
  close(rPrecision(q, 2), 1 / 2);
  close(recallAt(q, 2, 100), 1 / 2);
  // Level 4: nothing is relevant: every binary metric is 0.
  for (const v of [averagePrecision(q, 4), reciprocalRank(q, 4), precisionAt(q, 4, 3), recallAt(q, 4, 3), rPrecision(q, 4)]) {
    assert.equal(v, 0);
  }
});

test('ties are broken by docid descending (bytes), as trec_eval does', () => {
  const qrels = parseQrels('1 0 d10 1\n1 0 d9 0\n1 0 d2 0\n', 'q');
  // All scores tie: trec_eval order is d9, d2, d10 ("d9" > "d2" > "d10" by strcmp).
  const run = parseRun('1 Q0 d10 1 5 t\n1 Q0 d9 2 5 t\n1 Q0 d2 3 5 t\n', 'r');
  const e = evaluateRun(qrels, run, parseMetricList('recip_rank,P_1,ndcg_cut_3,map'));
  close(e.summary.get('recip_rank') as number, 1 / 3);
  assert.equal(e.summary.get('P_1'), 0);
  close(e.summary.get('ndcg_cut_3') as number, 1 / Math.log2(4));
  close(e.summary.get('map') as number, 1 / 3);
  // The rank column is ignored: the same run with ranks reversed evaluates the same.
  const rerank = parseRun('1 Q0 d10 3 5 t\n1 Q0 d9 1 5 t\n1 Q0 d2 2 5 t\n', 'r');
  assert.deepEqual(evaluateRun(qrels, rerank, parseMetricList('recip_rank')).summary, new Map([['recip_rank', 1 / 3]]));
});

test('negative qrels labels are "unjudged": never relevant, no gain, no pairs', () => {
  const qr = rankQuery(new Map([['a', 1]]), new Map([['a', -1], ['b', 1]]));
  assert.equal(qr.labels[0], -1);
  assert.equal(reciprocalRank(qr, 0), 0);
  assert.equal(ndcg(qr, 10), 0);
  assert.deepEqual(pairCounts(new Map([['a', 1], ['b', 0]]), new Map([['a', -1], ['b', 1]])), { concordant: 0, discordant: 0 });
});

test('query-set rules: run-only queries skipped, no-relevant queries count 0, -c counts missing queries 0', () => {
  const qrels = parseQrels(
    [
      'q1 0 a 1', // q1: one relevant document, retrieved first
      'q2 0 b 0', // q2: judged, but nothing relevant
      'q3 0 c 1', // q3: not in the run
    ].join('\n'),
    'q',
  );
  const run = parseRun(['q1 Q0 a 1 2 t', 'q1 Q0 x 2 1 t', 'q2 Q0 b 1 2 t', 'q9 Q0 a 1 2 t'].join('\n'), 'r');
  const metrics = parseMetricList('map,recip_rank,ndcg_cut_10,P_1,recall_10,Rprec');
  const e = evaluateRun(qrels, run, metrics);
  assert.deepEqual(e.queries, ['q1', 'q2']);
  assert.deepEqual(e.skipped, ['q9']);
  assert.deepEqual(e.missing, ['q3']);
  for (const m of ['map', 'recip_rank', 'ndcg_cut_10', 'P_1', 'recall_10', 'Rprec']) {
    assert.equal(e.summary.get(m), 0.5, m); // q1 = 1, q2 = 0 (counted), mean 0.5
  }
  const c = evaluateRun(qrels, run, metrics, { complete: true });
  assert.deepEqual(c.queries, ['q1', 'q2', 'q3']);
  for (const m of ['map', 'recip_rank', 'ndcg_cut_10']) close(c.summary.get(m) as number, 1 / 3);
  // No query in common: an error naming the run.
  assert.throws(
    () => evaluateRun(qrels, parseRun('zz Q0 a 1 1 t', 'r'), metrics, { runName: 'my.run' }),
    /my\.run: no query has both results and relevance judgements/,
  );
});

test('PNR: ties count half, only judged documents form pairs, pooled and per-query', () => {
  // a(2, score 3) b(1, 3) c(0, 1) d(1, 5), e unjudged (10), f judged 2 but not retrieved.
  const labels = new Map([
    ['a', 2],
    ['b', 1],
    ['c', 0],
    ['d', 1],
    ['f', 2],
  ]);
  const s = new Map([
    ['a', 3],
    ['b', 3],
    ['c', 1],
    ['d', 5],
    ['e', 10],
  ]);
  // Pairs: a>b tie (½, ½); a>c C; a>d D; b>c C; d>c C. b,d same label: no pair.
  const counts = pairCounts(s, labels);
  assert.deepEqual(counts, { concordant: 3.5, discordant: 1.5 });

  const qrels = parseQrels(
    ['1 0 a 2', '1 0 b 1', '1 0 c 0', '1 0 d 1', '1 0 f 2', '2 0 u 1', '2 0 v 1', '3 0 p 1', '3 0 n 0'].join('\n'),
    'q',
  );
  const run = parseRun(
    [
      '1 Q0 a 1 3 t',
      '1 Q0 b 2 3 t',
      '1 Q0 c 3 1 t',
      '1 Q0 d 4 5 t',
      '1 Q0 e 5 10 t',
      '2 Q0 u 1 2 t', // query 2: equal labels, no pair: left out of the per-query mean
      '2 Q0 v 2 1 t',
      '3 Q0 p 1 2 t', // query 3: one concordant pair
      '3 Q0 n 2 1 t',
    ].join('\n'),
    'r',
  );
  const e = evaluateRun(qrels, run, parseMetricList('pnr'));
  close(e.summary.get('pnr') as number, 4.5 / 1.5);
  close(e.summary.get('pnr_pair_acc') as number, (3.5 / 5 + 1) / 2);
  assert.equal(e.summary.get('pnr_pair_acc_left_out'), 1);
  const acc = e.perQuery.get('pnr_pair_acc') as Float64Array;
  close(acc[0], 0.7);
  assert.ok(Number.isNaN(acc[1]));
  assert.equal(acc[2], 1);
});

test('PNR pooled is inf when no pair is discordant, NaN when there is no pair', () => {
  assert.equal(summarizePnr([{ concordant: 3, discordant: 0 }]).pooled, Infinity);
  const none = summarizePnr([{ concordant: 0, discordant: 0 }]);
  assert.ok(Number.isNaN(none.pooled));
  assert.ok(Number.isNaN(none.meanPairAccuracy));
  assert.equal(none.queriesLeftOut, 1);
});

test('PNR pair counting matches a brute-force count', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let trial = 0; trial < 20; trial++) {
    const labels = new Map<string, number>();
    const sc = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      if (rnd() < 0.8) labels.set(`d${i}`, Math.floor(rnd() * 4) - (rnd() < 0.1 ? 2 : 0));
      if (rnd() < 0.9) sc.set(`d${i}`, Math.floor(rnd() * 6)); // few distinct scores: many ties
    }
    let c = 0;
    let d = 0;
    const docs = [...sc.keys()].filter((id) => (labels.get(id) ?? -1) >= 0);
    for (const i of docs) {
      for (const j of docs) {
        const li = labels.get(i) as number;
        const lj = labels.get(j) as number;
        if (li <= lj) continue;
        const si = sc.get(i) as number;
        const sj = sc.get(j) as number;
        if (si > sj) c++;
        else if (si < sj) d++;
        else {
          c += 0.5;
          d += 0.5;
        }
      }
    }
    assert.deepEqual(pairCounts(sc, labels), { concordant: c, discordant: d });
  }
});

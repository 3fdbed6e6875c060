// The synthetic world, measured from its files: BM25 below the ideal, lexical mismatch, position-biased clicks;
// same seed, same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { datasetStats as computeStats } from '../../src/eval/orderings.js';
import { openDataset } from '../../src/data/dataset.js';
import { judgedSplits } from '../../src/data/sets/split.js';
import { terms } from '../../src/data/tokenize.js';

const root = mkdtempSync(join(tmpdir(), 'dr-synth-'));
const A = join(root, 'a');
// tiny, with more impressions so the CTR comparisons rest on enough clicks
const world = generateSynthetic({ preset: 'tiny', seed: 7, out: A, overrides: { impressions: 4000 } });

test('tiny preset writes a complete data set', async () => {
  await world;
  const ds = await openDataset(A);
  assert.deepEqual(ds.meta.files, ['candidates.jsonl', 'clicks.jsonl.gz', 'documents.jsonl.gz', 'hidden-qrels.txt', 'hidden-world.json', 'qrels.txt', 'queries.jsonl']);
  assert.deepEqual([ds.meta.labels.min, ds.meta.labels.max], [0, 4]);
  const queries = await ds.loadQueries();
  const judged = await ds.qrels();
  const hidden = await ds.hiddenQrels();
  assert.equal(queries.size, 60);
  assert.equal(judged.size, 20);
  assert.equal(hidden.size, 60);
  // the judged subset's labels are the hidden labels
  for (const [qid, docs] of judged) for (const [d, l] of docs) assert.equal(hidden.get(qid)?.get(d), l);
  // click-log queries are disjoint from the judged ones
  let n = 0;
  for await (const imp of ds.impressions()) {
    assert.equal(judged.has(imp.qid), false);
    assert.equal(imp.results.length, 10);
    n++;
  }
  assert.equal(n, 4000);
});

test('same seed gives byte-identical files; another seed differs', async () => {
  await world;
  const B = join(root, 'b');
  const C = join(root, 'c');
  await generateSynthetic({ preset: 'tiny', seed: 7, out: B, overrides: { impressions: 4000 } });
  await generateSynthetic({ preset: 'tiny', seed: 8, out: C, overrides: { impressions: 4000 } });
  for (const f of readdirSync(A)) {
    assert.ok(readFileSync(join(A, f)).equals(readFileSync(join(B, f))), `${f} differs between two runs with the same seed`);
  }
  assert.equal(readFileSync(join(A, 'queries.jsonl')).equals(readFileSync(join(C, 'queries.jsonl'))), false);
});

test('stats from the files: BM25 clearly below the ideal, relevant documents without a shared term', async () => {
  await world;
  const s = await computeStats(A);
  const hidden = s.orderings.find((o) => o.labels === 'hidden');
  assert.ok(hidden);
  assert.equal(hidden.queries, 60);
  assert.equal(hidden.ndcg10.ideal, 1);
  assert.ok(hidden.ndcg10.bm25 < 0.85, `BM25 nDCG@10 ${hidden.ndcg10.bm25} should be clearly below 1`);
  assert.ok(hidden.ndcg10.bm25 > 0.3, `BM25 nDCG@10 ${hidden.ndcg10.bm25} should work partially`);
  assert.ok(s.lexicalMismatch && s.lexicalMismatch.share > 0.2, `share without a shared term: ${s.lexicalMismatch?.share}`);
  assert.ok(s.lexicalMismatch.share < 0.8);
});

test('vocabulary coverage: the test queries\' terms counted in the train queries and in the clicked queries', async () => {
  await world;
  const s = await computeStats(A);
  const v = s.vocabularyCoverage;
  assert.ok(v);
  // recount by hand from the files
  const ds = await openDataset(A);
  const queries = await ds.loadQueries();
  const { splits } = await judgedSplits(ds);
  const clicked = new Set<string>();
  for await (const imp of ds.impressions()) if (imp.results.some((r) => r.clicked)) clicked.add(imp.qid);
  const words = (q: string) => new Set(terms(queries.get(q)?.text ?? ''));
  const train = new Set(splits.train.flatMap((q) => [...words(q)]));
  const clicks = new Set([...clicked].flatMap((q) => [...words(q)]));
  const testTerms = splits.test.flatMap((q) => [...words(q)]);
  assert.equal(v.testTerms, testTerms.length);
  assert.ok(v.testTerms > 0);
  assert.equal(v.inTrainQueries, testTerms.filter((t) => train.has(t)).length / testTerms.length);
  assert.equal(v.inClickLog, testTerms.filter((t) => clicks.has(t)).length / testTerms.length);
  assert.equal(v.inClickLogOnly, testTerms.filter((t) => clicks.has(t) && !train.has(t)).length / testTerms.length);
  // the click log's thousands of impressions name more of the vocabulary than 14 training queries do
  assert.ok(v.inClickLog > v.inTrainQueries, JSON.stringify(v));
});

test('CTR falls with position at equal relevance and rises with relevance at equal position', async () => {
  await world;
  const s = await computeStats(A);
  const t = s.ctr;
  assert.ok(t);
  assert.equal(t.unlabeled, 0);
  const ctr = (positions: number[], labels: number[]) => {
    let c = 0;
    let n = 0;
    for (const p of positions) {
      for (const l of labels) {
        c += t.clicks[p - 1][l];
        n += t.shown[p - 1][l];
      }
    }
    return { ctr: n ? c / n : NaN, n };
  };
  // at equal relevance: top positions vs bottom positions
  for (const labels of [[1], [2], [3], [4]]) {
    const top = ctr([1, 2, 3], labels);
    const bottom = ctr([8, 9, 10], labels);
    if (top.n < 30 || bottom.n < 30) continue;
    assert.ok(top.ctr > bottom.ctr, `label ${labels}: CTR top ${top.ctr} should exceed bottom ${bottom.ctr}`);
  }
  // at equal position: more relevant, more clicks
  for (let p = 1; p <= 10; p++) {
    const low = ctr([p], [0, 1]);
    const high = ctr([p], [3, 4]);
    if (low.n < 30 || high.n < 30) continue;
    assert.ok(high.ctr > low.ctr, `position ${p}: CTR of labels 3-4 (${high.ctr}) should exceed labels 0-1 (${low.ctr})`);
  }
  const allTop = ctr([1], [0, 1, 2, 3, 4]);
  const allBottom = ctr([10], [0, 1, 2, 3, 4]);
  assert.ok(allTop.ctr > 2 * allBottom.ctr);
});

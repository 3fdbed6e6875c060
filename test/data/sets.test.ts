// Training sets: CPT from clicks (filters, de-dup, weights), SFT groups, distillation sets, splits; the PBM; BM25.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { openDataset } from '../../src/data/dataset.js';
import { buildCpt, buildDistill, buildGroups, keptClicks } from '../../src/data/sets/training-sets.js';
import { estimatePbm } from '../../src/data/sets/click-model.js';
import { splitQueries, writeSplits } from '../../src/data/sets/split.js';
import { Random } from '../../src/util/random.js';
import { Bm25Index } from '../../src/data/bm25.js';
import { terms } from '../../src/data/tokenize.js';
import type { Impression } from '../../src/data/schema.js';

const root = mkdtempSync(join(tmpdir(), 'dr-build-'));
const DIR = join(root, 'ds');
const ready = generateSynthetic({ preset: 'tiny', seed: 3, out: DIR });

function jsonl(path: string): any[] {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  return buf.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

const imp = (clicks: [boolean, number][]): Impression => ({
  id: 'i',
  qid: 'q',
  query: 'x',
  results: clicks.map(([clicked, dwell], i) => ({ position: i + 1, docid: `d${i + 1}`, title: '', summary: '', url: '', clicked, dwell })),
});

test('click filters: min dwell, skip-above, last click', () => {
  const i = imp([
    [true, 5],
    [false, 0],
    [true, 40],
    [true, 12],
  ]);
  assert.deepEqual(keptClicks(i, {}).map((r) => r.docid), ['d1', 'd3', 'd4']);
  assert.deepEqual(keptClicks(i, { minDwell: 10 }).map((r) => r.docid), ['d3', 'd4']);
  assert.deepEqual(keptClicks(i, { skipAbove: true }).map((r) => r.docid), ['d3', 'd4']);
  assert.deepEqual(keptClicks(i, { lastClick: true }).map((r) => r.docid), ['d4']);
});

test('CPT corpus: one record per clicked (query, document), text from the log, weights', async () => {
  await ready;
  const ds = await openDataset(DIR);
  const out = join(root, 'cpt.jsonl');
  const r = await buildCpt(ds, { out });
  const recs = jsonl(out);
  assert.equal(recs.length, r.records);
  assert.ok(r.records > 50 && r.records < r.kept);
  const keys = new Set(recs.map((x) => `${x.qid} ${x.docid}`));
  assert.equal(keys.size, recs.length, 'de-duplicated');
  const docs = await ds.loadDocuments();
  for (const x of recs) {
    assert.equal(x.title, docs.get(x.docid)?.title);
    assert.equal(x.summary, docs.get(x.docid)?.summary);
    assert.equal(x.weight, x.clicks);
  }
  const r2 = await buildCpt(ds, { out: join(root, 'cpt-dwell.jsonl.gz'), minDwell: 30, dedup: false });
  assert.ok(r2.kept < r.kept);
  assert.equal(jsonl(join(root, 'cpt-dwell.jsonl.gz')).length, r2.kept);
  const r3 = await buildCpt(ds, { out: join(root, 'cpt-pbm.jsonl'), weight: 'pbm' });
  assert.ok(r3.pbm);
  for (const x of jsonl(join(root, 'cpt-pbm.jsonl'))) assert.ok(x.weight >= 0 && x.weight <= 1, `weight ${x.weight}`);
  // debiased relevance agrees with the hidden labels more often than not
  const hidden = await ds.hiddenQrels();
  const recsP = jsonl(join(root, 'cpt-pbm.jsonl'));
  const hi = recsP.filter((x) => (hidden.get(x.qid)?.get(x.docid) ?? 0) >= 3).map((x) => x.weight);
  const lo = recsP.filter((x) => (hidden.get(x.qid)?.get(x.docid) ?? 0) <= 1).map((x) => x.weight);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(hi) > mean(lo), `PBM relevance of labels 3-4 (${mean(hi)}) should exceed labels 0-1 (${mean(lo)})`);
});

test('PBM by EM recovers the examination propensities of a simulated log', async () => {
  const rng = new Random(11);
  const theta = [1, 0.6, 0.45, 0.35, 0.3];
  const gamma = Array.from({ length: 40 }, () => 0.1 + 0.8 * rng.next());
  const log: Impression[] = [];
  for (let n = 0; n < 20000; n++) {
    const docs = rng.sample([...gamma.keys()], 5);
    log.push({
      id: `i${n}`,
      qid: 'q',
      query: 'q',
      results: docs.map((d, k) => {
        const clicked = rng.next() < theta[k] * gamma[d];
        return { position: k + 1, docid: `d${d}`, title: '', summary: '', url: '', clicked, dwell: clicked ? 1 : 0 };
      }),
    });
  }
  const m = await estimatePbm((async function* () { yield* log; })(), 50);
  for (let k = 0; k < 5; k++) assert.ok(Math.abs(m.propensity[k] - theta[k]) < 0.05, `θ_${k + 1}: ${m.propensity[k]} vs ${theta[k]}`);
});

test('splits by query: disjoint, complete, seeded', async () => {
  const ids = Array.from({ length: 100 }, (_, i) => `q${i}`);
  const s = splitQueries(ids, [0.8, 0.1, 0.1], 5);
  assert.deepEqual([s.train.length, s.dev.length, s.test.length], [80, 10, 10]);
  assert.equal(new Set([...s.train, ...s.dev, ...s.test]).size, 100);
  assert.deepEqual(splitQueries([...ids].reverse(), [0.8, 0.1, 0.1], 5), s);
  assert.notDeepEqual(splitQueries(ids, [0.8, 0.1, 0.1], 6).train, s.train);
});

test('SFT groups: positive first, lower-labelled hard negatives, no query outside its split', async () => {
  await ready;
  const ds = await openDataset(DIR);
  const counts = await writeSplits(ds, { ratios: [0.6, 0.2, 0.2], seed: 1 });
  assert.deepEqual(counts, { train: 12, dev: 4, test: 4 });
  const train = new Set(await ds.split('train'));
  const test_ = new Set(await ds.split('test'));
  const out = join(root, 'groups.jsonl');
  const r = await buildGroups(ds, { out, groupSize: 6, seed: 2, qids: train });
  const groups = jsonl(out);
  assert.equal(groups.length, r.groups);
  assert.ok(r.groups > 10);
  for (const g of groups) {
    assert.ok(train.has(g.qid) && !test_.has(g.qid));
    assert.equal(g.docs.length, 6);
    assert.ok(g.docs[0].label >= 2);
    for (const d of g.docs.slice(1)) assert.ok(d.label < g.docs[0].label);
    assert.equal(new Set(g.docs.map((d: any) => d.docid)).size, 6);
  }
  const again = join(root, 'groups2.jsonl');
  await buildGroups(ds, { out: again, groupSize: 6, seed: 2, qids: train });
  assert.ok(readFileSync(out).equals(readFileSync(again)), 'seeded');
});

test('distillation set: N unlabeled candidates per unjudged query', async () => {
  await ready;
  const ds = await openDataset(DIR);
  const out = join(root, 'distill.jsonl');
  const r = await buildDistill(ds, { out, candidates: 7, unjudgedOnly: true });
  const judged = await ds.qrels();
  const recs = jsonl(out);
  assert.equal(recs.length, 40);
  assert.equal(r.pairs, 280);
  for (const x of recs) {
    assert.equal(judged.has(x.qid), false);
    assert.equal(x.docs.length, 7);
    assert.equal('label' in x.docs[0], false);
    assert.equal(typeof x.docs[0].summary, 'string');
  }
});

test('BM25: Lucene idf, k1/b saturation, ranking', () => {
  const idx = new Bm25Index({ k1: 1.2, b: 0.75 });
  idx.add('a', 'Cheap flights to Paris');
  idx.add('b', 'Paris hotels and Paris flights');
  idx.add('c', 'Rome pizza');
  assert.deepEqual(terms('The Paris-Rome flights, 2024!'), ['pari', 'rome', 'flight', '2024']); // Porter stems
  // idf(paris) with N = 3, df = 2
  assert.ok(Math.abs(idx.idf('pari') - Math.log(1 + (3 - 2 + 0.5) / 2.5)) < 1e-12);
  const avgdl = (3 + 4 + 2) / 3;
  const tfPart = (tf: number, dl: number) => (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * dl) / avgdl));
  const [sa, sb, sc] = idx.scoreDocs('paris', ['a', 'b', 'c']);
  assert.ok(Math.abs(sa - idx.idf('pari') * tfPart(1, 3)) < 1e-12);
  assert.ok(Math.abs(sb - idx.idf('pari') * tfPart(2, 4)) < 1e-12);
  assert.equal(sc, 0);
  assert.deepEqual(idx.search('cheap paris', 2).map((h) => h.docid), ['a', 'b']);
});

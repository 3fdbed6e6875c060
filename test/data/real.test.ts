// Importers on the real data in ../shared/data (skipped when it is absent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DATA, hasShared, need } from '../helpers/env.js';
import { importTrecDl } from '../../src/data/import/trec-dl.js';
import { importWikiqa } from '../../src/data/import/wikiqa.js';
import { openDataset } from '../../src/data/dataset.js';
import { scoreOrderings } from '../../src/eval/orderings.js';
import { Bm25Index, documentText } from '../../src/data/bm25.js';

test('TREC DL 2019: 43 queries x 100 candidates, 9,260 judgments', async (t) => {
  if (!need(t, hasShared('data/trec-dl19'), '../shared/data/trec-dl19 is absent')) return;
  const out = join(mkdtempSync(join(tmpdir(), 'dr-dl19-')), 'ds');
  const r = await importTrecDl(join(SHARED_DATA, 'trec-dl19'), { out });
  assert.equal(r.meta.counts.queries, 43);
  assert.equal(r.meta.counts.judgments, 9260);
  const ds = await openDataset(out);
  assert.deepEqual(ds.meta.labels.min, 0);
  assert.deepEqual(ds.meta.labels.max, 3);
  const cand = await ds.loadCandidates();
  assert.equal(cand.size, 43);
  for (const hits of cand.values()) assert.equal(hits.length, 100);
  const qrels = await ds.qrels();
  let n = 0;
  for (const d of qrels.values()) n += d.size;
  assert.equal(n, 9260);
  const docs = await ds.loadDocuments();
  assert.equal(docs.get(cand.get('264014')?.[0].docid as string)?.title, '');
  // The candidates' own order is Anserini's BM25: its nDCG@10 is the published 0.5058.
  const bm25 = new Bm25Index();
  for (const d of docs.values()) bm25.add(d.docid, documentText(d));
  const queries = new Map([...(await ds.loadQueries()).values()].map((q) => [q.qid, q.text]));
  const o = scoreOrderings('judged', qrels, cand, queries, bm25);
  assert.equal(o.ndcg10.candidates.toFixed(4), '0.5058');
  assert.equal(o.ndcg10.ideal, 1);
});

test('WikiQA train: 2,118 questions, 20,360 rows', async (t) => {
  if (!need(t, hasShared('data/wikiqa'), '../shared/data/wikiqa is absent')) return;
  const out = join(mkdtempSync(join(tmpdir(), 'dr-wikiqa-')), 'ds');
  const r = await importWikiqa(join(SHARED_DATA, 'wikiqa', 'WikiQA-train.tsv.gz'), { out });
  assert.equal(r.meta.counts.queries, 2118);
  assert.equal(r.meta.counts.rows, 20360);
  const ds = await openDataset(out);
  assert.deepEqual([ds.meta.labels.min, ds.meta.labels.max], [0, 1]);
  const qrels = await ds.qrels();
  let n = 0;
  let pos = 0;
  for (const d of qrels.values()) {
    for (const l of d.values()) {
      n++;
      pos += l;
    }
  }
  assert.equal(n, 20360);
  assert.equal(pos, 1040);
  const docs = await ds.loadDocuments();
  const d = docs.get('D1-0');
  assert.equal(d?.title, 'Glacier cave');
  assert.equal(d?.summary, 'A partly submerged glacier cave on Perito Moreno Glacier .');
  assert.equal(d?.url, 'https://en.wikipedia.org/wiki/Glacier_cave');
});

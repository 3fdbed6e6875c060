// The ranker-training groups: which train queries and positives can make a group, and what a group holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleGroup, trainQueries } from '../../src/pipeline/ranking-data.js';
import { Random } from '../../src/util/random.js';

const cands = (ids: string[]) => ids.map((docid) => ({ docid }));
const labels = (o: Record<string, number>) => new Map(Object.entries(o));

test('trainQueries: a positive needs a lower-labelled candidate; a query without one is left out', () => {
  const candidates = new Map([
    ['all-relevant', cands(['b', 'a', 'c'])], // labels 3, 2, 2: only the 3 has a lower candidate
    ['only-twos', cands(['d', 'e'])], // labels 2, 2: nothing to pair with
    ['usual', cands(['f', 'g', 'h', 'gone'])], // 0 (unjudged), 2, 1; 'gone' is not a known document
  ]);
  const judged = new Map([
    ['all-relevant', labels({ a: 2, b: 3, c: 2 })],
    ['only-twos', labels({ d: 2, e: 2 })],
    ['usual', labels({ g: 2, h: 1, gone: 4 })],
  ]);
  const q = trainQueries(['all-relevant', 'only-twos', 'usual', 'no-list'], candidates, judged, (d) => d !== 'gone', 2);
  assert.deepEqual(q.map((x) => x.qid), ['all-relevant', 'usual']);
  assert.deepEqual(q[0].positives, [{ docid: 'b', label: 3 }]);
  assert.deepEqual(q[1].scored, [{ docid: 'f', label: 0 }, { docid: 'g', label: 2 }, { docid: 'h', label: 1 }]);
  assert.deepEqual(q[1].positives, [{ docid: 'g', label: 2 }]);

  // every group has its positive first and only lower-labelled negatives (the list of 2s and a 3 included)
  const item = (qid: string, docid: string) => ({ query: qid, title: docid, summary: '' });
  const rng = new Random(3);
  for (let i = 0; i < 200; i++) {
    const g = sampleGroup(q, item, rng, 4, 50);
    assert.equal(g.items.length, 4);
    assert.ok(g.labels.slice(1).every((l) => l < g.labels[0]), JSON.stringify(g.labels));
  }
});

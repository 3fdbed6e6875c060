// The click-trained translation LM: t(q|w) and one score by hand; a run over a generated tiny world.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { openDataset } from '../../src/data/dataset.js';
import { TRANSLATION_LM_DEFAULTS } from '../../src/data/defaults.js';
import { keptClicks } from '../../src/data/sets/training-sets.js';
import type { Impression } from '../../src/data/schema.js';
import { TranslationLm } from '../../src/data/translation-lm.js';
import { CPT_DEFAULTS } from '../../src/pipeline/defaults.js';
import { translationLmRun } from '../../src/cli/actions/data.js';

const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1e-12, `${what}: got ${got}, want ${want}`);

test('translation LM by hand: 2 clicks, 3 documents, α_self = 0.5, μ = 2', () => {
  const lm = new TranslationLm({ alphaSelf: 0.5, mu: 2 });
  // c(car, auto) = 2, c(price, auto) = 1; c(car, cost) = c(price, cost) = 1; c(car, review) = 1
  lm.addClick('car price', { title: 'Auto', summary: 'cost' });
  lm.addClick('car', { title: 'Auto', summary: 'review' });
  close(lm.learnt('car', 'auto')!, 2 / 3, 't(car|auto)');
  close(lm.learnt('price', 'auto')!, 1 / 3, 't(price|auto)');
  close(lm.learnt('car', 'cost')!, 1 / 2, 't(car|cost)');
  close(lm.learnt('car', 'review')!, 1, 't(car|review)');
  assert.equal(lm.learnt('auto', 'auto'), 0);
  assert.equal(lm.learnt('car', 'cheap'), undefined);
  close(lm.translation('car', 'auto'), 1 / 3, "t'(car|auto)");
  close(lm.translation('auto', 'auto'), 1 / 2, "t'(auto|auto)");
  assert.equal(lm.translation('cheap', 'cheap'), 1, 'a word no click saw translates to itself');
  assert.equal(lm.translation('car', 'cheap'), 0);

  // collection: car car review | auto auto cost | price cheap → |C| = 8
  for (const [title, summary] of [['Car', 'car review'], ['Auto', 'auto cost'], ['Price', 'cheap']]) lm.addDocument({ title, summary });
  close(lm.collectionProbability('car'), 2 / 8, 'P(car|C)');
  close(lm.collectionProbability('zebra'), 0.5 / 8, 'P(zebra|C), the floor');
  // d2 = auto auto cost (|d| = 3):
  //   P_tr(car|d2)   = t'(car|auto)·2/3 + t'(car|cost)·1/3     = 1/3·2/3 + 1/4·1/3 = 11/36; (3·11/36 + 2·2/8) / 5 = 17/60
  //   P_tr(price|d2) = t'(price|auto)·2/3 + t'(price|cost)·1/3 = 1/6·2/3 + 1/4·1/3 = 7/36;  (3·7/36 + 2·1/8) / 5 = 1/6
  close(lm.score('car price', { title: 'Auto', summary: 'auto cost' }), Math.log(17 / 60) + Math.log(1 / 6), 'log P(car price | d2)');
  assert.throws(() => new TranslationLm({ alphaSelf: 1.5 }), /α_self must be in \[0, 1\]/);
  assert.throws(() => new TranslationLm({ mu: 0 }), /μ must be a finite number > 0/);
});

test('translation LM defaults: minimum dwell as the teacher CPT', () => {
  assert.equal(TRANSLATION_LM_DEFAULTS.minDwell, CPT_DEFAULTS.minDwell);
});

test('translation LM on a tiny world: every judged query gets every candidate, finite scores; judged clicks left out', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dr-tlm-')), 'ds');
  await generateSynthetic({ preset: 'tiny', seed: 4, out: dir });
  const ds = await openDataset(dir);
  // judge one query of the click log too: its clicks must not train the model
  let clicked: Impression | undefined;
  for await (const imp of ds.impressions()) if (!clicked && keptClicks(imp, TRANSLATION_LM_DEFAULTS).length > 0) clicked = imp;
  appendFileSync(join(dir, 'qrels.txt'), `${clicked!.qid} 0 ${clicked!.results[0].docid} 1\n`);
  const qrels = await ds.qrels();
  assert.ok(qrels.has(clicked!.qid));
  const candidates = await ds.loadCandidates();
  const opts = { ...TRANSLATION_LM_DEFAULTS, judgedOnly: true };
  const { run, kept } = await translationLmRun(ds, opts);
  assert.deepEqual([...run.keys()].sort(), [...qrels.keys()].sort());
  for (const [qid, docs] of run) {
    assert.deepEqual([...docs.keys()].sort(), (candidates.get(qid) ?? []).map((h) => h.docid).sort(), qid);
    for (const s of docs.values()) assert.ok(Number.isFinite(s), `${qid}: score ${s}`);
  }
  let want = 0;
  let all = 0;
  for await (const imp of ds.impressions()) {
    const n = keptClicks(imp, opts).length;
    all += n;
    if (!qrels.has(imp.qid)) want += n;
  }
  assert.ok(want > 0 && want < all, `${want} of ${all}`);
  assert.equal(kept, want);
});

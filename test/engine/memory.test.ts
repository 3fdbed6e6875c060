// Scopes free what they should and keep what they return; training runs at flat memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispose, engineAvailable, isGradEnabled, keep, liveTensors, manualSeed, mseLoss, noGrad, noGradGuard, ones, randint, randn, tidy, zeros } from '../../src/engine/index.js';
import { BertForSequenceClassification, bertConfig } from '../../src/models/bert.js';
import { AdamW } from '../../src/train/optimizer.js';
import { need } from '../helpers/env.js';

test('tidy frees intermediates and keeps what it returns (nested, arrays, objects)', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const base = liveTensors();
  const out = tidy(() => {
    const a = ones([2, 2]);
    const b = a.add(1);
    const inner = tidy(() => {
      const c = b.mul(3);
      c.exp(); // dropped
      return { c, list: [c.neg()] };
    });
    assert.equal(liveTensors(), base + 4); // a, b, c, neg
    return inner;
  });
  assert.equal(liveTensors(), base + 2);
  assert.deepEqual(out.c.toArray(), [6, 6, 6, 6]);
  dispose(out);
  assert.equal(liveTensors(), base);
});

test('tidy disposes everything when fn throws, and keep() survives', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const base = liveTensors();
  let kept: ReturnType<typeof zeros> | undefined;
  assert.throws(() =>
    tidy(() => {
      kept = keep(zeros([3]));
      ones([2]);
      throw new Error('boom');
    }),
  );
  assert.equal(liveTensors(), base + 1);
  assert.equal(kept!.isDisposed, false);
  kept!.dispose();
  assert.equal(liveTensors(), base);
});

test('200 training steps of a small BERT run at flat memory (RSS growth < 50 MB, no tensor leak)', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  manualSeed(0);
  const model = new BertForSequenceClassification(
    bertConfig({ vocab_size: 500, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 64 }),
  );
  const opt = AdamW.forModule(model, { lr: 1e-3 });
  const batch = tidy(() => ({ inputIds: randint(1, 500, [8, 32]), attentionMask: ones([8, 32], { dtype: 'int64' }), y: randn([8]) }));
  const step = () =>
    tidy(() => {
      const loss = mseLoss(model.score(batch), batch.y);
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return loss.item();
    });
  for (let i = 0; i < 20; i++) step();
  global.gc?.();
  const live0 = liveTensors();
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 200; i++) step();
  global.gc?.();
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  t.diagnostic(`RSS growth over 200 steps: ${grown.toFixed(1)} MB; live tensors ${live0} → ${liveTensors()}`);
  assert.equal(liveTensors(), live0, 'tensors leaked');
  assert.ok(grown < 50, `RSS grew by ${grown.toFixed(1)} MB over 200 steps`);
  model.dispose();
  opt.dispose();
  dispose(batch);
});

test('noGrad and `using noGradGuard()` turn recording off and restore it, also on throw', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  assert.equal(isGradEnabled(), true);
  const inside = () => {
    using _guard = noGradGuard();
    return isGradEnabled();
  };
  assert.equal(inside(), false);
  assert.equal(isGradEnabled(), true);
  assert.throws(() =>
    noGrad(() => {
      throw new Error('x');
    }),
  );
  assert.equal(isGradEnabled(), true);
  tidy(() => {
    const w = ones([2]).requiresGrad_();
    assert.equal(noGrad(() => w.mul(2)).requiresGrad, false);
    assert.equal(w.mul(2).requiresGrad, true);
  });
});

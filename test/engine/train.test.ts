// End-to-end behaviour of the engine: a tiny model learns, seeds reproduce, bf16 mixed precision trains like fp32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dispose,
  engineAvailable,
  manualSeed,
  mseLoss,
  ones,
  randint,
  tensor,
  tidy,
} from '../../src/engine/index.js';
import { BertForSequenceClassification, bertConfig } from '../../src/models/bert.js';
import { AdamW } from '../../src/train/optimizer.js';
import { need } from '../helpers/env.js';
import { toyRegression } from '../../bench/toy-regression.js';

const TINY = bertConfig({ vocab_size: 50, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 16 });

/** Rows of random tokens 3..49; label 1 when the marker token 2 appears somewhere. */
function markerTask(seed: number, n: number) {
  manualSeed(seed);
  return tidy(() => {
    const ids = randint(3, 50, [n, 12]).data() as BigInt64Array;
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const has = i % 2 === 0;
      if (has) ids[i * 12 + 1 + (i % 11)] = 2n;
      labels.push(has ? 1 : 0);
    }
    return { inputIds: tensor(ids, { shape: [n, 12] }), attentionMask: ones([n, 12], { dtype: 'int64' }), y: tensor(labels) };
  });
}

function trainBert(seed: number, steps: number) {
  manualSeed(seed);
  const model = new BertForSequenceClassification(TINY);
  const opt = AdamW.forModule(model, { lr: 3e-3, weightDecay: 0.01 });
  const data = markerTask(seed + 1, 64);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(
      tidy(() => {
        const loss = mseLoss(model.score(data), data.y);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss.item();
      }),
    );
  }
  return { model, opt, data, losses };
}

test('a tiny BERT learns to detect a marker token', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const { model, opt, data, losses } = trainBert(0, 150);
  assert.ok(losses[0] > 0.2, `initial loss ${losses[0]}`);
  assert.ok(losses.at(-1)! < 0.05, `final loss ${losses.at(-1)}`);
  model.eval();
  const test = markerTask(99, 32);
  const acc = tidy(() => {
    const s = model.score(test).toArray();
    const y = test.y.toArray();
    return s.filter((v, i) => v > 0.5 === (y[i] === 1)).length / s.length;
  });
  assert.ok(acc >= 0.9, `held-out accuracy ${acc}`);
  dispose([data, test]);
  model.dispose();
  opt.dispose();
});

test('the same seed gives the same weights and the same losses', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const a = trainBert(7, 5);
  const b = trainBert(7, 5);
  const c = trainBert(8, 5);
  assert.deepEqual(a.losses, b.losses);
  const wa = a.model.stateDict();
  const wb = b.model.stateDict();
  for (const [k, v] of wa) assert.deepEqual(v.toArray(), wb.get(k)!.toArray(), k);
  assert.notDeepEqual(a.losses, c.losses);
  for (const r of [a, b, c]) {
    r.model.dispose();
    r.opt.dispose();
    dispose(r.data);
  }
});

test('bf16 mixed precision: loss after 200 steps of a toy regression is within 5% of fp32', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const run = (bf16: boolean) => {
    const r = toyRegression(bf16);
    if (bf16) assert.equal(r.outputDType, 'bfloat16');
    for (const d of r.paramDTypes) assert.equal(d, 'float32', 'master weights stay fp32');
    return r.loss;
  };
  const fp32 = run(false);
  const bf16 = run(true);
  t.diagnostic(`loss after 200 steps: fp32 ${fp32.toFixed(5)}, bf16 ${bf16.toFixed(5)} (${((100 * (bf16 - fp32)) / fp32).toFixed(2)}%)`);
  assert.ok(fp32 < 0.2, `fp32 did not learn: ${fp32}`);
  assert.ok(Math.abs(bf16 - fp32) / fp32 < 0.05, `bf16 ${bf16} vs fp32 ${fp32}`);
});

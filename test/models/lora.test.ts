// LoRA: PEFT names and shapes, a fresh adapter changes nothing, only adapter weights (and modules_to_save) get
// gradients, merge gives the unmerged outputs, unmerge restores the weights, and a few steps train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, mseLoss, noGrad, tensor, tidy, zeroGrad, type Tensor } from '../../src/engine/index.js';
import { addLora, matchesTarget } from '../../src/models/lora.js';
import { AdamW } from '../../src/train/optimizer.js';
import { need } from '../helpers/env.js';
import { bertBatch, decoderBatch, gradSums, tinyBert, tinyLlama } from './tiny.js';

const snapshot = (m: Iterable<[string, Tensor]>) => tidy(() => new Map([...m].map(([n, p]) => [n, Array.from(p.toFloat32Array())])));
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('PEFT target matching: names by suffix, a string as a full-match regex', () => {
  assert.ok(matchesTarget('model.layers.0.self_attn.q_proj', ['q_proj', 'v_proj']));
  assert.ok(!matchesTarget('model.layers.0.self_attn.q_proj_x', ['q_proj']));
  assert.ok(matchesTarget('model.layers.1.mlp.up_proj', '.*\\.mlp\\.(up|down)_proj'));
  assert.ok(!matchesTarget('model.layers.1.mlp.gate_proj', '.*\\.mlp\\.(up|down)_proj'));
});

test('LoRA on a decoder: PEFT names, no-op at init, gradients only to the adapter and score head, merge/unmerge', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(5).eval();
  const lora = addLora(m, { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], modules_to_save: ['score'], task_type: 'SEQ_CLS' });
  try {
    const names = [...lora.namedParameters()].map(([n]) => n);
    assert.equal(names.length, 2 * 2 * 2 + 1, '2 layers × (q, v) × (A, B) + score.weight');
    assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
    assert.ok(names.includes('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'));
    assert.ok(names.includes('base_model.model.score.weight'));
    const l0v = lora.layers.find((l) => l.path === 'model.layers.0.self_attn.v_proj')!;
    assert.deepEqual(l0v.A.shape, [4, 32]);
    assert.deepEqual(l0v.B.shape, [16, 4], 'v_proj has nkv·hd = 16 outputs');
    assert.equal(lora.scale, 2);
    assert.ok(!m.stateDict().has('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'), "the model's own names are unchanged");

    // B = 0: the adapter changes nothing (bit-exact).
    const base = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    lora.detach();
    const plain = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    assert.deepEqual(base, plain);
  } catch (err) {
    lora.detach();
    m.dispose();
    throw err;
  }

  const lora2 = addLora(m, { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], modules_to_save: ['score'], task_type: 'SEQ_CLS' });
  try {
    noGrad(() => {
      for (const l of lora2.layers) l.B.normal_(0, 0.5);
    });
    lora2.freezeBase();
    tidy(() => mseLoss(m.rank(decoderBatch()), tensor([1, 0, -1])).backward());
    const adapterSums = tidy(() => gradSums(lora2.namedParameters()));
    const modelSums = tidy(() => gradSums(m.namedParameters()));
    const noGradAdapter = [...adapterSums].filter(([, s]) => !(s !== null && s > 0)).map(([n]) => n);
    assert.deepEqual(noGradAdapter, [], `adapter weights without a gradient: ${noGradAdapter.join(', ')}`);
    const leaked = [...modelSums].filter(([n, s]) => n !== 'score.weight' && s !== null).map(([n]) => n);
    assert.deepEqual(leaked, [], `frozen base weights that got a gradient: ${leaked.join(', ')}`);
    assert.ok((modelSums.get('score.weight') ?? 0)! > 0, 'modules_to_save (score) trains');
    zeroGrad([...lora2.trainableParameters(), ...m.parameters()]);

    // merge(): same outputs, adapter folded into W; unmerge(): W back.
    const before = snapshot(m.namedParameters());
    const unmerged = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    lora2.merge();
    const merged = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    const d = maxAbsDiff(merged, unmerged);
    t.diagnostic(`merged vs unmerged scores: maxdiff ${d.toExponential(2)}`);
    assert.ok(d <= 1e-5, `merged vs unmerged: maxdiff ${d}`);
    const q0 = 'model.layers.0.self_attn.q_proj.weight';
    const mid = snapshot(m.namedParameters());
    assert.ok(maxAbsDiff(mid.get(q0)!, before.get(q0)!) > 1e-3, 'merge changed q_proj.weight');
    lora2.unmerge();
    const after = snapshot(m.namedParameters());
    let worst = 0;
    for (const [n, v] of before) worst = Math.max(worst, maxAbsDiff(after.get(n)!, v));
    t.diagnostic(`unmerge: max |W - W0| ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-6, `unmerge restores the weights: max diff ${worst}`);
    const again = tidy(() => noGrad(() => m.rank(decoderBatch()).toArray()));
    assert.ok(maxAbsDiff(again, unmerged) <= 1e-5);
  } finally {
    lora2.detach();
    m.dispose();
  }
});

test('LoRA trains: a few AdamW steps on adapter weights only lower the loss and leave the base untouched', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(6);
  const lora = addLora(m, { r: 4, lora_alpha: 16, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], modules_to_save: ['score'] });
  try {
    lora.freezeBase();
    const frozen = snapshot([...m.namedParameters()].filter(([n]) => n !== 'score.weight'));
    const opt = new AdamW([{ params: lora.trainableParameters(), lr: 1e-2, weightDecay: 0 }], { lr: 1e-2 });
    const target = tensor([2, 0, -2]);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      losses.push(
        tidy(() => {
          const loss = mseLoss(m.rank(decoderBatch()), target);
          loss.backward();
          opt.step();
          opt.zeroGrad();
          return loss.item();
        }),
      );
    }
    assert.ok(losses[losses.length - 1] < losses[0] * 0.2, `loss ${losses[0]} → ${losses[losses.length - 1]}`);
    const now = snapshot([...m.namedParameters()].filter(([n]) => n !== 'score.weight'));
    for (const [n, v] of frozen) assert.deepEqual(now.get(n), v, `${n} changed although frozen`);
  } finally {
    lora.detach();
    m.dispose();
  }
});

test('LoRA on BERT (query, value): gradients only to the adapter and the classifier; merge matches', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyBert(7).eval();
  const lora = addLora(m, { r: 2, lora_alpha: 4, target_modules: ['query', 'value'], modules_to_save: ['classifier'], task_type: 'SEQ_CLS' });
  try {
    assert.ok([...lora.namedParameters()].some(([n]) => n === 'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight'));
    assert.ok([...lora.namedParameters()].some(([n]) => n === 'base_model.model.classifier.bias'));
    noGrad(() => lora.layers.forEach((l) => l.B.normal_(0, 0.5)));
    lora.freezeBase();
    tidy(() => mseLoss(m.score(bertBatch()), tensor([1, -1])).backward());
    const leaked = [...tidy(() => gradSums(m.namedParameters()))].filter(([n, s]) => !n.startsWith('classifier.') && s !== null);
    assert.deepEqual(leaked, []);
    const u = tidy(() => noGrad(() => m.score(bertBatch()).toArray()));
    lora.merge();
    const g = tidy(() => noGrad(() => m.score(bertBatch()).toArray()));
    assert.ok(maxAbsDiff(u, g) <= 1e-5, `maxdiff ${maxAbsDiff(u, g)}`);
    lora.unmerge();
  } finally {
    lora.detach();
    m.dispose();
  }
});

test('LoRA: a target that matches nothing, or a non-linear module, is a clear error', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(8);
  try {
    assert.throws(() => addLora(m, { target_modules: ['qq_proj'] }), /no linear layer matches target_modules \["qq_proj"\]/);
    assert.throws(() => addLora(m, { target_modules: ['input_layernorm'] }), /input_layernorm is not a linear layer/);
    assert.throws(() => addLora(m, { r: 0 }), /r must be a positive integer/);
  } finally {
    m.dispose();
  }
});

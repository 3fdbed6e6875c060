// The LM heads run on the positions whose label counts only (BERT's masked positions, the decoder's CPT targets);
// their losses and gradients must be those of the whole (B, T, V) logits with the other positions ignored, as HF's
// BertForMaskedLM and LlamaForCausalLM compute them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, engineAvailable, manualSeed, randn, tensor, tidy, zeroGrad } from '../../src/engine/index.js';
import { BertLMPredictionHead, bertConfig } from '../../src/models/bert.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { need } from '../helpers/env.js';
import { tinyLlama } from './tiny.js';

test('BertLMPredictionHead.loss: the masked positions only give the full logits’ loss and gradients', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  manualSeed(3);
  const config = bertConfig({ vocab_size: 50, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32 });
  const head = new BertLMPredictionHead(config);
  const [B, T] = [3, 7];
  const labels = Array.from({ length: B * T }, (_, i) => (i % 3 === 1 || i === 20 ? (i * 7) % 50 : -100));
  tidy(() => {
    const hidden = randn([B, T, 16]).requiresGrad_();
    const emb = randn([50, 16]).requiresGrad_();
    const y = tensor(labels, { dtype: 'int64', shape: [B, T] });

    const fast = head.loss(hidden, emb, y);
    fast.backward();
    const fastGrads = [hidden.grad!.toArray(), emb.grad!.toArray(), head.bias.grad!.toArray()];

    const hidden2 = hidden.detach().requiresGrad_();
    const emb2 = emb.detach().requiresGrad_();
    zeroGrad([head.bias]);
    const full = head.forward(hidden2, emb2); // (B, T, V), the reference
    const ref = crossEntropy(full.reshape(B * T, 50), y.reshape(B * T), { ignoreIndex: -100 });
    ref.backward();
    assert.ok(Math.abs(fast.item() - ref.item()) < 1e-6, `loss ${fast.item()} vs ${ref.item()}`);
    const refGrads = [hidden2.grad!.toArray(), emb2.grad!.toArray(), head.bias.grad!.toArray()];
    ['hidden', 'word embeddings', 'bias'].forEach((name, k) => {
      const worst = Math.max(...fastGrads[k].map((g, i) => Math.abs(g - refGrads[k][i])));
      assert.ok(worst < 1e-6, `${name}: gradients differ by ${worst}`);
    });
    const unmasked = hidden.grad!.reshape(B * T, 16).abs().sum(1).toArray();
    labels.forEach((l, i) => assert.equal(unmasked[i] === 0, l === -100, `position ${i} (label ${l})`));
    // nothing masked: nan, as torch's mean over no position
    assert.ok(Number.isNaN(head.loss(hidden, emb, tensor(labels.map(() => -100), { dtype: 'int64', shape: [B, T] })).item()));
  });
  head.dispose();
});

test('LlamaForCausalLM.lmLoss: the target positions only give the full logits’ loss and gradients, tied or not', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  for (const tie of [true, false]) {
    const m = tinyLlama(4, { tie_word_embeddings: tie });
    const [B, T] = [3, 9];
    // a CPT batch: query tokens and right padding ignored, a target span per row (row 2 has one target token)
    const spans = [[4, 8], [2, 6], [8, 8]];
    const ids = Array.from({ length: B * T }, (_, i) => 3 + ((i * 11) % 37));
    const labels = ids.map((id, i) => (i % T >= spans[Math.floor(i / T)][0] && i % T <= spans[Math.floor(i / T)][1] ? id : -100));
    const params = m.parameters();
    const grads = (loss: () => ReturnType<typeof m.lmLoss>) =>
      tidy(() => {
        zeroGrad(params);
        const l = loss();
        l.backward();
        return { loss: l.item(), grads: params.map((p) => p.grad?.toArray() ?? []) }; // the score head gets none
      });
    const inputs = () => ({ inputIds: tensor(ids, { dtype: 'int64', shape: [B, T] }), attentionMask: tensor(ids.map((_, i) => (i % T < 8 || i >= 2 * T ? 1 : 0)), { dtype: 'int64', shape: [B, T] }) });
    const y = () => tensor(labels, { dtype: 'int64', shape: [B, T] });
    const fast = grads(() => m.lmLoss(inputs(), y()));
    const ref = grads(() => LlamaForCausalLM.lmLossFromLogits(m.forward(inputs()), y()));
    assert.ok(Math.abs(fast.loss - ref.loss) < 1e-5 && fast.loss > 0, `tied ${tie}: loss ${fast.loss} vs ${ref.loss}`);
    assert.deepEqual(fast.grads.map((g) => g.length), ref.grads.map((g) => g.length));
    const worst = Math.max(...fast.grads.flatMap((g, k) => g.map((v, i) => Math.abs(v - ref.grads[k][i]))));
    assert.ok(worst < 1e-5, `tied ${tie}: gradients differ by ${worst}`);
    m.dispose();
  }
});

// BERT's masked-LM head runs on the masked positions only; its loss and gradients must be those of the whole
// (B, T, V) logits with the unmasked positions ignored, as HF's BertForMaskedLM computes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, engineAvailable, manualSeed, randn, tensor, tidy, zeroGrad } from '../../src/engine/index.js';
import { BertLMPredictionHead, bertConfig } from '../../src/models/bert.js';
import { need } from '../helpers/env.js';

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
  });
  head.dispose();
});

// The CPT loss counts only target tokens (title + summary + eos): the model's prediction at a position whose next
// token is part of the query (or bos, the template, padding) never changes the loss, at a target position it does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, randn, tidy } from '../../src/engine/index.js';
import { decoderCptInputs } from '../../src/models/inputs.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { need } from '../helpers/env.js';
import { tokenizerFromJson, trainByteLevelBpe } from '../../src/text/index.js';

test('CPT loss: zero gradient at query-token predictions, non-zero at every target-token prediction', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const corpus = ['blue whale size', 'The blue whale largest animal ever', 'a much longer query about the deep ocean floor', 'Ocean floor'];
  const trained = trainByteLevelBpe(corpus, { vocabSize: 300, addPrefixSpace: true });
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  tidy(() => {
    const items = [
      { query: 'blue whale size', title: 'The blue whale', summary: 'largest animal ever' },
      { query: 'a much longer query about the deep ocean floor', title: 'Ocean', summary: 'floor' },
    ];
    const { inputs, labels } = decoderCptInputs(tok, items, { maxLength: 64 });
    const [B, T] = inputs.inputIds.shape;
    const logits = randn([B, T, tok.vocabSize]).requiresGrad_();
    const loss = LlamaForCausalLM.lmLossFromLogits(logits, labels);
    loss.backward();
    const grad = logits.grad!.abs().sum(2).toArray() as number[]; // (B·T): gradient mass at each position
    const lab = labels.toArray() as number[];
    let targets = 0;
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < T - 1; p++) {
        const next = lab[b * T + p + 1];
        const g = grad[b * T + p];
        if (next === -100) assert.equal(g, 0, `row ${b}, position ${p} predicts a non-target token but has gradient ${g}`);
        else {
          assert.ok(g > 0, `row ${b}, position ${p} predicts target token ${next} but has no gradient`);
          targets++;
        }
      }
      assert.equal(grad[b * T + T - 1], 0, 'the last position predicts nothing');
    }
    // the targets are exactly title + summary + eos of each row
    const ids = inputs.inputIds.toArray() as number[];
    for (let b = 0; b < B; b++) {
      const row = lab.slice(b * T, (b + 1) * T).filter((x) => x !== -100);
      const doc = tok.encode(` ${items[b].title} ${items[b].summary}`);
      assert.deepEqual(row.slice(0, -1), doc, `row ${b}: targets are not the document`);
      assert.equal(row[row.length - 1], tok.special.eos!.id);
      assert.deepEqual(row, ids.slice(b * T, (b + 1) * T).filter((_, p) => lab[b * T + p] !== -100), 'labels are the input ids at target positions');
    }
    assert.ok(targets > 10);
  });
});

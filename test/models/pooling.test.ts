// Checkpoints users bring: the two pooling rules of the score head (ours from the mask; transformers 4.40's
// "before the first pad"), which differ when pad = eos; and Qwen2's sliding window, refused past its length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, tensor, tidy } from '../../src/engine/index.js';
import { loadHfModel } from '../../src/models/hf.js';
import { LlamaForCausalLM, llamaConfig } from '../../src/models/llama.js';
import { need } from '../helpers/env.js';
import { HF } from './fixtures.js';
import { join } from 'node:path';

test('pooling: last_mask pools the eos; first_pad (transformers 4.40) pools the token before the first pad id', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  tidy(() => {
    // pad = eos = 2: right-padded rows end "… 2" then pads "2 2"
    const ids = tensor([[5, 6, 7, 2, 2, 2], [5, 6, 7, 8, 9, 2], [2, 2, 5, 6, 7, 2]], { dtype: 'int64' });
    const mask = tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]], { dtype: 'int64' });
    assert.deepEqual(LlamaForCausalLM.poolIndex(ids, mask).toArray(), [3, 5, 5]);
    // HF: (argmax(ids == pad) − 1) mod T: row 0 → 2 (before the eos), row 1 → 4, row 2 (left pad) → −1 mod 6 = 5
    assert.deepEqual(LlamaForCausalLM.firstPadPoolIndex(ids, 2).toArray(), [2, 4, 5]);
    // no pad id in a row → T − 1; pad id unset → T − 1
    assert.deepEqual(LlamaForCausalLM.firstPadPoolIndex(tensor([[5, 6, 7]], { dtype: 'int64' }), 2).toArray(), [2]);
    assert.deepEqual(LlamaForCausalLM.firstPadPoolIndex(tensor([[5, 2, 7]], { dtype: 'int64' }), null).toArray(), [2]);
  });
});

test('pooling: both rules agree on the fixtures, and the option is honoured by loadHfModel', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  for (const rule of ['last_mask', 'first_pad'] as const) {
    const { model } = loadHfModel(join(HF, 'llama-ranker', 'seq-cls'), { pooling: rule });
    assert.ok(model instanceof LlamaForCausalLM);
    assert.equal(model.config.pooling, rule);
    tidy(() => {
      // right padding with pad 0 (≠ eos 2): both rules pool the eos
      const ids = tensor([[1, 9, 10, 11, 2, 0, 0], [1, 12, 13, 14, 15, 16, 2]], { dtype: 'int64' });
      const mask = ids.ne(0).to('int64');
      assert.deepEqual(model.poolIndexOf({ inputIds: ids, attentionMask: mask }).toArray(), [4, 6]);
    });
    model.dispose();
  }
});

test("Qwen2's sliding window: inputs longer than sliding_window are refused, never computed without the window", (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const c = llamaConfig({ model_type: 'qwen2', vocab_size: 32, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, sliding_window: 4, pad_token_id: 0 });
  const model = new LlamaForCausalLM(c, { lm: false, score: true });
  tidy(() => {
    const four = tensor([[3, 4, 5, 6]], { dtype: 'int64' });
    assert.equal(model.rank({ inputIds: four, attentionMask: four.ne(0).to('int64') }).shape[0], 1);
    const five = tensor([[3, 4, 5, 6, 7]], { dtype: 'int64' });
    assert.throws(() => model.rank({ inputIds: five, attentionMask: five.ne(0).to('int64') }), /input of 5 tokens exceeds the config's sliding_window 4/);
  });
  model.dispose();
});

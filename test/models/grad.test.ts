// Gradients reach every trainable parameter of the BERT cross-encoder and of the decoder (LLaMA and Qwen2
// layouts) after a backward of a score-based loss; padding does not move the decoder's score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, liveTensors, mseLoss, noGrad, tensor, tidy, zeroGrad } from '../../src/engine/index.js';
import { generate } from '../../src/models/generate.js';
import { addLora } from '../../src/models/lora.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { need } from '../helpers/env.js';
import { bertBatch, decoderBatch, gradSums, tinyBert, tinyLlama } from './tiny.js';

for (const model_type of ['llama', 'qwen2'] as const) {
  test(`${model_type}: a score loss gives every parameter of a score-head decoder a non-zero gradient`, (t) => {
    if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
    const m = tinyLlama(1, { model_type }, { lm: false, score: true });
    try {
      if (model_type === 'qwen2') assert.ok(m.model.layers[0].self_attn.q_proj.bias, 'qwen2 has q/k/v biases');
      tidy(() => {
        const loss = mseLoss(m.rank(decoderBatch()), tensor([1, 0, -1]));
        loss.backward();
      });
      const sums = tidy(() => gradSums(m.namedParameters()));
      const bad = [...sums].filter(([, s]) => !(s !== null && s > 0)).map(([n]) => n);
      assert.deepEqual(bad, [], `parameters without a gradient: ${bad.join(', ')}`);
      // nn.Embedding(padding_idx=pad): the pad row gets none (as in HF).
      const padRow = tidy(() => m.model.embed_tokens.weight.grad!.select(0, 0).abs().sum().item());
      assert.equal(padRow, 0);
    } finally {
      zeroGrad(m.parameters());
      m.dispose();
    }
  });
}

test('decoder: an LM (CPT) loss plus a score loss reach every parameter of a two-head decoder', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(2);
  try {
    tidy(() => {
      const inp = decoderBatch();
      const labels = inp.inputIds.maskedFill(inp.attentionMask.eq(0), -100);
      const loss = m.lmLoss(inp, labels).add(mseLoss(m.rank(inp), tensor([1, 0, -1])));
      loss.backward();
    });
    const sums = tidy(() => gradSums(m.namedParameters()));
    const bad = [...sums].filter(([, s]) => !(s !== null && s > 0)).map(([n]) => n);
    assert.deepEqual(bad, [], `parameters without a gradient: ${bad.join(', ')}`);
    assert.ok(sums.has('lm_head.weight') && sums.has('score.weight'));
  } finally {
    m.dispose();
  }
});

test('BERT cross-encoder: a score loss gives every parameter a non-zero gradient', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyBert(3);
  try {
    tidy(() => mseLoss(m.score(bertBatch()), tensor([1, -1])).backward());
    const sums = tidy(() => gradSums(m.namedParameters()));
    const bad = [...sums].filter(([, s]) => !(s !== null && s > 0)).map(([n]) => n);
    assert.deepEqual(bad, [], `parameters without a gradient: ${bad.join(', ')}`);
  } finally {
    m.dispose();
  }
});

test('decoder score: right padding, left padding (with and without position_ids), pad = eos and singles agree', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(4).eval();
  try {
    const rows = [
      [1, 7, 9, 11, 13, 2],
      [1, 5, 2],
    ];
    const T = 6;
    const run = (pad: number, left: boolean, withPos: boolean) =>
      tidy(() =>
        noGrad(() => {
          const ids = rows.map((r) => (left ? [...Array(T - r.length).fill(pad), ...r] : [...r, ...Array(T - r.length).fill(pad)]));
          const mask = rows.map((r) => (left ? [...Array(T - r.length).fill(0), ...r.map(() => 1)] : [...r.map(() => 1), ...Array(T - r.length).fill(0)]));
          const pos = mask.map((mr) => {
            let c = -1;
            return mr.map((v) => (v ? ++c : 1));
          });
          const inp = { inputIds: tensor(ids, { dtype: 'int64' }), attentionMask: tensor(mask, { dtype: 'int64' }), positionIds: withPos ? tensor(pos, { dtype: 'int64' }) : undefined };
          return { s: m.rank(inp).toArray(), idx: LlamaForCausalLM.poolIndex(inp.inputIds, inp.attentionMask).toArray() };
        }),
      );
    const singles = rows.map((r) => tidy(() => noGrad(() => m.rank({ inputIds: tensor([r], { dtype: 'int64' }) }).item())));
    for (const [pad, left, withPos] of [
      [0, false, false],
      [0, true, false],
      [0, true, true],
      [2, false, false], // pad = eos: the last mask==1 position is still the real eos
      [2, true, true],
    ] as const) {
      const { s, idx } = run(pad, left, withPos);
      assert.deepEqual(idx, left ? [5, 5] : [5, 2], `pool index pad=${pad} left=${left}`);
      const d = Math.max(...s.map((v, i) => Math.abs(v - singles[i])));
      assert.ok(d < 1e-5, `pad=${pad} left=${left} pos=${withPos}: maxdiff vs singles ${d}`);
    }
  } finally {
    m.dispose();
  }
});

test('no tensor leaks: forward, both heads, LM loss, generation, LoRA attach/detach return to the same live count', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(9);
  try {
    const before = liveTensors();
    tidy(() => {
      noGrad(() => m.both(decoderBatch()));
    });
    tidy(() => {
      const inp = decoderBatch();
      m.lmLoss(inp, inp.inputIds).backward();
    });
    zeroGrad(m.parameters());
    generate(m, [[1, 5, 6]], { maxNewTokens: 3, topK: 3 });
    const lora = addLora(m, { target_modules: ['q_proj'] });
    lora.detach();
    assert.equal(liveTensors(), before);
  } finally {
    m.dispose();
  }
});

// Parity with Hugging Face transformers 4.40.2 on the tiny random checkpoints of test/fixtures/hf, loaded
// through our folder loader: BERT cross-encoder scores (F32 and BF16 files), LLaMA and Qwen2 LM logits and
// score-head scores (right/left padding, left padding with position_ids, singles), tied embeddings (Qwen2 has
// no lm_head.weight), and the sharded checkpoint. Tolerance 1e-5 absolute (NOTES.md); maxdiffs are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { engineAvailable, noGrad, tidy } from '../../src/engine/index.js';
import { loadHfModel } from '../../src/models/hf.js';
import { BertForSequenceClassification } from '../../src/models/bert.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { hasFixtures, need } from '../helpers/env.js';
import { HF, batches, expected, flat, maxDiff, toTensors } from './fixtures.js';

const TOL = 1e-5;
const ready = (t: import('node:test').TestContext) =>
  need(t, engineAvailable(), 'the libtorch engine is not built') && need(t, hasFixtures('hf'), 'test/fixtures/hf is absent');

interface BertExpected {
  scores: Record<string, number[]>;
  scores_from_bf16_weights: Record<string, number[]>;
}

for (const variant of [undefined, 'bf16'] as const) {
  test(`BERT cross-encoder scores match HF (${variant ?? 'f32'} weights)`, (t) => {
    if (!ready(t)) return;
    const { model, architecture, weightFiles } = loadHfModel(join(HF, 'bert-cross-encoder'), { variant });
    assert.equal(architecture, 'BertForSequenceClassification');
    assert.deepEqual(weightFiles, [variant ? 'model.bf16.safetensors' : 'model.safetensors']);
    assert.ok(model instanceof BertForSequenceClassification);
    assert.equal(model.parameters()[0].dtype, 'float32', 'bf16 is converted to the compute dtype');
    const exp = expected<BertExpected>('bert-cross-encoder');
    const want = variant ? exp.scores_from_bf16_weights : exp.scores;
    try {
      for (const [name, b] of Object.entries(batches('bert-cross-encoder'))) {
        const got = tidy(() => noGrad(() => model.score(toTensors(b)).toArray()));
        const d = maxDiff(got, want[name]);
        t.diagnostic(`bert ${variant ?? 'f32'} ${name}: maxdiff ${d.toExponential(2)}`);
        assert.ok(d <= TOL, `bert ${variant ?? 'f32'} ${name}: maxdiff ${d} > ${TOL}`);
      }
    } finally {
      model.dispose();
    }
  });
}

interface DecoderExpected {
  seq_cls_scores: Record<string, number[]>;
  seq_cls_pool_index: Record<string, number[]>;
  lm_logits_at_pool_index: Record<string, number[][]>;
  lm_logits_full: { batch: string; values: number[][][] };
}

for (const fam of ['llama', 'qwen2'] as const) {
  const dir = `${fam}-ranker`;

  test(`${fam}: score head (seq-cls) matches HF with right/left padding, position_ids and singles`, (t) => {
    if (!ready(t)) return;
    const { model, architecture } = loadHfModel(join(HF, dir, 'seq-cls'));
    assert.equal(architecture, fam === 'llama' ? 'LlamaForSequenceClassification' : 'Qwen2ForSequenceClassification');
    assert.ok(model instanceof LlamaForCausalLM);
    assert.deepEqual(model.heads, { lm: false, score: true });
    const exp = expected<DecoderExpected>(dir);
    try {
      for (const [name, b] of Object.entries(batches(dir))) {
        const { scores, pool } = tidy((): { scores: number[]; pool: number[] } =>
          noGrad(() => {
            const inp = toTensors(b);
            return { scores: model.rank(inp).toArray(), pool: LlamaForCausalLM.poolIndex(inp.inputIds, inp.attentionMask).toArray() };
          }),
        );
        assert.deepEqual(pool, exp.seq_cls_pool_index[name], `${fam} ${name}: pool index`);
        const d = maxDiff(scores, exp.seq_cls_scores[name]);
        t.diagnostic(`${fam} seq-cls ${name}: maxdiff ${d.toExponential(2)}`);
        assert.ok(d <= TOL, `${fam} seq-cls ${name}: maxdiff ${d} > ${TOL}`);
      }
    } finally {
      model.dispose();
    }
  });

  const lmFolders = fam === 'llama' ? ['causal-lm', 'causal-lm-sharded'] : ['causal-lm'];
  for (const folder of lmFolders) {
    test(`${fam} ${folder}: LM logits match HF (at the pooled token for every batch, full tensor for right_padded)`, (t) => {
      if (!ready(t)) return;
      const { model, weightFiles } = loadHfModel(join(HF, dir, folder));
      assert.ok(model instanceof LlamaForCausalLM);
      if (folder.endsWith('sharded')) assert.equal(weightFiles.length, 3, 'index + 2 shards');
      if (fam === 'qwen2') {
        // Tied: no lm_head parameter; the head is model.embed_tokens.weight.
        assert.equal(model.lm_head, null);
        assert.ok(![...model.stateDict().keys()].includes('lm_head.weight'));
      }
      const exp = expected<DecoderExpected>(dir);
      try {
        for (const [name, b] of Object.entries(batches(dir))) {
          const got = tidy(() =>
            noGrad(() => {
              const inp = toTensors(b);
              const logits = model.forward(inp); // (B, T, V)
              const [B, , V] = logits.shape;
              const idx = LlamaForCausalLM.poolIndex(inp.inputIds, inp.attentionMask).view(B, 1, 1).expand(B, 1, V);
              return logits.gather(1, idx).squeeze(1).toArray();
            }),
          );
          const d = maxDiff(got, flat(exp.lm_logits_at_pool_index[name]));
          t.diagnostic(`${fam} ${folder} lm_logits_at_pool_index ${name}: maxdiff ${d.toExponential(2)}`);
          assert.ok(d <= TOL, `${fam} ${folder} lm logits ${name}: maxdiff ${d} > ${TOL}`);
        }
        const full = exp.lm_logits_full;
        const b = batches(dir)[full.batch];
        const got = tidy(() => noGrad(() => model.forward(toTensors(b)).toArray()));
        const V = full.values[0][0].length;
        const T = b.input_ids[0].length;
        const mask = flat(b.attention_mask);
        const dReal = maxDiff(got, flat(full.values), (i) => mask[Math.floor(i / V)] === 1);
        const dAll = maxDiff(got, flat(full.values));
        t.diagnostic(`${fam} ${folder} lm_logits_full (T=${T}): maxdiff ${dReal.toExponential(2)} at mask==1, ${dAll.toExponential(2)} incl. padding`);
        assert.ok(dReal <= TOL, `${fam} ${folder} lm_logits_full: maxdiff ${dReal} > ${TOL} at mask==1 positions`);
        assert.ok(dAll <= TOL, `${fam} ${folder} lm_logits_full: maxdiff ${dAll} > ${TOL} including padding positions (HF's finfo.min mask)`);
      } finally {
        model.dispose();
      }
    });
  }
}

test('llama: the sharded checkpoint gives bit-identical outputs to the single file; bf16 compute dtype converts', (t) => {
  if (!ready(t)) return;
  const a = loadHfModel(join(HF, 'llama-ranker', 'causal-lm')).model as LlamaForCausalLM;
  const b = loadHfModel(join(HF, 'llama-ranker', 'causal-lm-sharded')).model as LlamaForCausalLM;
  try {
    const [x, y] = tidy(() =>
      noGrad(() => {
        const inp = toTensors(batches('llama-ranker').right_padded);
        return [a.forward(inp).toArray(), b.forward(inp).toArray()];
      }),
    );
    assert.deepEqual(x, y);
  } finally {
    a.dispose();
    b.dispose();
  }
  const h = loadHfModel(join(HF, 'llama-ranker', 'causal-lm'), { dtype: 'bfloat16' }).model;
  try {
    assert.ok(h.parameters().every((p) => p.dtype === 'bfloat16'));
  } finally {
    h.dispose();
  }
});

test('decoder: both heads on one body (seq-cls folder + LM head); qwen2 tied LM head reproduces causal-lm logits', (t) => {
  if (!ready(t)) return;
  const { model, newTensors } = loadHfModel(join(HF, 'qwen2-ranker', 'seq-cls'), { heads: { lm: true } });
  assert.deepEqual(newTensors, [], 'tied: the LM head needs no new tensor');
  const exp = expected<DecoderExpected>('qwen2-ranker');
  try {
    const m = model as LlamaForCausalLM;
    const b = batches('qwen2-ranker').right_padded;
    const { lm, scores } = tidy(() =>
      noGrad(() => {
        const inp = toTensors(b);
        const r = m.both(inp);
        const [B, , V] = r.lmLogits.shape;
        const idx = LlamaForCausalLM.poolIndex(inp.inputIds, inp.attentionMask).view(B, 1, 1).expand(B, 1, V);
        return { lm: r.lmLogits.gather(1, idx).squeeze(1).toArray(), scores: r.scores.select(1, 0).toArray() };
      }),
    );
    const dl = maxDiff(lm, flat(exp.lm_logits_at_pool_index.right_padded));
    const ds = maxDiff(scores, exp.seq_cls_scores.right_padded);
    assert.ok(dl <= TOL && ds <= TOL, `maxdiff lm ${dl}, scores ${ds}`);
  } finally {
    model.dispose();
  }
  // A causal LM given a new score head: the head starts fresh and is reported.
  const withScore = loadHfModel(join(HF, 'llama-ranker', 'causal-lm'), { heads: { score: true } });
  try {
    assert.deepEqual(withScore.newTensors, ['score.weight']);
  } finally {
    withScore.model.dispose();
  }
});

// Generation: greedy is deterministic and stops at eos; top-k is reproducible from its seed; a tiny decoder
// trained briefly by CPT on query → title pairs (through the tokenizer helpers) generates the titles it learnt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, manualSeed, noGrad, tidy } from '../../src/engine/index.js';
import { generate, generateForQueries, promptFromTemplate } from '../../src/models/generate.js';
import { decoderCptInputs, decoderRankingInputs } from '../../src/models/inputs.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { tokenizerFromJson } from '../../src/text/index.js';
import { AdamW } from '../../src/train/optimizer.js';
import { need } from '../helpers/env.js';
import { ID, tinyDecoder } from '../text/tiny.js';
import { tinyLlama } from './tiny.js';

test('the prompt of a ranking template ends before the document', () => {
  assert.equal(promptFromTemplate('query: {query} document: {title} {summary}', ' what is a cat '), 'query: what is a cat document:');
});

test('greedy generation is deterministic, batch = one by one, and stops at eos; top-k follows its seed', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const m = tinyLlama(21, {}, { lm: true });
  try {
    const prompts = [[1, 7, 9], [1, 30, 31, 32, 33], [1]];
    const a = generate(m, prompts, { maxNewTokens: 6 });
    const b = generate(m, prompts, { maxNewTokens: 6 });
    assert.deepEqual(a, b);
    assert.deepEqual(
      prompts.map((p) => generate(m, [p], { maxNewTokens: 6 })[0]),
      a,
      'left-padded batch (position_ids from the mask) = each prompt alone',
    );
    for (const row of a) assert.ok(row.length === 6 || row[row.length - 1] === 2, `stops at eos or maxNewTokens: ${row}`);
    // Making the first generated token the eos stops that row right there.
    const first = a[0][0];
    assert.deepEqual(generate(m, [prompts[0]], { maxNewTokens: 6, eosTokenId: first })[0], [first]);
    const s1 = generate(m, prompts, { maxNewTokens: 6, topK: 5, seed: 3 });
    const s2 = generate(m, prompts, { maxNewTokens: 6, topK: 5, seed: 3 });
    assert.deepEqual(s1, s2);
    const others = [4, 5, 6, 7].map((seed) => JSON.stringify(generate(m, prompts, { maxNewTokens: 6, topK: 5, seed })));
    assert.ok(others.some((o) => o !== JSON.stringify(s1)), 'other seeds sample other tokens');
    assert.throws(() => generate(m, [[]]), /a prompt is empty/);
  } finally {
    m.dispose();
  }
});

test('a tiny decoder trained by CPT on query → title generates the learnt titles', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const { tokenizer, config } = tinyDecoder();
  const tok = tokenizerFromJson(tokenizer, config);
  const pairs = [
    { query: 'what is a cat', title: 'small mammal' },
    { query: 'what is a dog', title: 'big dog' },
    { query: 'cats', title: 'the small cats' },
  ];
  manualSeed(0);
  const m = new LlamaForCausalLM(
    {
      ...tinyLlama(0).config,
      vocab_size: tok.vocabSize,
      bos_token_id: ID['<s>'],
      eos_token_id: ID['</s>'],
      pad_token_id: null,
      initializer_range: 0.1,
    },
    { lm: true, score: true },
  );
  try {
    // Ranking inputs: the score head pools the eos (last mask==1 position) for left and right padding.
    tidy(() => {
      for (const padSide of ['right', 'left'] as const) {
        const r = decoderRankingInputs(tok, pairs, { padSide });
        const ids = r.inputIds.toArray();
        const T = r.inputIds.size(1);
        const pool = LlamaForCausalLM.poolIndex(r.inputIds, r.attentionMask).toArray();
        assert.deepEqual(pool, r.poolIndex.toArray());
        pool.forEach((p, b) => assert.equal(ids[b * T + p], ID['</s>'], `${padSide}: row ${b} pools the eos`));
      }
    });
    const opt = new AdamW([{ params: m.parameters(), lr: 1e-2, weightDecay: 0 }], { lr: 1e-2 });
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      losses.push(
        tidy(() => {
          const { inputs, labels } = decoderCptInputs(tok, pairs);
          const loss = m.lmLoss(inputs, labels);
          loss.backward();
          opt.step();
          opt.zeroGrad();
          return loss.item();
        }),
      );
    }
    t.diagnostic(`CPT loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(4)}`);
    assert.ok(losses[losses.length - 1] < 0.05, `CPT loss ${losses[0]} → ${losses[losses.length - 1]}`);
    const titles = noGrad(() => generateForQueries(m, tok, pairs.map((p) => p.query), { maxNewTokens: 8 }));
    assert.deepEqual(titles, pairs.map((p) => p.title));
  } finally {
    m.dispose();
  }
});

// Decoder ranking input (RankLLaMA template + eos, bos from the template, pool index) and CPT labels,
// on the hand-made vocabulary of tiny.ts; then on the real gpt2 and mistral tokenizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  encodeCptExamples,
  encodeRankingInputs,
  IGNORE_INDEX,
  lastMaskedIndex,
  loadTokenizer,
  TextTokenizer,
  tokenizerFromJson,
  toRows,
} from '../../src/text/index.js';
import { hasFixtures, need, FIXTURES } from '../helpers/env.js';
import { tinyDecoder } from './tiny.js';

const { tokenizer, config } = tinyDecoder();
const tok = tokenizerFromJson(tokenizer, config);
const CAT = { query: 'what is a cat?', title: 'The cats', summary: 'a small mammal.' };
const DOG = { query: 'dogs', summary: 'big' };
// <s> query : what is a cat ? document : | the cats a small mammal . | </s>
const HEAD = [5, 18, 19, 7, 8, 9, 10, 11, 20, 19];
const DOC = [12, 21, 9, 13, 14, 15];
// <s> query : dogs document : big </s>   (the empty title disappears with its space)
const DOG_IDS = [5, 18, 19, 17, 16, 20, 19, 22, 6];
const N = (n: number, v: number): number[] => Array(n).fill(v);

test('tiny decoder tokenizer: bos from the template, eos from the config, no pad', () => {
  assert.equal(tok.addsBos, true);
  assert.deepEqual(tok.special.bos, { token: '<s>', id: 5 });
  assert.deepEqual(tok.special.eos, { token: '</s>', id: 6 });
  assert.equal(tok.special.pad, undefined);
});

test('ranking input, right padding: template, bos, eos, pad = eos, pool index from the mask', () => {
  const b = encodeRankingInputs(tok, [CAT, DOG], { maxLength: 64 });
  assert.deepEqual(b.shape, [2, 17]);
  // No pad token: pads are eos (6), as in some Qwen2 checkpoints. The pooled position is still the real eos.
  assert.deepEqual(toRows(b.inputIds, b.shape), [
    [...HEAD, ...DOC, 6],
    [...DOG_IDS, ...N(8, 6)],
  ]);
  assert.deepEqual(toRows(b.attentionMask, b.shape), [N(17, 1), [...N(9, 1), ...N(8, 0)]]);
  assert.deepEqual(Array.from(b.poolIndex), [16, 8]);
  assert.deepEqual(Array.from(lastMaskedIndex(b.attentionMask, b.shape)), [16, 8]);
  // The naive rule "last token that is not the pad id" would pool position 16 of row 2, a pad.
  assert.equal(b.inputIds[17 + 16], 6);
  assert.equal(b.attentionMask[17 + 16], 0);
});

test('ranking input, left padding: every row pools the last position', () => {
  const b = encodeRankingInputs(tok, [CAT, DOG], { maxLength: 64, padSide: 'left', padId: 0 });
  assert.deepEqual(toRows(b.inputIds, b.shape), [
    [...HEAD, ...DOC, 6],
    [...N(8, 0), ...DOG_IDS],
  ]);
  assert.deepEqual(toRows(b.attentionMask, b.shape)[1], [...N(8, 0), ...N(9, 1)]);
  assert.deepEqual(Array.from(b.poolIndex), [16, 16]);
  assert.deepEqual(Array.from(lastMaskedIndex(b.attentionMask, b.shape)), [16, 16]);
  const m = encodeRankingInputs(tok, [DOG], { maxLength: 12, padding: 'max_length', padSide: 'left' });
  assert.deepEqual(toRows(m.inputIds, m.shape), [[6, 6, 6, ...DOG_IDS]]);
  assert.deepEqual(Array.from(m.poolIndex), [11]);
});

test('truncation cuts the document, keeps bos and eos, caps the query', () => {
  // maxLength 12: 10 body tokens; the head (template + query) takes 9, the document keeps 1.
  assert.deepEqual(encodeRankingInputs(tok, [CAT], { maxLength: 12 }).lengths, [12]);
  assert.deepEqual(toRows(encodeRankingInputs(tok, [CAT], { maxLength: 12 }).inputIds, [1, 12]), [[...HEAD, 12, 6]]);
  // maxQueryLength 2: query "what is", so the document keeps 4.
  const r = encodeRankingInputs(tok, [CAT], { maxLength: 12, maxQueryLength: 2 });
  assert.deepEqual(toRows(r.inputIds, r.shape), [[5, 18, 19, 7, 8, 20, 19, 12, 21, 9, 13, 6]]);
  // Template text + query that cannot fit is an error, not a silent cut.
  assert.throws(() => encodeRankingInputs(tok, [CAT], { maxLength: 8 }), /lower maxQueryLength/);
});

test('template, bos and eos options', () => {
  const noBos = encodeRankingInputs(tok, [DOG], { addBos: false });
  assert.deepEqual(toRows(noBos.inputIds, noBos.shape), [DOG_IDS.slice(1)]);
  const eos = encodeRankingInputs(tok, [DOG], { eosId: 3 });
  assert.deepEqual(toRows(eos.inputIds, eos.shape), [[...DOG_IDS.slice(0, -1), 3]]);
  const t = encodeRankingInputs(tok, [CAT], { template: 'query: {query} {summary}' });
  assert.deepEqual(toRows(t.inputIds, t.shape), [[5, 18, 19, 7, 8, 9, 10, 11, 9, 13, 14, 15, 6]]);
  assert.throws(() => encodeRankingInputs(tok, [CAT], { template: 'document: {summary} query: {query}' }), /before the document/);
  assert.throws(() => encodeRankingInputs(tok, [CAT], { template: 'query: {query} {body}' }), /unknown placeholder \{body\}/);
  assert.throws(() => encodeRankingInputs(tok, [CAT], { template: 'document: {summary}' }), /exactly one \{query\}/);
});

test('add_bos_token in tokenizer_config.json overrides the template; eos from config.json ids', () => {
  const t = tokenizerFromJson(tokenizer, { ...config, add_bos_token: false });
  assert.equal(t.addsBos, false);
  assert.deepEqual(t.encodeWithSpecials('cat'), { ids: [10], typeIds: [0] });
  const t2 = tokenizerFromJson(tokenizer, { ...config, add_eos_token: true });
  assert.deepEqual(t2.encodeWithSpecials('cat', 'dog'), { ids: [5, 10, 6, 5, 17, 6], typeIds: [0, 0, 0, 1, 1, 1] });
  const t3 = new TextTokenizer({ tokenizer, config: {}, modelConfig: { eos_token_id: [6, 3], bos_token_id: 5, pad_token_id: 0 } });
  assert.deepEqual([t3.special.eos?.id, t3.special.bos?.id, t3.special.pad?.id], [6, 5, 0]);
  const t4 = tokenizerFromJson(tokenizer, config, { overrides: { eos_token: '[SEP]', pad_token_id: 0 } });
  assert.deepEqual([t4.special.eos?.id, t4.special.pad?.id], [3, 0]);
  assert.throws(() => tokenizerFromJson(tokenizer, { eos_token: '<|im_end|>' }), /tokenizer_config.json: eos_token: token "<\|im_end\|>" is not in the vocabulary/);
});

test('CPT labels: -100 on bos, template and query; the document and eos are targets; pads -100', () => {
  const b = encodeCptExamples(tok, [CAT, DOG], { maxLength: 64 });
  assert.deepEqual(toRows(b.inputIds, b.shape)[0], [...HEAD, ...DOC, 6]);
  assert.deepEqual(toRows(b.labels!, b.shape), [
    [...N(10, IGNORE_INDEX), ...DOC, 6],
    [...N(7, IGNORE_INDEX), 22, 6, ...N(8, IGNORE_INDEX)],
  ]);
  const l = encodeCptExamples(tok, [DOG], { maxLength: 12, padding: 'max_length', padSide: 'left' });
  assert.deepEqual(toRows(l.labels!, l.shape), [[...N(10, IGNORE_INDEX), 22, 6]]);
  const cut = encodeCptExamples(tok, [CAT], { maxLength: 13 });
  assert.deepEqual(toRows(cut.labels!, cut.shape), [[...N(10, IGNORE_INDEX), 12, 21, 6]]);
  assert.equal(encodeRankingInputs(tok, [CAT]).labels, undefined);
});

const DIR = (name: string): string => join(FIXTURES, 'tokenizers', name);
const ITEMS = [
  { query: 'what is a cat?', title: 'Cat', summary: 'A cat is a small domesticated carnivorous mammal.' },
  { query: 'Café 東京 😀', title: 'Â¼ inch — "quoted"', summary: 'line one\nline  two' },
  { query: 'x', title: '', summary: '' },
];

test('real decoders: default template equals the whole string + eos; bos only where the template says', (t) => {
  if (!need(t, hasFixtures('tokenizers'), 'test/fixtures/tokenizers is absent')) return;
  for (const [name, bos, eos] of [
    ['gpt2', undefined, 50256],
    ['mistral-7b-v0.1', 1, 2],
  ] as const) {
    const tk = loadTokenizer(DIR(name));
    assert.equal(tk.special.eos?.id, eos, name);
    assert.equal(tk.addsBos, bos !== undefined, name);
    for (const padSide of ['right', 'left'] as const) {
      const b = encodeRankingInputs(tk, ITEMS, { maxLength: 256, padSide });
      const [, T] = b.shape;
      ITEMS.forEach((it, i) => {
        const text = [`query: ${it.query} document:`, it.title, it.summary].filter((s) => s).join(' ');
        const whole = [...(bos === undefined ? [] : [bos]), ...tk.encode(text), eos];
        const n = b.lengths[i];
        const start = padSide === 'left' ? i * T + T - n : i * T;
        assert.deepEqual(Array.from(b.inputIds.subarray(start, start + n)), whole, `${name} ${padSide} row ${i}`);
        assert.equal(b.inputIds[i * T + b.poolIndex[i]], eos);
        assert.equal(b.attentionMask[i * T + b.poolIndex[i]], 1);
      });
      assert.deepEqual(b.poolIndex, lastMaskedIndex(b.attentionMask, b.shape));
    }
    // gpt2 has no pad token: pads are eos, and pooling still finds the real eos.
    const long = encodeRankingInputs(tk, [{ query: 'q', summary: 'word '.repeat(5000) }], { maxLength: 64 });
    assert.deepEqual(long.shape, [1, 64]);
    assert.equal(long.inputIds[63], eos);
  }
});

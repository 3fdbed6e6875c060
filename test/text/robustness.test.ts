// Empty strings, very long documents, CJK, emoji and MS MARCO mojibake through every tokenizer and
// every encoding: no errors, lengths within bounds, and long documents cut exactly where a full
// tokenization would have cut them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  encodeCptExamples,
  encodePairs,
  encodeRankingInputs,
  loadTokenizer,
  tokenizerFromJson,
  trainByteLevelBpe,
  trainWordPiece,
  type TextTokenizer,
} from '../../src/text/index.js';
import { sampleDocuments } from '../../src/text/sample-text.js';
import { encodeHead } from '../../src/text/truncate.js';
import { hasFixtures, need, FIXTURES } from '../helpers/env.js';

const corpus = [...sampleDocuments(1000, 10, 50, { seed: 5 })];
const trained: Array<[string, TextTokenizer]> = [
  ['trained-wordpiece', ((t) => tokenizerFromJson(t.tokenizer, t.config))(trainWordPiece(corpus, { vocabSize: 800 }))],
  ['trained-bpe', ((t) => tokenizerFromJson(t.tokenizer, t.config))(trainByteLevelBpe(corpus, { vocabSize: 800 }))],
];
function fixtures(): Array<[string, TextTokenizer]> {
  return ['bert-base-uncased', 'gpt2', 'mistral-7b-v0.1'].map((n) => [n, loadTokenizer(join(FIXTURES, 'tokenizers', n))]);
}

const WEIRD = [
  '',
  ' ',
  '\n\t\r',
  '東京大学の入学試験は難しい。北京、上海',
  '😀🎉👍🏽🇫🇷 emoji‍sequence 👨‍👩‍👧',
  'Â¼ cup of sugar, donâ€™t, cafÃ©, Ã©tÃ©, â€œquotedâ€\x9d',
  '\u0000nul \ufffd replacement \u200b zero width \ufeff bom',
  'lone surrogate \ud800 here',
  'ﷺ﷽ Arabic ligatures and ＦＵＬＬＷＩＤＴＨ',
];
const LONG_WORDS = Array.from(sampleDocuments(1, 6000, 6000, { seed: 8 }))[0]; // ~40k characters
const LONG_CJK = '東京大学北京上海'.repeat(4000);
const LONG_NOSPACE = 'abcXYZ123'.repeat(4000);

function check(name: string, tok: TextTokenizer): void {
  for (const s of WEIRD) {
    const ids = tok.encode(s);
    assert.ok(ids.every((i) => Number.isInteger(i) && i >= 0 && i < tok.vocabSize), `${name}: ids in range for ${JSON.stringify(s)}`);
    tok.decode(ids);
  }
  const items = WEIRD.map((s, i) => ({ query: s, title: WEIRD[(i + 1) % WEIRD.length], summary: WEIRD[(i + 2) % WEIRD.length] }));
  const pairs = encodePairs(tok, items, { maxLength: 64 });
  assert.equal(pairs.shape[0], WEIRD.length);
  assert.ok(pairs.shape[1] <= 64);
  if (tok.special.eos) {
    for (const padSide of ['left', 'right'] as const) {
      const r = encodeRankingInputs(tok, items, { maxLength: 64, padSide });
      for (let b = 0; b < items.length; b++) assert.equal(r.inputIds[b * r.shape[1] + r.poolIndex[b]], tok.special.eos.id);
    }
    encodeCptExamples(tok, items, { maxLength: 64 });
  }
  // Long documents: the kept prefix equals the full tokenization's prefix.
  for (const [label, doc] of [
    ['words', LONG_WORDS],
    ['cjk', LONG_CJK],
    ['no spaces', LONG_NOSPACE],
  ] as const) {
    const full = tok.encode(doc);
    for (const need of [1, 100, 500]) {
      assert.deepEqual(encodeHead(tok, doc, need), full.slice(0, need), `${name}: ${label} head ${need}`);
    }
    // (A 36k-character word is one [UNK] for WordPiece, so not every row fills 128.)
    const b = encodePairs(tok, [{ query: 'a query', summary: doc }], { maxLength: 128 });
    const q = tok.encode('a query');
    const expected = tok.applyTemplate(q, full.slice(0, 128 - tok.numSpecialTokens(true) - q.length)).ids;
    assert.deepEqual(Array.from(b.inputIds), expected, `${name}: ${label} pair`);
    if (tok.special.eos) {
      const r = encodeRankingInputs(tok, [{ query: 'a query', summary: doc }], { maxLength: 128 });
      assert.ok(r.lengths[0] <= 128);
      assert.equal(r.inputIds[r.poolIndex[0]], tok.special.eos.id);
    }
  }
  // A huge query is capped, and the document still gets the other half.
  const hq = encodePairs(tok, [{ query: LONG_WORDS, summary: LONG_WORDS }], { maxLength: 128 });
  assert.deepEqual(hq.lengths, [128]);
}

test('robustness: trained tokenizers', () => {
  for (const [name, tok] of trained) check(name, tok);
});

test('robustness: fixture tokenizers', (t) => {
  if (!need(t, hasFixtures('tokenizers'), 'test/fixtures/tokenizers is absent')) return;
  for (const [name, tok] of fixtures()) check(name, tok);
});

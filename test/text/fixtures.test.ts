// The real tokenizer files in test/fixtures/tokenizers: bert-base-uncased and gpt2 must match
// expected_encodings.json; mistral (no expected file) is checked for byte fallback, `▁` handling and
// decode round trips. Our reference encoder (independent of @huggingface/tokenizers) must agree too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePairs, loadTokenizer, ReferenceEncoder, toRows } from '../../src/text/index.js';
import { sampleDocuments } from '../../src/text/sample-text.js';
import { hasFixtures, need, FIXTURES } from '../helpers/env.js';

const DIR = (name: string): string => join(FIXTURES, 'tokenizers', name);
const readJson = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));
const ok = (): boolean => hasFixtures('tokenizers');
const WHY = 'test/fixtures/tokenizers is absent';

test('bert-base-uncased matches expected_encodings.json (singles with [CLS]/[SEP], the pair with token types)', (t) => {
  if (!need(t, ok(), WHY)) return;
  const tok = loadTokenizer(DIR('bert-base-uncased'));
  const exp = readJson(join(DIR('bert-base-uncased'), 'expected_encodings.json'));
  assert.equal(tok.vocabSize, 30522);
  assert.deepEqual(
    [tok.special.pad?.id, tok.special.unk?.id, tok.special.cls?.id, tok.special.sep?.id, tok.special.mask?.id],
    [0, 100, 101, 102, 103],
  );
  for (const c of exp.single_with_special_tokens) {
    assert.deepEqual(tok.encodeWithSpecials(c.text).ids, c.ids, c.text);
    assert.deepEqual(tok.tokenize(c.text), c.tokens, c.text);
  }
  const p = exp.pair_with_special_tokens;
  assert.deepEqual(tok.encodeWithSpecials(p.text[0], p.text[1]), { ids: p.input_ids, typeIds: p.token_type_ids });
  const b = encodePairs(tok, [{ query: p.text[0], summary: p.text[1] }], { maxLength: 128 });
  assert.deepEqual(toRows(b.inputIds, b.shape), [p.input_ids]);
  assert.deepEqual(toRows(b.tokenTypeIds, b.shape), [p.token_type_ids]);
  assert.equal(tok.decode(tok.encodeWithSpecials('Hello, world!').ids, { skipSpecialTokens: true }), 'hello, world!');
});

test('gpt2 matches expected_encodings.json; eos = bos = <|endoftext|>, no template tokens', (t) => {
  if (!need(t, ok(), WHY)) return;
  const tok = loadTokenizer(DIR('gpt2'));
  const exp = readJson(join(DIR('gpt2'), 'expected_encodings.json'));
  assert.equal(tok.vocabSize, 50257);
  assert.deepEqual(tok.special.eos, { token: '<|endoftext|>', id: 50256 });
  assert.equal(tok.addsBos, false);
  assert.equal(tok.special.pad, undefined);
  for (const c of exp.single) {
    assert.deepEqual(tok.encodeWithSpecials(c.text).ids, c.ids, c.text);
    assert.deepEqual(tok.tokenize(c.text), c.tokens, c.text);
    assert.equal(tok.decode(c.ids), c.text);
  }
  // @huggingface/tokenizers drops the second text of a pair under a ByteLevel post-processor; we do not.
  assert.deepEqual(tok.encodeWithSpecials('hi', 'there'), { ids: [5303, 8117], typeIds: [0, 1] });
  assert.equal(tok.modelMaxLength, 1024);
});

test('the reference encoder reproduces expected_encodings.json and agrees with the loader on varied text', (t) => {
  if (!need(t, ok(), WHY)) return;
  const extra = ['Ünïcödé, ﬁne — “quotes” … 1½ ½', 'tab\there\r\nzero\u200bwidth\u00a0nbsp', '<|endoftext|>inside [SEP] text', '日本語のテキスト한국어', '🎉👍🏽 flags 🇫🇷'];
  for (const name of ['bert-base-uncased', 'gpt2']) {
    const doc = readJson(join(DIR(name), 'tokenizer.json'));
    const ref = new ReferenceEncoder(doc);
    const tok = loadTokenizer(DIR(name));
    const exp = readJson(join(DIR(name), 'expected_encodings.json'));
    for (const c of exp.single_with_special_tokens ?? exp.single) {
      const ids = name === 'gpt2' ? c.ids : c.ids.slice(1, -1);
      assert.deepEqual(ref.encode(c.text), ids, `${name}: ${c.text}`);
    }
    for (const s of [...sampleDocuments(200, 5, 60, { seed: 3 }), ...extra]) {
      assert.deepEqual(tok.encode(s), ref.encode(s), `${name}: ${JSON.stringify(s)}`);
    }
  }
});

test('mistral: bos template, byte fallback, ▁ handling, decode round trip', (t) => {
  if (!need(t, ok(), WHY)) return;
  const tok = loadTokenizer(DIR('mistral-7b-v0.1'));
  assert.equal(tok.vocabSize, 32000);
  assert.deepEqual([tok.special.unk?.id, tok.special.bos?.id, tok.special.eos?.id], [0, 1, 2]);
  assert.equal(tok.special.pad, undefined); // pad_token: null in tokenizer_config.json
  assert.equal(tok.addsBos, true);
  // ▁ marks a word start; prepend_scheme "first" adds one at the start of the text only.
  assert.deepEqual(tok.tokenize('Hello world'), ['▁Hello', '▁world']);
  assert.deepEqual(tok.encodeWithSpecials('Hello world').ids, [1, ...tok.encode('Hello world')]);
  assert.deepEqual(tok.encodeWithSpecials('a', 'b').ids, [1, ...tok.encode('a'), 1, ...tok.encode('b')]);
  // U+FDFD is not a piece: its three UTF-8 bytes EF B7 BD become <0xEF> <0xB7> <0xBD> (ids 3 + byte).
  const bytes = Array.from(new TextEncoder().encode('\ufdfd'));
  assert.deepEqual(bytes, [0xef, 0xb7, 0xbd]);
  const ids = tok.encode('x\ufdfd');
  assert.deepEqual(ids.slice(-3), bytes.map((b) => 3 + b));
  assert.deepEqual(tok.tokenize('x\ufdfd').slice(-3), ['<0xEF>', '<0xB7>', '<0xBD>']);
  assert.ok(!tok.encode('\ufdfd 東京 😀 Â¼').includes(0), 'no <unk> with byte fallback');
  for (const s of ['Hello, world!', 'Café naïve résumé — 東京', 'emoji 😀🎉 and ﷽ and \u0007 bell', 'MS MARCO mojibake: Â¼ cup, donâ€™t', 'two  spaces\nnew line\ttab', '']) {
    assert.equal(tok.decode(tok.encodeWithSpecials(s).ids, { skipSpecialTokens: true }), s);
  }
});

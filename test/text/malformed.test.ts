// Malformed tokenizer.json files the fuzz test found (issue 14): each is now an error naming the file and field
// when the tokenizer is loaded, instead of minutes of work (an id of 2^31), an id outside the vocabulary in every
// encoding, or a TypeError on the first text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizerFromJson, type TokenizerJson } from '../../src/text/index.js';
import { tinyBert } from './tiny.js';

function broken(edit: (j: any) => void): () => void {
  const j = tinyBert() as TokenizerJson & Record<string, any>;
  edit(j);
  return () => tokenizerFromJson(j);
}

test('token ids must be integers near the vocabulary size', () => {
  assert.throws(broken((j) => (j.model.vocab.cat = 2 ** 31)), /tokenizer\.json: model\.vocab\["cat"\]: expected a token id \(an integer between 0 and 65566\), found 2147483648/);
  assert.throws(broken((j) => (j.model.vocab.cat = 1.5)), /model\.vocab\["cat"\]: expected a token id/);
  assert.throws(broken((j) => (j.added_tokens[0].id = -1)), /added_tokens\[0\]\.id: expected a token id/);
  assert.throws(broken((j) => (j.added_tokens[3].content = 0)), /added_tokens\[3\]\.content: expected a non-empty string, found 0/);
});

test('a post-processor template may only insert tokens of the vocabulary, with integer type ids', () => {
  assert.throws(broken((j) => (j.post_processor.special_tokens['[CLS]'].ids = [1.5])), /post_processor\.special_tokens\["\[CLS\]"\]\.ids: expected token ids of the vocabulary, found \[1\.5\]/);
  assert.throws(broken((j) => (j.post_processor.special_tokens['[SEP]'].ids = [99])), /expected token ids of the vocabulary, found \[99\]/);
  assert.throws(broken((j) => (j.post_processor.single[1] = { Other: {} })), /post_processor\.single\[1\]: expected \{"Sequence": \.\.\.\} or \{"SpecialToken": \.\.\.\}/);
  assert.throws(broken((j) => (j.post_processor.single[1] = null)), /post_processor\.single\[1\]: expected \{"Sequence"/);
  assert.throws(broken((j) => (j.post_processor.pair = 5)), /post_processor\.pair: expected a list of pieces/);
  assert.throws(broken((j) => (j.post_processor.pair[3].Sequence.type_id = -2)), /post_processor\.pair\[3\]\.type_id: expected an integer ≥ 0, found -2/);
  assert.throws(
    broken((j) => (j.post_processor = { type: 'BertProcessing', cls: ['[CLS]'], sep: ['[SEP]', 3] })),
    /post_processor\.cls: expected token ids of the vocabulary, found \[null\]/,
  );
});

test('a tokenizer that cannot encode a probe text is refused when it is loaded', () => {
  assert.throws(broken((j) => (j.model.unk_token = '[NOPE]')), /tokenizer\.json: the tokenizer does not work: .*not in the vocabulary \(is model\.unk_token one of its tokens\?\)/);
  tokenizerFromJson(tinyBert()).encode('what is a cat?');
});

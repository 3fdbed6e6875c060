// Cross-encoder pair encoding on a hand-made vocabulary: every expected id below is worked out by hand
// from TINY_VOCAB (see tiny.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePair, encodePairs, tokenizerFromJson, toRows } from '../../src/text/index.js';
import { ID, tinyBert } from './tiny.js';

const tok = tokenizerFromJson(tinyBert());
const CAT = { query: 'What is a cat?', title: 'The cats', summary: 'A small mammal.' };
// what is a cat ?           the cats a small mammal .
const Q = [7, 8, 9, 10, 11];
const D = [12, 21, 9, 13, 14, 15];

test('tiny vocabulary encodes as worked out by hand', () => {
  assert.deepEqual(tok.encode('What is a cat?'), Q);
  assert.deepEqual(tok.encode('The cats a small mammal.'), D);
  assert.deepEqual(tok.encode('dogs'), [ID.dog, ID['##s']]);
  assert.deepEqual(tok.encode('zebra'), [ID['[UNK]']]);
});

test('pair without truncation: [CLS] query [SEP] title summary [SEP], token types 0 then 1', () => {
  const r = encodePair(tok, CAT, { maxLength: 32 });
  assert.deepEqual(r.ids, [2, ...Q, 3, ...D, 3]);
  assert.deepEqual(r.typeIds, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
});

test('truncation cuts the document first and caps the query at maxQueryLength', () => {
  // maxLength 10: 7 tokens for the texts; default query cap floor(7/2) = 3, document gets 4.
  assert.deepEqual(encodePair(tok, CAT, { maxLength: 10 }).ids, [2, 7, 8, 9, 3, 12, 21, 9, 13, 3]);
  // With a cap of 5 the whole query stays and the document keeps 2 tokens.
  const r = encodePair(tok, CAT, { maxLength: 10, maxQueryLength: 5 });
  assert.deepEqual(r.ids, [2, ...Q, 3, 12, 21, 3]);
  assert.deepEqual(r.typeIds, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  // A short query leaves the rest to the document.
  assert.deepEqual(encodePair(tok, { query: 'cat', title: 'The cats', summary: 'A small mammal.' }, { maxLength: 8 }).ids, [2, 10, 3, 12, 21, 9, 13, 3]);
  assert.throws(() => encodePair(tok, CAT, { maxLength: 4 }), /no room/);
  assert.throws(() => encodePair(tok, CAT, { maxLength: 10, maxQueryLength: 7 }), /maxQueryLength/);
});

test('batch: padding to the longest row, masks, token types, shape', () => {
  const b = encodePairs(tok, [CAT, { query: 'dogs', summary: 'big' }], { maxLength: 32 });
  assert.deepEqual(b.shape, [2, 14]);
  assert.deepEqual(b.lengths, [14, 6]);
  assert.ok(b.inputIds instanceof Int32Array);
  const pad = [0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(toRows(b.inputIds, b.shape), [
    [2, ...Q, 3, ...D, 3],
    [2, 17, 16, 3, 22, 3, ...pad],
  ]);
  assert.deepEqual(toRows(b.attentionMask, b.shape), [Array(14).fill(1), [1, 1, 1, 1, 1, 1, ...pad]]);
  assert.deepEqual(toRows(b.tokenTypeIds, b.shape), [
    [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 0, 0, 1, 1, ...pad],
  ]);
  assert.deepEqual(Array.from(b.poolIndex), [13, 5]);
});

test('batch: padding to max length, to a multiple, on the left, with another pad id', () => {
  const pairs = [{ query: 'dogs', summary: 'big' }];
  const m = encodePairs(tok, pairs, { maxLength: 12, padding: 'max_length' });
  assert.deepEqual(m.shape, [1, 12]);
  assert.deepEqual(toRows(m.inputIds, m.shape), [[2, 17, 16, 3, 22, 3, 0, 0, 0, 0, 0, 0]]);
  const k = encodePairs(tok, pairs, { maxLength: 32, padToMultipleOf: 8 });
  assert.deepEqual(k.shape, [1, 8]);
  const l = encodePairs(tok, pairs, { maxLength: 8, padding: 'max_length', padSide: 'left', padId: 4 });
  assert.deepEqual(toRows(l.inputIds, l.shape), [[4, 4, 2, 17, 16, 3, 22, 3]]);
  assert.deepEqual(toRows(l.attentionMask, l.shape), [[0, 0, 1, 1, 1, 1, 1, 1]]);
  assert.deepEqual(toRows(l.tokenTypeIds, l.shape), [[0, 0, 0, 0, 0, 0, 1, 1]]);
});

test('empty query, title and summary give the bare template', () => {
  assert.deepEqual(encodePair(tok, { query: '' }, { maxLength: 16 }).ids, [2, 3, 3]);
  assert.deepEqual(encodePair(tok, { query: '  ', title: '', summary: 'cat' }, { maxLength: 16 }).ids, [2, 3, 10, 3]);
  assert.deepEqual(encodePairs(tok, [], { maxLength: 16 }).shape, [0, 0]);
});

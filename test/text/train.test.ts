// Trainers: train → write tokenizer.json → reload → identical ids, in our loader (which runs
// @huggingface/tokenizers) and in the reference encoder (our own WordPiece/BPE code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodePairs,
  loadTokenizer,
  ReferenceEncoder,
  saveTrainedTokenizer,
  tokenizerFromJson,
  trainByteLevelBpe,
  trainWordPiece,
  type TrainedTokenizer,
} from '../../src/text/index.js';
import { sampleDocuments } from '../../src/text/sample-text.js';

const CORPUS = [...sampleDocuments(3000, 10, 60, { seed: 11 })];
const PROBES = [
  ...sampleDocuments(150, 1, 60, { seed: 99 }), // unseen text from the same distribution
  '',
  '   ',
  'Unseen Wörds: ÅNGSTRÖM façade 北京 東京 😀🎉 Â¼ donâ€™t',
  'special tokens inside text: [CLS] [SEP] <s> </s> <pad> [MASK]',
  'x'.repeat(150),
  'tabs\tand\nnewlines\r\nand\u00a0nbsp and zero\u200bwidth',
  "it's they're we've I'm you'll he'd 1990s 3.14 $5 #tag @user",
];

function roundTrip(trained: TrainedTokenizer): void {
  const dir = mkdtempSync(join(tmpdir(), 'disranker-tok-'));
  try {
    saveTrainedTokenizer(dir, trained);
    const doc = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    for (const key of ['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model']) {
      assert.ok(key in doc, `tokenizer.json has ${key}`);
    }
    const fresh = tokenizerFromJson(trained.tokenizer, trained.config);
    const loaded = loadTokenizer(dir);
    const ref = new ReferenceEncoder(doc);
    assert.deepEqual(loaded.special, fresh.special);
    assert.deepEqual(loaded.pair, fresh.pair);
    let tokens = 0;
    for (const s of PROBES) {
      const ids = loaded.encode(s);
      assert.deepEqual(ids, fresh.encode(s), `reload: ${JSON.stringify(s)}`);
      assert.deepEqual(ref.encode(s), ids, `reference: ${JSON.stringify(s)}`);
      tokens += ids.length;
    }
    assert.ok(tokens > 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('WordPiece: BERT layout, specials 0-4, ## pieces, vocab size, round trip in both encoders', () => {
  const trained = trainWordPiece(CORPUS, { vocabSize: 1500 });
  const j = trained.tokenizer;
  const vocab = j.model.vocab as Record<string, number>;
  assert.equal(j.model.type, 'WordPiece');
  assert.equal(Object.keys(vocab).length, 1500);
  assert.deepEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => vocab[t]), [0, 1, 2, 3, 4]);
  assert.deepEqual(j.added_tokens.map((t) => [t.id, t.content, t.special]), [[0, '[PAD]', true], [1, '[UNK]', true], [2, '[CLS]', true], [3, '[SEP]', true], [4, '[MASK]', true]]);
  assert.deepEqual(Object.values(vocab).sort((a, b) => a - b), Array.from({ length: 1500 }, (_, i) => i));
  assert.ok(Object.keys(vocab).some((t) => t.startsWith('##') && t.length > 3), 'learnt multi-character ## pieces');
  assert.equal(j.normalizer.type, 'BertNormalizer');
  assert.equal(j.normalizer.lowercase, true);
  assert.equal(j.post_processor.type, 'TemplateProcessing');
  roundTrip(trained);
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  assert.deepEqual(tok.encodeWithSpecials('a', 'b').typeIds, [0, 0, 0, 1, 1]);
  const b = encodePairs(tok, [{ query: 'Prolyly tion', summary: CORPUS[0] }], { maxLength: 32 });
  assert.deepEqual([b.inputIds[0], b.inputIds[31], b.shape], [2, 3, [1, 32]]);
  // Frequent words become single tokens.
  assert.equal(tok.encode('the').length, 1);
});

test('WordPiece: cased, custom specials, alphabet limit', () => {
  const trained = trainWordPiece(CORPUS, {
    vocabSize: 600,
    lowercase: false,
    specialTokens: ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]', '[DOC]'],
    limitAlphabet: 60,
  });
  assert.equal(trained.tokenizer.normalizer.lowercase, false);
  assert.equal(trained.tokenizer.model.vocab['[DOC]'], 5);
  assert.equal(trained.config.do_lower_case, false);
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  assert.deepEqual([tok.special.unk?.id, tok.special.pad?.id, tok.special.cls?.id], [0, 3, 1]);
  assert.notDeepEqual(tok.encode('The'), tok.encode('the'));
  roundTrip(trained);
  assert.throws(() => trainWordPiece(CORPUS, { vocabSize: 100, specialTokens: ['[PAD]'] }), /unkToken "\[UNK\]" is not in specialTokens/);
  assert.throws(() => trainWordPiece(CORPUS, { vocabSize: 0 }), /vocabSize/);
});

test('byte-level BPE: GPT-2 layout, 256 bytes, merges, never unknown, round trip in both encoders', () => {
  const trained = trainByteLevelBpe(CORPUS, { vocabSize: 1200 });
  const j = trained.tokenizer;
  assert.equal(j.model.type, 'BPE');
  assert.equal(Object.keys(j.model.vocab).length, 1200);
  assert.equal(j.model.merges.length, 1200 - 4 - 256);
  assert.deepEqual(['<s>', '<pad>', '</s>', '<unk>'].map((t) => j.model.vocab[t]), [0, 1, 2, 3]);
  assert.equal(j.pre_tokenizer.type, 'ByteLevel');
  const tok = tokenizerFromJson(j, trained.config);
  assert.deepEqual([tok.special.bos?.id, tok.special.eos?.id, tok.special.pad?.id], [0, 2, 1]);
  assert.equal(tok.addsBos, false);
  for (const s of ['Unseen Wörds 北京 😀 Â¼', 'the prolyly tion', 'a\n\tb  c']) assert.equal(tok.decode(tok.encode(s)), s);
  assert.ok(tok.encode('the tion').length <= 3);
  roundTrip(trained);
});

test('byte-level BPE with bos in the template', () => {
  const trained = trainByteLevelBpe(CORPUS.slice(0, 500), { vocabSize: 400, addBos: true, specialTokens: ['<|endoftext|>', '<s>'], eosToken: '<|endoftext|>' });
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  assert.equal(tok.addsBos, true);
  assert.deepEqual(tok.encodeWithSpecials('hi').ids, [1, ...tok.encode('hi')]);
  assert.deepEqual(tok.special.eos, { token: '<|endoftext|>', id: 0 });
  roundTrip(trained);
});

test('trainers are deterministic', () => {
  const a = trainByteLevelBpe(CORPUS.slice(0, 800), { vocabSize: 500 });
  const b = trainByteLevelBpe(CORPUS.slice(0, 800), { vocabSize: 500 });
  assert.deepEqual(a, b);
  assert.deepEqual(trainWordPiece(CORPUS.slice(0, 800), { vocabSize: 500 }), trainWordPiece(CORPUS.slice(0, 800), { vocabSize: 500 }));
});

// BERT's MLM corruption measured on a large sample: 15% of the real tokens selected, 80/10/10 among them,
// special tokens and padding never selected, labels only where selected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePairs, maskTokens, tokenizerFromJson, trainWordPiece } from '../../src/text/index.js';
import { sampleDocuments } from '../../src/text/sample-text.js';
import { Random } from '../../src/util/random.js';

test('MLM masking: 15% of real tokens, 80% [MASK] / 10% random / 10% kept, specials and padding never', () => {
  const docs = [...sampleDocuments(3000, 10, 40)];
  const trained = trainWordPiece(docs, { vocabSize: 2000 });
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  const maskId = tok.special.mask!.id;
  const specialIds = tok.specialTokenIds();
  const rng = new Random(7);
  let eligible = 0;
  let selected = 0;
  let masked = 0;
  let randomised = 0;
  let kept = 0;
  for (let i = 0; i < docs.length; i += 100) {
    const pairs = docs.slice(i, i + 100).map((d: string, k: number) => ({ query: docs[(i + k * 7) % docs.length].slice(0, 30), summary: d }));
    const batch = encodePairs(tok, pairs, { maxLength: 64, padding: 'longest' });
    const { inputIds, labels } = maskTokens(batch, rng, { maskId, vocabSize: tok.vocabSize, specialIds });
    for (let j = 0; j < inputIds.length; j++) {
      const orig = batch.inputIds[j];
      const isReal = batch.attentionMask[j] === 1 && !specialIds.has(orig);
      if (!isReal) {
        assert.equal(labels[j], -100, 'a special token or pad was selected');
        assert.equal(inputIds[j], orig, 'a special token or pad was changed');
        continue;
      }
      eligible++;
      if (labels[j] === -100) {
        assert.equal(inputIds[j], orig, 'an unselected token changed');
        continue;
      }
      selected++;
      assert.equal(labels[j], orig);
      if (inputIds[j] === maskId) masked++;
      else if (inputIds[j] === orig) kept++;
      else {
        randomised++;
        assert.ok(!specialIds.has(inputIds[j]), 'a random replacement is a special token');
      }
    }
  }
  assert.ok(eligible > 50_000, `sample of ${eligible} tokens`);
  const near = (x: number, p: number, what: string) => assert.ok(Math.abs(x - p) < 0.01, `${what}: ${x.toFixed(4)} vs ${p}`);
  near(selected / eligible, 0.15, 'selected');
  near(masked / selected, 0.8, '[MASK]');
  // a random replacement equal to the original (1 in ~2,000) counts as kept
  near(randomised / selected, 0.1, 'random');
  near(kept / selected, 0.1, 'kept');
});

test('MLM masking: queryRate selects the query segment at its own rate, the document at 15%', () => {
  const docs = [...sampleDocuments(2000, 10, 40)];
  const trained = trainWordPiece(docs, { vocabSize: 2000 });
  const tok = tokenizerFromJson(trained.tokenizer, trained.config);
  const specialIds = tok.specialTokenIds();
  const rng = new Random(11);
  const eligible = [0, 0];
  const selected = [0, 0];
  for (let i = 0; i < docs.length; i += 100) {
    const pairs = docs.slice(i, i + 100).map((d: string, k: number) => ({ query: docs[(i + k * 7) % docs.length].slice(0, 60), summary: d }));
    const batch = encodePairs(tok, pairs, { maxLength: 64, padding: 'longest' });
    const { labels } = maskTokens(batch, rng, { maskId: tok.special.mask!.id, vocabSize: tok.vocabSize, specialIds, queryRate: 0.5 });
    for (let j = 0; j < labels.length; j++) {
      if (batch.attentionMask[j] === 0 || specialIds.has(batch.inputIds[j])) {
        assert.equal(labels[j], -100, 'a special token or pad was selected');
        continue;
      }
      const seg = batch.tokenTypeIds[j];
      eligible[seg]++;
      if (labels[j] !== -100) selected[seg]++;
    }
  }
  assert.ok(eligible[0] > 10_000 && eligible[1] > 30_000, `sample of ${eligible.join(' + ')} tokens`);
  assert.ok(Math.abs(selected[0] / eligible[0] - 0.5) < 0.015, `query: ${(selected[0] / eligible[0]).toFixed(4)} vs 0.5`);
  assert.ok(Math.abs(selected[1] / eligible[1] - 0.15) < 0.01, `document: ${(selected[1] / eligible[1]).toFixed(4)} vs 0.15`);
  assert.throws(() => maskTokens(encodePairs(tok, [{ query: 'a', summary: 'b' }]), rng, { maskId: 0, vocabSize: tok.vocabSize, specialIds, queryRate: 0 }), /queryRate/);
});

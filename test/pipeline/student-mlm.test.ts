// The MLM loss kept as a second task while the student learns to rank (--mlm-weight): the head is loaded from the
// init folder's mlm_head.safetensors, the added term is weight × the MLM cross-entropy that the head gives on the
// masked pairs, the trainer's module holds the student and the head, and the student saved from such a run's best
// weights (loaded into that module) is the student alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { need } from '../helpers/env.js';

test('MlmTask: off adds nothing; on loads the head, adds weight × MLM, and saveStudent keeps the student of a paired checkpoint', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const { loadSafetensors, manualSeed, noGrad, saveSafetensors, tensor, tidy } = await import('../../src/engine/index.js');
  const { BertForSequenceClassification, BertLMPredictionHead, bertConfig } = await import('../../src/models/bert.js');
  const { batchTensors } = await import('../../src/models/inputs.js');
  const { saveHfModel } = await import('../../src/models/hf.js');
  const { loadTokenizer, saveTrainedTokenizer, trainWordPiece } = await import('../../src/text/index.js');
  const { sampleDocuments } = await import('../../src/text/sample-text.js');
  const { MLM_HEAD_FILE, MlmTask, loadStudent, mlmIdentity, saveStudent } = await import('../../src/pipeline/student.js');
  const { Random } = await import('../../src/util/random.js');

  const dir = mkdtempSync(join(tmpdir(), 'dr-mlm-task-'));
  const docs = [...sampleDocuments(300, 8, 20)];
  saveTrainedTokenizer(join(dir, 'init'), trainWordPiece(docs, { vocabSize: 600 }));
  const tok = loadTokenizer(join(dir, 'init'));
  manualSeed(0);
  const config = bertConfig({ vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
  const student = new BertForSequenceClassification(config);
  const head = new BertLMPredictionHead(config);
  saveHfModel(join(dir, 'init'), student, { card: {} });
  saveSafetensors(join(dir, 'init', MLM_HEAD_FILE), new Map([...head.stateDict()].map(([k, v]) => [`cls.predictions.${k}`, v])), { format: 'pt' });
  const items = docs.slice(0, 4).map((d, i) => ({ query: docs[i + 10].slice(0, 20), summary: d }));

  const model = loadStudent(join(dir, 'init'));
  model.eval(); // no dropout: the two computations below must agree
  const off = new MlmTask(model, join(dir, 'init'), tok, 0, 32);
  assert.equal(off.module, model);
  assert.equal(off.mask(items, new Random(1)), null);
  tidy(() => assert.equal(off.add(tensor([1.5]).sum(), null).item(), 1.5));

  const on = new MlmTask(model, join(dir, 'init'), tok, 0.5, 32);
  const keys = [...on.module.stateDict().keys()];
  assert.ok(keys.some((k) => k.startsWith('student.bert.')) && keys.some((k) => k.startsWith('cls.predictions.transform.')), keys.slice(0, 4).join(', '));
  const masked = on.mask(items, new Random(1))!;
  assert.ok(masked.labels!.some((l) => l !== -100), 'nothing was masked');
  tidy(() =>
    noGrad(() => {
      const added = on.add(tensor([1.5]).sum(), masked).item();
      const b = batchTensors(masked);
      const { hidden } = model.bert.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds });
      const mlm = head.loss(hidden, model.bert.embeddings.word_embeddings.weight, b.labels!).item(); // the saved head, by hand
      assert.ok(mlm > 1, `MLM loss ${mlm}`);
      assert.ok(Math.abs(added - (1.5 + 0.5 * mlm)) < 1e-4, `added ${added}, expected ${1.5 + 0.5 * mlm}`);
    }),
  );

  // --mlm-query-mask-rate: at 1 every query token (token type 0, not special) is selected, and the run's identity says so
  const wholeQuery = new MlmTask(model, join(dir, 'init'), tok, 0.5, 32, 1);
  const mq = wholeQuery.mask(items, new Random(2))!;
  const specials = tok.specialTokenIds();
  let queryTokens = 0;
  mq.tokenTypeIds.forEach((type, i) => {
    const original = mq.labels![i] === -100 ? mq.inputIds[i] : mq.labels![i];
    if (type !== 0 || mq.attentionMask[i] === 0 || specials.has(original)) return;
    queryTokens++;
    assert.notEqual(mq.labels![i], -100, `query token at ${i} not selected`);
  });
  assert.ok(queryTokens > 8, `${queryTokens} query tokens`);
  wholeQuery.dispose();
  assert.deepEqual(mlmIdentity(0, 0.5), {});
  assert.deepEqual(mlmIdentity(1, 0.15), { mlm_weight: 1 });
  assert.deepEqual(mlmIdentity(1, 0.5), { mlm_weight: 1, mlm_query_mask_rate: 0.5 });

  // a best-weights file of the paired module (student.* and cls.predictions.*) gives back the student
  tidy(() => {
    const w = model.classifier.weight;
    w.copy_(w.add(1)); // make the saved weights differ from the init folder's
  });
  const best = join(dir, 'best.safetensors');
  saveSafetensors(best, on.module.stateDict(), { format: 'pt' });
  const want = tidy(() => model.classifier.weight.toArray());
  const fresh = loadStudent(join(dir, 'init'));
  const freshTask = new MlmTask(fresh, join(dir, 'init'), tok, 0.5, 32); // the trainer's module of such a run
  saveStudent(fresh, freshTask.module, join(dir, 'init'), join(dir, 'saved'), best, {});
  freshTask.dispose();
  assert.ok(existsSync(join(dir, 'saved', 'config.json')));
  const saved = loadSafetensors(join(dir, 'saved', 'model.safetensors'));
  const savedKeys = [...saved.keys()];
  assert.ok(!savedKeys.some((k) => k.startsWith('student.') || k.startsWith('cls.predictions.')), savedKeys.join(', '));
  assert.deepEqual(tidy(() => loadStudent(join(dir, 'saved')).classifier.weight.toArray()), want);
  assert.ok(JSON.parse(readFileSync(join(dir, 'saved', 'config.json'), 'utf8')).architectures.includes('BertForSequenceClassification'));
  for (const m of [model, fresh, head, student]) m.dispose();
  on.dispose();
});

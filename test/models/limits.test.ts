// Bounded resources and exact errors of the model side (issue 14): a config is checked against its weights'
// headers before anything is allocated; generation runs in bounded batches with the same results; a tokenizer
// larger than the model, a missing model folder and bad seeds are clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { generate, generateForQueries, MAX_NEW_TOKENS } from '../../src/models/generate.js';
import { assertModelFolder, loadHfModel, saveHfModel } from '../../src/models/hf.js';
import { tokenizerFromJson } from '../../src/text/index.js';
import { need } from '../helpers/env.js';
import { tinyDecoder } from '../text/tiny.js';
import { tinyLlama } from './tiny.js';

const engineOk = (t: import('node:test').TestContext) => need(t, engineAvailable(), 'the libtorch engine is not built');

function savedTinyLlama(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'dr-limits-')), 'model');
  const m = tinyLlama(3, {}, { lm: true });
  saveHfModel(dir, m);
  m.dispose();
  return dir;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
}

test('a config that does not describe its weights is an error naming the field, before the model is built', (t) => {
  if (!engineOk(t)) return;
  const dir = savedTinyLlama();
  const rss0 = process.memoryUsage().rss;
  editConfig(dir, (c) => (c.num_hidden_layers = 100_000));
  assert.throws(() => loadHfModel(dir), /config\.json: num_hidden_layers is 100000, but model\.safetensors holds 2 layers/);
  editConfig(dir, (c) => ((c.num_hidden_layers = 2), (c.vocab_size = 1_000_000_000)));
  assert.throws(() => loadHfModel(dir), /tensor model\.embed_tokens\.weight has shape \[40,32\] but the model \(from its config\) expects \[1000000000,32\] \(config\.json: vocab_size and hidden_size\)/);
  editConfig(dir, (c) => ((c.vocab_size = 40), (c.intermediate_size = 1_000_000_000)));
  assert.throws(() => loadHfModel(dir), /gate_proj\.weight has shape \[64,32\] .*expects \[1000000000,32\] \(config\.json: intermediate_size and hidden_size\)/);
  // Nothing near the sizes asked for was allocated (4 GB of embeddings, 128 GB of MLP): a loose bound, not a timing.
  assert.ok(process.memoryUsage().rss - rss0 < 500e6);
  for (const [field, value, what] of [
    ['hidden_size', 'abc', /hidden_size: expected an integer between 1 and 2147483647, got "abc"/],
    ['num_attention_heads', 0, /num_attention_heads: expected an integer between 1 and/],
    ['num_hidden_layers', 1.5, /num_hidden_layers: expected an integer/],
    ['max_position_embeddings', 1e300, /max_position_embeddings: expected an integer/],
    ['rms_norm_eps', 'x', /rms_norm_eps: expected a finite number/],
    ['pad_token_id', 40, /pad_token_id: expected null or a token id below vocab_size 40, got 40/],
    ['eos_token_id', [2, -1], /eos_token_id: expected null, a token id below vocab_size 40 or a list of them/],
  ] as const) {
    editConfig(dir, (c) => ((c.intermediate_size = 64), (c[field] = value)));
    assert.throws(() => loadHfModel(dir), (e: Error) => e.message.startsWith(`${dir}: config.json: `) && what.test(e.message), `${field} = ${JSON.stringify(value)}`);
    editConfig(dir, (c) => ((c.hidden_size = 32), (c.num_attention_heads = 4), (c.num_hidden_layers = 2), (c.max_position_embeddings = 64), (c.rms_norm_eps = 1e-6), (c.pad_token_id = 0), (c.eos_token_id = 2)));
  }
  loadHfModel(dir).model.dispose();
});

test('a missing model folder is named before any file in it is looked up', () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-limits-'));
  assert.throws(() => assertModelFolder(join(root, 'nope')), (e: Error) => e.message === `${join(root, 'nope')}: no such model folder`);
  writeFileSync(join(root, 'file'), '');
  assert.throws(() => assertModelFolder(join(root, 'file')), /file: is a file, not a model folder/);
  assertModelFolder(root);
});

test('generation runs in bounded batches with the same results as one batch, greedy and sampled', (t) => {
  if (!engineOk(t)) return;
  const m = tinyLlama(21, {}, { lm: true });
  try {
    const prompts = Array.from({ length: 23 }, (_, i) => [1, ...Array.from({ length: 1 + (i % 5) }, (_, j) => 3 + ((i * 7 + j * 3) % 30))]);
    for (const opts of [{}, { topK: 5, seed: 9 }]) {
      const one = generate(m, prompts, { maxNewTokens: 5, batchSize: prompts.length, ...opts });
      assert.deepEqual(generate(m, prompts, { maxNewTokens: 5, batchSize: 4, ...opts }), one);
      assert.deepEqual(generate(m, prompts, { maxNewTokens: 5, ...opts }), one, 'the default batch size');
      assert.deepEqual(generate(m, prompts.slice(0, 1), { maxNewTokens: 5, batchSize: 1, ...opts }), one.slice(0, 1));
    }
    assert.throws(() => generate(m, prompts, { batchSize: 0 }), /batchSize must be a positive integer/);
    assert.throws(() => generate(m, prompts, { maxNewTokens: MAX_NEW_TOKENS + 1 }), /maxNewTokens must be an integer between 0 and 4096/);
    assert.throws(() => generate(m, [[1, 40]]), /prompt 0 has token id 40, outside the model's vocabulary \(vocab_size 40\)/);
  } finally {
    m.dispose();
  }
});

test('seeds outside 0 … 2^32 − 1 are errors, not aliases', (t) => {
  if (!engineOk(t)) return;
  const m = tinyLlama(21, {}, { lm: true });
  try {
    for (const seed of [-1, 2 ** 32, 2 ** 40, 1.5]) {
      assert.throws(() => generate(m, [[1]], { topK: 3, seed }), /generate: seed: a seed must be an integer between 0 and 4294967295/);
    }
    generate(m, [[1]], { topK: 3, seed: 2 ** 32 - 1, maxNewTokens: 1 });
  } finally {
    m.dispose();
  }
});

test('a tokenizer whose ids exceed the model vocabulary is an error naming it, not "index out of range in self"', (t) => {
  if (!engineOk(t)) return;
  const { tokenizer, config } = tinyDecoder();
  const tok = tokenizerFromJson(tokenizer, config);
  const m = tinyLlama(21, { vocab_size: 20 }, { lm: true });
  try {
    assert.throws(
      () => generateForQueries(m, tok, ['what is a cat']),
      /tokenizer\.json: the tokenizer has token ids up to 22, but the model has vocab_size 20 \(config\.json\): use the tokenizer the model was trained with/,
    );
  } finally {
    m.dispose();
  }
});

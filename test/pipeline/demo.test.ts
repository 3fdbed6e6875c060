// The main job end to end on the tiny world: it trains, writes its model, runs and report, and resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { runDemo } from '../../src/pipeline/demo.js';
import { loadHfModel } from '../../src/models/hf.js';
import { need } from '../helpers/env.js';

test('demo: tiny world → vocabulary → CPT → evaluation, and a second run resumes from what exists', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const out = mkdtempSync(join(tmpdir(), 'dr-demo-'));
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  try {
    await runDemo({ out, seed: 1, preset: 'tiny', steps: 30, batchSize: 8, checkpointEvery: 10 });
  } finally {
    console.log = orig;
  }
  for (const f of ['data/meta.json', 'tokenizer/tokenizer.json', 'cpt-model/config.json', 'cpt-model/model.safetensors', 'cpt-model/model_card.json', 'bm25.run', 'production.run', 'cpt-likelihood.run', 'report.txt']) {
    assert.ok(existsSync(join(out, f)), `${f} was not written`);
  }
  assert.ok(!existsSync(join(out, 'cpt-checkpoint')), 'the checkpoint is removed once the job is done');
  const report = readFileSync(join(out, 'report.txt'), 'utf8');
  assert.match(report, /cpt-likelihood\.run/);
  assert.match(report, /ndcg_cut_10/);
  const card = JSON.parse(readFileSync(join(out, 'cpt-model', 'model_card.json'), 'utf8'));
  assert.equal(card.steps, 30);
  assert.ok(card.losses.last10_mean < card.losses.first10_mean, `CPT loss did not fall: ${JSON.stringify(card.losses)}`);
  const loaded = loadHfModel(join(out, 'cpt-model'));
  assert.equal(loaded.architecture, 'LlamaForCausalLM');
  loaded.model.dispose();

  // Second run: data and vocabulary are reused, not regenerated.
  const logs2: string[] = [];
  console.log = (...a: unknown[]) => void logs2.push(a.join(' '));
  try {
    await runDemo({ out, seed: 1, preset: 'tiny', steps: 30, batchSize: 8 });
  } finally {
    console.log = orig;
  }
  assert.ok(logs2.some((l) => l.includes('using the data set')), logs2.join('\n'));
  assert.ok(!logs2.some((l) => l.includes('training a byte-level BPE')));
});

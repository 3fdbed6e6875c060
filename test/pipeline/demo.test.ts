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

  // The saved folder is self-contained: `disranker generate` continues a query with it.
  const { spawnSync } = await import('node:child_process');
  const { REPO_ROOT } = await import('../helpers/env.js');
  const gen = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'disranker.js'), 'generate', join(out, 'cpt-model'), '-q', 'first query', 'second query', '--max-new-tokens', '5', '--json'],
    { encoding: 'utf8', env: { ...process.env, DISRANKER_FROM_SOURCE: '1' } },
  );
  assert.equal(gen.status, 0, gen.stderr);
  const generations = JSON.parse(gen.stdout).generations as { query: string; text: string }[];
  assert.deepEqual(generations.map((g) => g.query), ['first query', 'second query']);
  assert.ok(generations.every((g) => typeof g.text === 'string'));

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

test('demo: a run killed during CPT resumes from its last checkpoint', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const { spawn, spawnSync } = await import('node:child_process');
  const { REPO_ROOT } = await import('../helpers/env.js');
  const out = mkdtempSync(join(tmpdir(), 'dr-demo-kill-'));
  const args = [join(REPO_ROOT, 'bin', 'disranker.js'), 'demo', '--out', out, '--preset', 'tiny', '--steps', '400', '--batch-size', '4', '--checkpoint-every', '5'];
  const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  const state = join(out, 'cpt-checkpoint', 'state.json');
  const deadline = Date.now() + 120_000;
  while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(state), 'no checkpoint was written');
  const saved = JSON.parse(readFileSync(state, 'utf8')).step as number;
  assert.ok(saved >= 5 && saved < 400, `checkpoint at step ${saved}`);
  const r = spawnSync(process.execPath, [...args.slice(0, 6), '--steps', String(saved + 5), ...args.slice(8)], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`resuming CPT from the checkpoint at step ${saved}`));
  assert.equal(JSON.parse(readFileSync(join(out, 'cpt-model', 'model_card.json'), 'utf8')).steps, saved + 5);
});

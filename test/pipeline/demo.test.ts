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
import { recordingReporter } from '../../src/util/reporter.js';

test('demo: tiny world → vocabulary → CPT → evaluation; a rerun reuses every stage; other settings are refused', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const out = mkdtempSync(join(tmpdir(), 'dr-demo-'));
  const rep = recordingReporter();
  const r = await runDemo({ out, seed: 1, preset: 'tiny', steps: 30, batchSize: 8, train: { checkpointEvery: 10 } }, rep);
  for (const f of ['data/meta.json', 'tokenizer/tokenizer.json', 'cpt-model/config.json', 'cpt-model/model.safetensors', 'cpt-model/model_card.json', 'cpt/metrics.jsonl', 'cpt/run.json', 'bm25.run', 'production.run', 'cpt-likelihood.run', 'report.txt', 'report.json']) {
    assert.ok(existsSync(join(out, f)), `${f} was not written`);
  }
  assert.ok(!existsSync(join(out, 'cpt', 'checkpoint')), 'the checkpoint is removed once the job is done');
  assert.ok(r.world.generated && r.tokenizer.trained && !r.cpt.cached);
  // evaluation comes back as numbers
  assert.deepEqual(r.evaluation.names, [join(out, 'bm25.run'), join(out, 'production.run'), join(out, 'cpt-likelihood.run')]);
  const ndcg = r.evaluation.evals[2].summary.get('ndcg_cut_10') as number;
  assert.ok(ndcg > 0 && ndcg <= 1, `nDCG@10 ${ndcg}`);
  assert.match(readFileSync(join(out, 'report.txt'), 'utf8'), /ndcg_cut_10/);
  const card = JSON.parse(readFileSync(join(out, 'cpt-model', 'model_card.json'), 'utf8'));
  assert.equal(card.steps, 30);
  assert.ok(card.losses.last10_mean < card.losses.first10_mean, `CPT loss did not fall: ${JSON.stringify(card.losses)}`);
  assert.equal(r.generations.length, 3);
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

  // Second run with the same settings: nothing is generated or trained again, the numbers are the same.
  const again = await runDemo({ out, seed: 1, preset: 'tiny', steps: 30, batchSize: 8, train: { checkpointEvery: 10 } }, recordingReporter());
  assert.ok(!again.world.generated && !again.tokenizer.trained && again.cpt.cached);
  assert.equal(again.evaluation.evals[2].summary.get('ndcg_cut_10'), ndcg);

  // A finished run with other settings is refused, naming the field; --force replaces it (it is a disranker run).
  await assert.rejects(runDemo({ out, seed: 1, preset: 'tiny', steps: 30, batchSize: 8, lr: 1e-3 }), /finished cpt run made with other settings:\n {2}train\.lr: 0\.002 → 0\.001/);
  const forced = await runDemo({ out, seed: 1, preset: 'tiny', steps: 10, batchSize: 8, lr: 1e-3, force: true });
  assert.equal(forced.cpt.steps, 10);
  assert.ok(!forced.cpt.cached);
});

test('demo: a run killed during CPT resumes from its last checkpoint', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const { spawn, spawnSync } = await import('node:child_process');
  const { REPO_ROOT } = await import('../helpers/env.js');
  const out = mkdtempSync(join(tmpdir(), 'dr-demo-kill-'));
  const args = [join(REPO_ROOT, 'bin', 'disranker.js'), 'demo', '--out', out, '--preset', 'tiny', '--steps', '150', '--batch-size', '4', '--checkpoint-every', '5'];
  const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  const state = join(out, 'cpt', 'checkpoint', 'state.json');
  const deadline = Date.now() + 120_000;
  while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(state), 'no checkpoint was written');
  const saved = JSON.parse(readFileSync(state, 'utf8')).step as number;
  assert.ok(saved >= 5 && saved < 150, `checkpoint at step ${saved}`);
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`resuming CPT from the checkpoint at step ${saved}`));
  assert.equal(JSON.parse(readFileSync(join(out, 'cpt-model', 'model_card.json'), 'utf8')).steps, 150);
});

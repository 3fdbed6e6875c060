// The teacher commands end to end on the tiny world: CPT, ranking SFT from the CPT model (a sequence-
// classification folder with dev metrics in its card), rerank; and SFT killed with SIGKILL mid-run resumes to the
// same dev metrics and weights as an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { need, REPO_ROOT } from '../helpers/env.js';

const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
const cli = (args: string[], cwd: string) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), ...args], { cwd, env, encoding: 'utf8' });

test('teacher cpt → teacher sft → rerank on the tiny world; SIGKILL mid-SFT resumes to the same dev metrics and weights', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-teacher-'));
  const ok = (args: string[]) => {
    const r = cli(args, dir);
    assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
    return r;
  };
  ok(['data', 'synth', '--preset', 'tiny', '--seed', '1', '--out', 'ds', '--quiet']);
  ok(['teacher', 'cpt', '--data', 'ds', '--out', 'cpt', '--steps', '20', '--batch-size', '8']);
  const sftArgs = (out: string) => ['teacher', 'sft', '--data', 'ds', '--init', 'cpt/model', '--out', out, '--steps', '30', '--eval-every', '10', '--checkpoint-every', '5'];
  ok(sftArgs('sft'));
  const config = JSON.parse(readFileSync(join(dir, 'sft', 'model', 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['LlamaForSequenceClassification']);
  assert.equal(config.num_labels ?? Object.keys(config.id2label).length, 1);
  const card = JSON.parse(readFileSync(join(dir, 'sft', 'model', 'model_card.json'), 'utf8'));
  assert.equal(card.dev.evals.length, 3);
  assert.ok(existsSync(join(dir, 'sft', 'model', 'tokenizer.json')));

  const rr = ok(['rerank', '--model', 'sft/model', '--data', 'ds', '--split', 'test', '--out', 'test.run', '--json']);
  const stats = JSON.parse(rr.stdout);
  assert.ok(stats.pairs > 0 && stats.pairs_per_s > 0 && stats.ms_per_100 > 0);
  assert.match(readFileSync(join(dir, 'test.run'), 'utf8'), /^\S+ Q0 \S+ 1 \S+ disranker$/m);

  // the SFT-only arm (a decoder from scratch) runs the same --lm-weight recipe: its tied LM head trains with the rest
  ok(['teacher', 'sft', '--data', 'ds', '--tokenizer', 'cpt/tokenizer', '--out', 'sft-only-lm', '--steps', '4', '--eval-every', '2', '--lm-weight', '1']);
  const scratch = JSON.parse(readFileSync(join(dir, 'sft-only-lm', 'model', 'model_card.json'), 'utf8'));
  assert.equal(scratch.hyperparameters.lm_weight, 1);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'sft-only-lm', 'model', 'config.json'), 'utf8')).architectures, ['LlamaForSequenceClassification']);

  // CPT's task replayed on the click log during SFT: recorded in the card, and it changes what is learnt
  const short = (out: string, extra: string[]) => ok(['teacher', 'sft', '--data', 'ds', '--init', 'cpt/model', '--out', out, '--steps', '3', '--eval-every', '3', ...extra]);
  short('sft-plain', []);
  short('sft-replay', ['--click-replay', '1']);
  const replayCard = JSON.parse(readFileSync(join(dir, 'sft-replay', 'model', 'model_card.json'), 'utf8'));
  assert.equal(replayCard.hyperparameters.click_replay, 1);
  assert.equal(JSON.parse(readFileSync(join(dir, 'sft-plain', 'model', 'model_card.json'), 'utf8')).hyperparameters.click_replay, 0);
  assert.ok(!readFileSync(join(dir, 'sft-replay', 'model', 'model.safetensors')).equals(readFileSync(join(dir, 'sft-plain', 'model', 'model.safetensors'))), 'the replayed clicks changed nothing');

  // killed after its first checkpoint, then resumed
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), ...sftArgs('sft-killed')], { cwd: dir, env, stdio: 'ignore' });
  const state = join(dir, 'sft-killed', 'checkpoint', 'state.json');
  const deadline = Date.now() + 120_000;
  while (!existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(state), 'no checkpoint was written');
  const resumed = ok(sftArgs('sft-killed'));
  assert.match(resumed.stdout, /resuming SFT from the checkpoint at step \d+/);
  const a = JSON.parse(readFileSync(join(dir, 'sft', 'model', 'model_card.json'), 'utf8'));
  const b = JSON.parse(readFileSync(join(dir, 'sft-killed', 'model', 'model_card.json'), 'utf8'));
  assert.deepEqual(b.dev, a.dev);
  assert.ok(readFileSync(join(dir, 'sft-killed', 'model', 'model.safetensors')).equals(readFileSync(join(dir, 'sft', 'model', 'model.safetensors'))), 'weights differ after the resume');
});

// Teacher scoring at scale: a job killed with SIGKILL resumes without rescoring and without duplicate lines, and
// n shards merged give the unsharded file byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { engineAvailable, manualSeed } from '../../src/engine/index.js';
import { saveHfModel } from '../../src/models/hf.js';
import { LlamaForCausalLM, llamaConfig } from '../../src/models/llama.js';
import { loadTokenizer, saveTrainedTokenizer, trainByteLevelBpe } from '../../src/text/index.js';
import { need, REPO_ROOT } from '../helpers/env.js';

const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };

test('teacher score: SIGKILL and resume give the same file as one run; 3 merged shards equal it byte for byte', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-score-'));
  await generateSynthetic({ preset: 'tiny', seed: 2, out: join(dir, 'ds') });
  const ds = await openDataset(join(dir, 'ds'));
  const docs = [...(await ds.loadDocuments()).values()].map((d) => `${d.title} ${d.summary}`);
  saveTrainedTokenizer(join(dir, 'tok'), trainByteLevelBpe(docs, { vocabSize: 400, addPrefixSpace: true }));
  const tok = loadTokenizer(join(dir, 'tok'));
  manualSeed(3);
  const model = new LlamaForCausalLM(
    llamaConfig({ vocab_size: tok.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, eos_token_id: tok.special.eos!.id, pad_token_id: tok.special.eos!.id }),
    { lm: false, score: true },
  );
  const teacher = join(dir, 'teacher');
  saveHfModel(teacher, model);
  model.dispose();
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) spawnSync('cp', [join(dir, 'tok', f), join(teacher, f)]);

  const args = (out: string, extra: string[] = []) => [join(REPO_ROOT, 'bin', 'disranker.js'), 'teacher', 'score', '--model', teacher, '--data', join(dir, 'ds'), '--out', join(dir, out), '--chunk-queries', '2', '--quiet', ...extra];
  const run = (out: string, extra: string[] = []) => {
    const r = spawnSync(process.execPath, args(out, extra), { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };
  run('whole');
  const whole = readFileSync(join(dir, 'whole', 'scores.jsonl'), 'utf8');
  const lines = whole.trim().split('\n');
  assert.equal(lines.length, 40 * 30, 'the 40 click-log queries × 30 candidates');
  assert.equal(new Set(lines.map((l) => { const x = JSON.parse(l); return `${x.qid} ${x.docid}`; })).size, lines.length, 'duplicate pairs');

  // killed mid-job (after at least one chunk), then resumed
  const child = spawn(process.execPath, args('killed'), { env, stdio: 'ignore' });
  const doneFile = join(dir, 'killed', 'scores.jsonl.done.json');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (existsSync(doneFile) && JSON.parse(readFileSync(doneFile, 'utf8')).chunks >= 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const before = JSON.parse(readFileSync(doneFile, 'utf8')).chunks as number;
  assert.ok(before >= 2 && before < 20, `killed after ${before} chunks`);
  const resumed = spawnSync(process.execPath, args('killed', ['--json']), { env, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  const r = JSON.parse(resumed.stdout);
  assert.equal(r.skippedChunks, JSON.parse(readFileSync(doneFile, 'utf8')).chunks - r.scoredChunks);
  assert.ok(r.skippedChunks >= before, 'finished chunks were scored again');
  assert.equal(readFileSync(join(dir, 'killed', 'scores.jsonl'), 'utf8'), whole);

  // 3 shards, then the merge
  for (const i of [0, 1, 2]) run('sharded', ['--shard', `${i}/3`]);
  const merge = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'teacher', 'merge-scores', '--out', join(dir, 'sharded'), '--shards', '3'], { env, encoding: 'utf8' });
  assert.equal(merge.status, 0, merge.stderr);
  assert.equal(readFileSync(join(dir, 'sharded', 'scores.jsonl'), 'utf8'), whole);

  // --nproc 2: two worker processes score the shards, then merge (needs no distributed support). Each worker has 1
  // thread, so the file to equal is one process's with 1 thread: on some CPUs OpenBLAS's sums with 2 threads differ
  // from 1 thread's in the last bit
  const single = spawnSync(process.execPath, args('whole-1-thread'), { env: { ...env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8' });
  assert.equal(single.status, 0, single.stderr);
  run('nproc', ['--nproc', '2']);
  assert.equal(readFileSync(join(dir, 'nproc', 'scores.jsonl'), 'utf8'), readFileSync(join(dir, 'whole-1-thread', 'scores.jsonl'), 'utf8'));

  // other settings into the same folder are refused
  const other = spawnSync(process.execPath, args('whole', ['--batch-size', '7']), { env, encoding: 'utf8' });
  assert.equal(other.status, 1);
  assert.match(other.stderr, /was scored with other settings/);
});

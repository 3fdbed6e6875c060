// `pipeline run --jobs 2`: stages whose upstream stages are done run side by side, each in a process of its own
// (the hidden `pipeline stage` command), and record the same stages under the same keys as a run one stage after
// the other; evaluate and export run alone; a rerun trains nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../../src/engine/index.js';
import { PIPELINE_STAGES } from '../../src/pipeline/pipeline.js';
import { need, REPO_ROOT } from '../helpers/env.js';

const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };
const FEW = ['cpt.steps=10', 'sft.steps=6', 'sft.evalEvery=3', 'studentPretrain.steps=10', 'studentLabels.steps=6', 'studentLabels.evalEvery=3', 'distill.steps=6', 'distill.evalEvery=3', 'evaluate.permutations=200', 'evaluate.bootstrap=200', 'latency.rounds=2'];

test('pipeline run --jobs 2: stages side by side in their own processes, the same stages and keys as --jobs 1, a rerun trains nothing', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-pipeline-jobs-'));
  const run = (out: string, jobs: number) => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'pipeline', 'run', '--preset', 'quick', '--set', ...FEW, '--jobs', String(jobs), '--out', out], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `--jobs ${jobs}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const side = run('side', 2);
  // world first, here; then the tokenizer and the student's pre-training together, each in its own process
  assert.match(side, /stage tokenizer .*in its own process with \d+ thread/);
  assert.match(side, /stage student-pretrain .*in its own process with \d+ thread/);
  assert.match(side, /\[student-pretrain\] MLM pre-training/); // a stage process's lines reach the parent
  for (const alone of ['evaluate', 'export']) assert.match(side, new RegExp(`── stage ${alone} \\(\\S+\\)\\n`), `${alone} runs here, alone`);
  const one = run('one', 1);
  assert.doesNotMatch(one, /in its own process/);

  const report = (out: string) => JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8'));
  const a = report('side');
  const b = report('one');
  for (const s of PIPELINE_STAGES) {
    assert.equal(a.stages[s].status, 'ran', s);
    assert.equal(a.stages[s].key, b.stages[s].key, `${s}: the same key`);
  }
  assert.deepEqual(Object.keys(a.test.runs), Object.keys(b.test.runs));
  assert.deepEqual(a.test.runs.bm25, b.test.runs.bm25);

  const again = run('side', 2);
  assert.match(again, /nothing to train: every stage was done/);
  assert.doesNotMatch(again, /in its own process/);
});

test('a stage process takes the thread count its parent writes (widen), once, at a progress update', async () => {
  const { parentReporter, THREADS_FILE_ENV } = await import('../../src/cli/actions/pipeline.js');
  const dir = mkdtempSync(join(tmpdir(), 'dr-widen-'));
  const file = join(dir, '.threads-distill-hybrid');
  const before = process.env[THREADS_FILE_ENV];
  process.env[THREADS_FILE_ENV] = file;
  try {
    const got: number[] = [];
    const bar = parentReporter((n) => got.push(n)).progress('distill', 10);
    bar.update(1);
    assert.deepEqual(got, [], 'no file, no change');
    writeFileSync(file, '2');
    await new Promise((r) => setTimeout(r, 1100)); // the file is looked at most once a second
    bar.update(2);
    bar.update(3);
    assert.deepEqual(got, [2]);
    assert.ok(!existsSync(file), 'the file is taken');
    bar.stop();
  } finally {
    if (before === undefined) delete process.env[THREADS_FILE_ENV];
    else process.env[THREADS_FILE_ENV] = before;
  }
});

// The student commands end to end on the tiny world: MLM pre-training (the loss falls; a BERT cross-encoder folder
// with its tokenizer and MLM head), the label-only baseline and distillation from teacher scores (each a folder whose
// model card holds its dev evaluations), and the teacher-score normalisations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { engineAvailable } from '../../src/engine/index.js';
import { normalizeScores } from '../../src/pipeline/distill.js';
import { need, REPO_ROOT } from '../helpers/env.js';

const env = { ...process.env, DISRANKER_FROM_SOURCE: '1' };

test('teacher-score normalisation: query-z per query, affine over all, none', () => {
  const s = new Map([
    ['a', [{ docid: 'x', score: 1 }, { docid: 'y', score: 3 }]],
    ['b', [{ docid: 'x', score: 10 }, { docid: 'y', score: 10 }]],
  ]);
  assert.deepEqual(normalizeScores(s, 'none'), s);
  assert.deepEqual(normalizeScores(s, 'query-z').get('a')!.map((x) => x.score), [-1, 1]);
  assert.deepEqual(normalizeScores(s, 'query-z').get('b')!.map((x) => x.score), [0, 0]); // no spread: only centred
  const all = [...normalizeScores(s, 'affine').values()].flatMap((l) => l.map((x) => x.score));
  const mean = all.reduce((a, b) => a + b) / all.length;
  const sd = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
  assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12);
});

test('student pretrain → label-only student and distillation from teacher scores, on the tiny world', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-student-'));
  const ok = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), ...args], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
    return r;
  };
  ok(['data', 'synth', '--preset', 'tiny', '--seed', '3', '--out', 'ds', '--quiet']);
  ok(['student', 'pretrain', '--data', 'ds', '--out', 'pre', '--steps', '60', '--batch-size', '16', '--vocab-size', '800', '--quiet']);
  const pre = JSON.parse(readFileSync(join(dir, 'pre', 'model', 'model_card.json'), 'utf8'));
  assert.ok(pre.losses.last10_mean < pre.losses.first10_mean, `MLM loss did not fall: ${JSON.stringify(pre.losses)}`);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'pre', 'model', 'config.json'), 'utf8')).architectures, ['BertForSequenceClassification']);
  // the defaults: the click-log queries with their clicked documents, the query's tokens masked at 50%; or the
  // candidate lists at BERT's 15% everywhere
  assert.equal(pre.data.pairs_from, 'clicks');
  assert.equal(pre.hyperparameters.query_mask_rate, 0.5);
  ok(['student', 'pretrain', '--data', 'ds', '--out', 'pre-lists', '--pairs', 'candidates', '--query-mask-rate', '0.15', '--steps', '60', '--batch-size', '16', '--vocab-size', '800', '--quiet']);
  const lists = JSON.parse(readFileSync(join(dir, 'pre-lists', 'model', 'model_card.json'), 'utf8'));
  assert.ok(lists.losses.last10_mean < lists.losses.first10_mean, `MLM loss did not fall: ${JSON.stringify(lists.losses)}`);
  assert.equal(lists.data.pairs_from, 'candidates');
  assert.equal(lists.hyperparameters.query_mask_rate, 0.15);
  assert.ok(lists.data.pairs > 0 && lists.data.pairs !== pre.data.pairs, `pairs: ${lists.data.pairs} (clicks: ${pre.data.pairs})`);
  const badRate = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'student', 'pretrain', '--data', 'ds', '--out', 'x', '--query-mask-rate', '1.5'], { cwd: dir, env, encoding: 'utf8' });
  assert.notEqual(badRate.status, 0);
  assert.match(badRate.stderr, /--query-mask-rate: expected a number in \(0, 1\]/);

  // teacher scores: here BM25's, written as scores.jsonl (any teacher works the same way)
  ok(['data', 'bm25', 'ds', '--out', 'bm25.run']);
  const ds = await openDataset(join(dir, 'ds'));
  const judged = await ds.qrels();
  const lines = readFileSync(join(dir, 'bm25.run'), 'utf8').trim().split('\n').map((l) => l.split(' '));
  writeFileSync(join(dir, 'scores.jsonl'), lines.filter((c) => !judged.has(c[0])).map((c) => JSON.stringify({ qid: c[0], docid: c[2], score: Number(c[4]) })).join('\n') + '\n');

  ok(['student', 'train', '--labels', '--data', 'ds', '--init', 'pre/model', '--out', 'labels', '--steps', '20', '--eval-every', '10', '--quiet']);
  ok(['distill', '--data', 'ds', '--init', 'pre/model', '--scores', 'scores.jsonl', '--out', 'hybrid', '--steps', '20', '--eval-every', '10', '--quiet']);
  for (const run of ['labels', 'hybrid']) {
    const card = JSON.parse(readFileSync(join(dir, run, 'model', 'model_card.json'), 'utf8'));
    assert.equal(card.dev.evals.length, 2, run);
    assert.ok(Number.isFinite(card.dev.best.value), run);
  }
  const rr = ok(['rerank', '--model', 'hybrid/model', '--data', 'ds', '--split', 'test', '--out', 'test.run', '--json']);
  assert.ok(JSON.parse(rr.stdout).pairs > 0);
  // a bad scores file names its line and field
  writeFileSync(join(dir, 'bad.jsonl'), '{"qid":"q1","docid":"d1","score":1}\n{"qid":"q1","docid":"d2"}\n');
  const bad = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'distill', '--data', 'ds', '--init', 'pre/model', '--scores', 'bad.jsonl', '--out', 'bad', '--steps', '2'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.jsonl:2: score: missing or not a finite number/);
});

// `disranker student ablate` on the tiny world with a few steps: the label-only, point-wise, Margin-MSE and hybrid
// students and a β sweep of two values (one of them the hybrid's own β, which is not trained twice), one TREC run per
// variant plus BM25's, summary.json (finite metrics, comparisons with p and p_holm against student-labels and bm25)
// and summary.md (a row per variant); a rerun through the CLI trains nothing and prints the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/data/dataset.js';
import { engineAvailable } from '../../src/engine/index.js';
import { ablateStage, ablationVariants, type AblationSummary } from '../../src/pipeline/ablate.js';
import { bm25CandidateRun } from '../../src/pipeline/rerank.js';
import { studentPretrainStage } from '../../src/pipeline/student.js';
import { worldStage } from '../../src/pipeline/world.js';
import { need, REPO_ROOT } from '../helpers/env.js';

test('ablation variants: the sweep skips the hybrid\'s own β and repeats', () => {
  const names = ablationVariants(1, 1, [0.5, 1, 2, 0.5]).map((v) => v.name);
  assert.deepEqual(names, ['student-labels', 'student-pointwise', 'student-margin', 'student-hybrid', 'student-hybrid-beta-0.5', 'student-hybrid-beta-2']);
  assert.throws(() => ablationVariants(1, 1, [-1]), /β must be a finite number ≥ 0/);
});

test('student ablate on the tiny world: a run per variant, summary.json and summary.md; a rerun trains nothing', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-ablate-'));
  const data = join(dir, 'ds');
  await worldStage({ out: data, preset: 'tiny', seed: 3 });
  const pre = await studentPretrainStage({ data, out: join(dir, 'pre'), seed: 0, steps: 4, batchSize: 8, vocabSize: 800 });
  // teacher scores: BM25's on the unjudged queries' candidates (any teacher works the same way)
  const ds = await openDataset(data);
  const judged = await ds.qrels();
  const unjudged = [...(await ds.loadCandidates()).keys()].filter((q) => !judged.has(q));
  const scores = join(dir, 'scores.jsonl');
  const lines = [...(await bm25CandidateRun(ds, unjudged))].flatMap(([qid, docs]) => [...docs].map(([docid, score]) => JSON.stringify({ qid, docid, score })));
  writeFileSync(scores, lines.join('\n') + '\n');

  const out = join(dir, 'ablation');
  const opts = { data, init: pre.modelDir, scores, out, seed: 0, steps: 2, evalEvery: 2, betas: [0.5, 1], permutations: 200, bootstrap: 200 };
  const { summary, markdown } = await ablateStage(opts);
  const variants = ['bm25', 'student-labels', 'student-pointwise', 'student-margin', 'student-hybrid', 'student-hybrid-beta-0.5'];
  assert.deepEqual(Object.keys(summary.variants), variants);
  assert.deepEqual(readdirSync(join(out, 'runs')).sort(), variants.map((v) => `${v}.run`).sort());
  assert.deepEqual(summary.sweep, [{ beta: 0.5, variant: 'student-hybrid-beta-0.5' }, { beta: 1, variant: 'student-hybrid' }]);
  assert.equal(summary.variants['student-hybrid-beta-0.5'].beta, 0.5);

  const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as AblationSummary;
  assert.ok(written.queries > 0);
  for (const v of variants) {
    for (const m of ['ndcg_cut_10', 'ndcg_cut_5', 'map', 'recip_rank', 'pnr']) assert.ok(Number.isFinite(written.variants[v].metrics[m]), `${v} ${m}: ${written.variants[v].metrics[m]}`);
  }
  for (const v of variants.slice(1)) {
    for (const baseline of ['student-labels', 'bm25']) {
      if (v === baseline) continue;
      const c = written.comparisons.find((x) => x.run === v && x.baseline === baseline && x.metric === 'ndcg_cut_10');
      assert.ok(c && typeof c.p === 'number' && typeof c.p_holm === 'number' && c.p_holm >= c.p, `${v} vs ${baseline}: ${JSON.stringify(c)}`);
    }
  }
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.equal(md, markdown);
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| variant') && !l.startsWith('| ---'));
  assert.deepEqual(rows.map((l) => l.split('|')[1].trim()), variants);

  // the CLI with the same settings: every student's run folder is finished, so nothing trains; the table is printed
  const cli = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'disranker.js'), 'student', 'ablate', '--data', data, '--init', pre.modelDir, '--scores', scores, '--out', out,
      '--steps', '2', '--eval-every', '2', '--betas', '0.5,1', '--permutations', '200', '--bootstrap', '200', '--quiet'],
    { cwd: dir, env: { ...process.env, DISRANKER_FROM_SOURCE: '1' }, encoding: 'utf8' },
  );
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(cli.stdout, markdown);
  const again = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as AblationSummary;
  for (const v of variants.slice(1)) assert.equal(again.variants[v].cached, true, v);
});

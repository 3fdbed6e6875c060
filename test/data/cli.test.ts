// `disranker data ...` end to end through the real CLI entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'data', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DISRANKER_FROM_SOURCE: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('synth, stats --json, bm25 and translation-lm runs, build cpt; a bad import exits 1 with file:line and writes nothing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-cli-'));
  const ds = join(root, 'ds');
  let r = cli('synth', '--preset', 'tiny', '--seed', '5', '--out', ds, '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*documents 240, queries 60/);
  r = cli('stats', ds, '--json');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.counts.impressions, 600);
  assert.equal(s.orderings[0].ndcg10.ideal, 1);
  r = cli('bm25', ds, '--out', join(root, 'run.txt'), '--k', '10');
  assert.equal(r.code, 0, r.err);
  const lines = readFileSync(join(root, 'run.txt'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 600);
  assert.match(lines[0], /^q\d+ Q0 d\d+ 1 [\d.]+ bm25$/);
  // no DS/splits: --split test is the judged queries' default split, the queries `rerank --split test` takes
  r = cli('bm25', ds, '--out', join(root, 'test.run'), '--split', 'test');
  assert.equal(r.code, 0, r.err);
  const { judgedSplits } = await import('../../src/data/sets/split.js');
  const { openDataset } = await import('../../src/data/dataset.js');
  const testQids = (await judgedSplits(await openDataset(ds))).splits.test;
  assert.deepEqual(new Set(readFileSync(join(root, 'test.run'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0])), new Set(testQids));
  r = cli('translation-lm', ds, '--out', join(root, 'tlm.run'), '--judged-only', '--mu', '50');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*tlm\.run: \d+ queries; trained on \d+ of \d+ clicks/);
  assert.match(readFileSync(join(root, 'tlm.run'), 'utf8'), /^q\d+ Q0 d\d+ 1 -[\d.]+ translation-lm\n/);
  r = cli('translation-lm', ds, '--out', join(root, 'tlm.run'), '--alpha-self', '2');
  assert.equal(r.code, 1);
  assert.match(r.err, /--alpha-self: expected 0 ≤ α ≤ 1, got "2"/);
  r = cli('export', ds, '--what', 'hidden-qrels', '--out', join(root, 'hidden.txt'));
  assert.equal(r.code, 0, r.err);
  assert.ok(readFileSync(join(root, 'hidden.txt')).equals(readFileSync(join(ds, 'hidden-qrels.txt'))));
  r = cli('build', 'cpt', ds, '--out', join(root, 'cpt.jsonl'), '--weight', 'ipw', '--min-dwell', '20');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /PBM propensity by position: 1\.000/);

  const bad = join(root, 'bad.tsv');
  writeFileSync(bad, 'QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel\nQ1\tq\tD1\tT\tD1-0\ts\t2\n');
  r = cli('import', '--format', 'wikiqa', bad, '--out', join(root, 'w'));
  assert.equal(r.code, 1);
  assert.match(r.err, /^disranker: .*bad\.tsv:2: Label: label 2 is outside the range 0-1\n$/);
  assert.equal(existsSync(join(root, 'w')), false);
  r = cli('import', '--format', 'wikiqa', bad, '--out', join(root, 'w'), '--skip-bad');
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.tsv: no rows \(the file is empty or every line was bad\)/);
});

// `disranker eval`: JSON shape, comparisons, and clear errors from the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/env.js';
import { evalAction as evalCommand } from '../../src/cli/actions/eval.js';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'disranker-eval-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const QRELS = ['1 0 a 2', '1 0 b 1', '1 0 c 0', '2 0 d 1', '2 0 e 0', '3 0 f 1'].join('\n') + '\n';
// base: query 1 perfect, query 2 wrong order; better: both perfect.
const BASE = ['1 Q0 a 1 3 base', '1 Q0 b 2 2 base', '1 Q0 c 3 1 base', '2 Q0 e 1 2 base', '2 Q0 d 2 1 base'].join('\n');
const BETTER = ['1 Q0 a 1 3 x', '1 Q0 b 2 2 x', '1 Q0 c 3 1 x', '2 Q0 d 1 2 x', '2 Q0 e 2 1 x'].join('\n');

test(
  '--json prints runs with means (and per_query) and comparisons',
  withDir(async (dir) => {
    const q = join(dir, 'q.txt');
    const r1 = join(dir, 'base.run');
    const r2 = join(dir, 'better.run');
    writeFileSync(q, QRELS);
    writeFileSync(r1, BASE);
    writeFileSync(r2, BETTER);
    const out = JSON.parse(
      await evalCommand({ qrels: q, run: [r1, r2], metrics: 'RR,nDCG@10,pnr', json: true, perQuery: true, permutations: 200, bootstrap: 200 }),
    );
    assert.deepEqual(Object.keys(out), ['runs', 'comparisons']);
    assert.deepEqual(Object.keys(out.runs), [r1, r2]);
    const base = out.runs[r1];
    assert.equal(base.recip_rank, (1 + 0.5) / 2);
    assert.equal(base.pnr, 3); // pairs: q1 3 concordant, q2 1 discordant
    assert.equal(base.pnr_pair_acc, (1 + 0) / 2);
    assert.equal(base.num_q, 2);
    assert.deepEqual(Object.keys(base.per_query), ['1', '2']);
    assert.equal(base.per_query['2'].recip_rank, 0.5);
    assert.equal(out.runs[r2].pnr, 'inf');
    assert.equal(out.comparisons.length, 3);
    const rr = out.comparisons[0];
    assert.deepEqual(Object.keys(rr).slice(0, 7), ['run', 'baseline', 'metric', 'delta', 'p_ttest', 'p_permutation', 'ci95']);
    assert.equal(rr.run, r2);
    assert.equal(rr.baseline, r1);
    assert.equal(rr.metric, 'recip_rank');
    assert.equal(rr.delta, 0.25);
    assert.equal(rr.ci95.length, 2);
    assert.equal(out.comparisons[2].metric, 'pnr_pair_acc');

    // -c: query 3 (in the qrels, in no run) counts 0.
    const complete = JSON.parse(await evalCommand({ qrels: q, run: [r1], metrics: 'recip_rank', json: true, complete: true }));
    assert.equal(complete.runs[r1].recip_rank, 1.5 / 3);
    assert.deepEqual(complete.comparisons, []);

    // Text and Markdown reports name the baseline and the metrics.
    const text = await evalCommand({ qrels: q, run: [r1, r2], metrics: 'map', permutations: 100, bootstrap: 100 });
    assert.match(text, /base\.run \(baseline\)/);
    assert.match(text, /map/);
    const md = await evalCommand({ qrels: q, run: [r1], metrics: 'map', markdown: true });
    assert.match(md, /^\| run \| map \| queries \|$/m);
  }),
);

test(
  'bad input gives clear errors with file:line',
  withDir(async (dir) => {
    const q = join(dir, 'q.txt');
    writeFileSync(q, QRELS);
    const cases: [string, RegExp][] = [
      ['1 Q0 a 1 3 t\n1 Q0 a 2 2 t\n', /dup\.run:2: docid: document "a" appears twice for query "1"/],
      ['1 Q0 a 1 high t\n', /dup\.run:1: score: expected a number, found "high"/],
      ['1 Q0 a 1 3\n', /dup\.run:1: line: expected 6 columns/],
      ['', /dup\.run: the run is empty/],
    ];
    const r = join(dir, 'dup.run');
    for (const [text, message] of cases) {
      writeFileSync(r, text);
      await assert.rejects(evalCommand({ qrels: q, run: [r] }), message);
    }
    const badQ = join(dir, 'bad-q.txt');
    writeFileSync(badQ, '1 0 a 1\n1 0 b\n');
    writeFileSync(r, BASE);
    await assert.rejects(evalCommand({ qrels: badQ, run: [r] }), /bad-q\.txt:2: line: expected 4 columns/);
    await assert.rejects(evalCommand({ qrels: q, run: [r], metrics: 'nope' }), /"nope": unknown metric/);
    await assert.rejects(evalCommand({ qrels: q, run: [r, r] }), /given twice/);
    // Flags are parsed by the CLI's option table: a bad value names the flag.
    for (const [flag, value] of [['--relevance-level', 'x'], ['--seed', '4294967296'], ['--permutations', '0'], ['--alpha', '2']]) {
      const res = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'eval', '--qrels', q, '--run', r, flag, value], {
        encoding: 'utf8',
        env: { ...process.env, DISRANKER_FROM_SOURCE: '1' },
      });
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^disranker: ${flag}: expected`), res.stderr);
    }
  }),
);

test(
  'the CLI prints "disranker: file:line: ..." and exits 1 on a bad run',
  withDir(async (dir) => {
    const q = join(dir, 'q.txt');
    const r = join(dir, 'bad.run');
    writeFileSync(q, QRELS);
    writeFileSync(r, '1 Q0 a 1 3 t\n1 Q0 b 2 x t\n');
    const res = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), 'eval', '--qrels', q, '--run', r], {
      encoding: 'utf8',
      env: { ...process.env, DISRANKER_FROM_SOURCE: '1' },
    });
    assert.equal(res.status, 1, res.stderr);
    assert.equal(res.stderr.trim(), `disranker: ${r}:2: score: expected a number, found "x"`);
    assert.equal(res.stdout, '');
  }),
);

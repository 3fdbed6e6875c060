// TREC qrels/run parsing, reading and writing (src/data/trec.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  compareIds,
  formatQrels,
  formatRun,
  parseQrels,
  parseRun,
  rankDocs,
  readQrels,
  readRun,
  runFromHits,
} from '../../src/data/trec.js';
import { InputError } from '../../src/util/errors.js';

function throwsInput(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('parseQrels reads graded labels, ignores the iter column and blank lines', () => {
  const q = parseQrels('1 0 d1 2\n1 Q0 d2 0\n\n2 anything d1 -1\n', 'q.txt');
  assert.deepEqual([...q.keys()], ['1', '2']);
  assert.equal(q.get('1')?.get('d1'), 2);
  assert.equal(q.get('1')?.get('d2'), 0);
  assert.equal(q.get('2')?.get('d1'), -1);
});

test('parseQrels errors name file:line and field', () => {
  throwsInput(() => parseQrels('1 0 d1 1\n1 0 d2\n', 'q.txt'), /^q\.txt:2: line: expected 4 columns/);
  throwsInput(() => parseQrels('1 0 d1 high\n', 'q.txt'), /^q\.txt:1: rel: expected an integer/);
  throwsInput(() => parseQrels('1 0 d1 1.5\n', 'q.txt'), /^q\.txt:1: rel:/);
  throwsInput(() => parseQrels('1 0 d1 1\n1 0 d1 2\n', 'q.txt'), /^q\.txt:2: docid: document "d1" is judged twice/);
});

test('parseRun reads scores and errors on malformed lines with file:line', () => {
  const r = parseRun('1 Q0 d1 1 3.5 tag\n1 Q0 d2 2 -1e-3 tag\n2 Q0 d1 1 7 tag\n', 'r.run');
  assert.equal(r.get('1')?.get('d2'), -0.001);
  assert.equal(r.get('2')?.get('d1'), 7);
  throwsInput(() => parseRun('1 Q0 d1 1 3.5\n', 'r.run'), /^r\.run:1: line: expected 6 columns/);
  throwsInput(() => parseRun('1 Q0 d1 1 3.5 tag\n1 Q0 d2 2 abc tag\n', 'r.run'), /^r\.run:2: score: expected a number, found "abc"/);
  throwsInput(() => parseRun('1 Q0 d1 1 nan tag\n', 'r.run'), /^r\.run:1: score:/);
  throwsInput(() => parseRun('1 Q0 d1 1 inf tag\n', 'r.run'), /^r\.run:1: score:/);
  throwsInput(() => parseRun('1 Q0 d1 x 1 tag\n', 'r.run'), /^r\.run:1: rank:/);
  throwsInput(
    () => parseRun('1 Q0 d1 1 3 tag\n2 Q0 d1 1 3 tag\n1 Q0 d1 2 2 tag\n', 'r.run'),
    /^r\.run:3: docid: document "d1" appears twice for query "1"/,
  );
  throwsInput(() => parseRun('\n  \n', 'r.run'), /^r\.run: the run is empty/);
});

test('readQrels/readRun read gzip transparently and reject invalid UTF-8 naming the file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'disranker-trec-'));
  try {
    const qz = join(dir, 'q.txt.gz');
    writeFileSync(qz, gzipSync('7 0 a 1\n'));
    assert.equal((await readQrels(qz)).get('7')?.get('a'), 1);
    const rz = join(dir, 'r.run.gz');
    writeFileSync(rz, gzipSync('7 Q0 a 1 0.5 t\n'));
    assert.equal((await readRun(rz)).get('7')?.get('a'), 0.5);
    const bad = join(dir, 'bad.run');
    writeFileSync(bad, Buffer.from([0x37, 0x20, 0xff, 0xfe, 0x0a]));
    await assert.rejects(readRun(bad), (err: Error) => err instanceof InputError && err.message === `${bad}:1: invalid UTF-8 (bad byte 0xff at byte 3 of the line)`);
    await assert.rejects(readRun(join(dir, 'absent.run')), /absent\.run: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ranking order is trec_eval\'s: score descending, then docid descending by bytes', () => {
  const docs = new Map([
    ['d10', 1],
    ['d9', 1],
    ['a', 2],
    ['d2', 1],
  ]);
  // strcmp order: "d10" < "d2" < "d9"; ties go docid descending.
  assert.deepEqual(rankDocs(docs), ['a', 'd9', 'd2', 'd10']);
  // UTF-8 byte order (= code point order), not UTF-16 order: U+FF21 < U+1F600.
  assert.ok(compareIds('\uFF21', '\u{1F600}') < 0);
  assert.ok('\uFF21' > '\u{1F600}'); // what plain JS comparison would say
});

test('formatRun ranks by trec_eval order and round-trips; formatQrels round-trips', () => {
  const run = parseRun('q Q0 b 9 1 x\nq Q0 a 1 1 x\nq Q0 c 5 0.25 x\n', 'r');
  const text = formatRun(run, 'mine');
  assert.equal(text, 'q Q0 b 1 1 mine\nq Q0 a 2 1 mine\nq Q0 c 3 0.25 mine\n');
  assert.deepEqual(parseRun(text, 'r2'), run);
  const q = parseQrels('2 0 x 1\n1 0 b 0\n1 0 a 3\n', 'q');
  assert.equal(formatQrels(q), '1 0 a 3\n1 0 b 0\n2 0 x 1\n');
  assert.deepEqual(parseQrels(formatQrels(q), 'q2'), q);
});

test('runFromHits builds a run from JSON hits and rejects duplicates', () => {
  const run = runFromHits(
    [
      { qid: 1, docid: 'a', score: 2 },
      { qid: 1, docid: 'b', score: 1 },
    ],
    'h.json',
  );
  assert.equal(run.get('1')?.get('b'), 1);
  assert.throws(
    () => runFromHits([{ qid: 1, docid: 'a', score: 2 }, { qid: 1, docid: 'a', score: 1 }], 'h.json'),
    /h\.json: hit 2 docid: document "a" appears twice/,
  );
});

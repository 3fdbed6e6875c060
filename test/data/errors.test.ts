// Exact errors where they used to be vague, and no silent inconsistencies (issue 14): invalid UTF-8 in a run names
// its line, an empty qrels file is named, a rank_llm hit without a docid says "missing", JSONL candidates that
// point to missing documents are errors (or counted and reported under --skip-bad), absurd labels are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { importJsonl } from '../../src/data/import/jsonl.js';
import { readRankllmJson } from '../../src/data/import/rankllm-json.js';
import { BadLines } from '../../src/data/io.js';
import { parseQrels, readQrels, readRun } from '../../src/data/trec.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'dr-err-'));

test('invalid UTF-8 in a run or qrels file names the line and the byte', async () => {
  const dir = tmp();
  const run = join(dir, 'model.run');
  writeFileSync(run, Buffer.concat([Buffer.from('q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 1.5 t\nq1 Q0 d'), Buffer.from([0xff]), Buffer.from('3 3 0.5 t\n')]));
  await assert.rejects(readRun(run), (e: Error) => e.message === `${run}:3: invalid UTF-8 (bad byte 0xff at byte 8 of the line)`);
  const qrels = join(dir, 'qrels.txt');
  // A lead byte (0xc3) followed by a byte that cannot continue it: the second is the bad one.
  writeFileSync(qrels, Buffer.concat([Buffer.from('q1 0 d1 1\nq1 0 d'), Buffer.from([0xc3, 0x28]), Buffer.from(' 0\n')]));
  await assert.rejects(readQrels(qrels), (e: Error) => e.message === `${qrels}:2: invalid UTF-8 (bad byte 0x28 at byte 8 of the line)`);
});

test('an empty qrels file is named as empty (not blamed on the run)', async () => {
  const dir = tmp();
  const qrels = join(dir, 'qrels.txt');
  for (const text of ['', '\n  \n']) {
    writeFileSync(qrels, text);
    await assert.rejects(readQrels(qrels), (e: Error) => e.message === `${qrels}: the qrels are empty (no judgment lines)`);
  }
});

test('qrels labels beyond a safe integer are refused, not rounded', () => {
  assert.throws(() => parseQrels('q1 0 d1 99999999999999999999\n', 'q.txt'), /q\.txt:1: rel: label 99999999999999999999 is too large$/);
});

test('a rank_llm hit without a docid says "missing", a docid of the wrong type says what it expects', async () => {
  const dir = tmp();
  const f = join(dir, 'bm25.json');
  writeFileSync(f, JSON.stringify([{ query: 'q', hits: [{ qid: 1, docid: 'a', rank: 1, score: 1, content: 'x' }, { qid: 1, rank: 2, score: 0.5, content: 'y' }] }]));
  await assert.rejects(readRankllmJson(f, new BadLines()), (e: Error) => e.message === `${f}: [0].hits[1].docid: missing`);
  writeFileSync(f, JSON.stringify([{ query: 'q', hits: [{ qid: 1, docid: true, rank: 1, score: 1, content: 'x' }] }]));
  await assert.rejects(readRankllmJson(f, new BadLines()), (e: Error) => e.message === `${f}: [0].hits[0].docid: expected string or number, received boolean`);
});

function jsonlDir(root: string, candidates: string): string {
  const dir = join(root, 'in');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'documents.jsonl'), '{"docid":"d1","title":"t","summary":"s"}\n{"docid":"d2","title":"t2","summary":"s2"}\n');
  writeFileSync(join(dir, 'queries.jsonl'), '{"qid":"q1","text":"a query"}\n{"qid":"q2","text":"another"}\n');
  writeFileSync(join(dir, 'candidates.jsonl'), candidates);
  return dir;
}

test('JSONL candidates that point to missing documents are an error, or counted and reported under --skip-bad', async () => {
  const root = tmp();
  const lists =
    '{"qid":"q1","hits":[{"docid":"d1","rank":1,"score":2},{"docid":"nope","rank":2,"score":1},{"docid":"d2","rank":3,"score":0}]}\n' +
    '{"qid":"q2","hits":[{"docid":"gone","rank":1,"score":1}]}\n';
  const dir = jsonlDir(root, lists);
  await assert.rejects(importJsonl(dir, { out: join(root, 'out') }), (e: Error) => {
    assert.equal(e.message, `${join(dir, 'candidates.jsonl')}:1: hits[1].docid: document "nope" is not in ${join(dir, 'documents.jsonl')}`);
    return true;
  });
  const r = await importJsonl(dir, { out: join(root, 'out'), skipBad: true });
  assert.equal(r.bad.count, 2);
  assert.match(r.bad.report(), /skipped 2 bad lines:\n {2}.*candidates\.jsonl:1: hits\[1\]\.docid: document "nope" is not in .*\n {2}.*candidates\.jsonl:2: hits\[0\]\.docid: document "gone"/);
  assert.equal(r.meta.provenance.skippedBadLines, 2);
  assert.equal(r.meta.counts.candidateLists, 1);
  assert.equal(r.meta.counts.candidates, 2);
  const written = readFileSync(join(root, 'out', 'candidates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(written, [{ qid: 'q1', hits: [{ docid: 'd1', rank: 1, score: 2 }, { docid: 'd2', rank: 3, score: 0 }] }]);
  assert.ok(gunzipSync(readFileSync(join(root, 'out', 'documents.jsonl.gz'))).toString().includes('"d2"'));
});

test('a JSONL candidate list for a query that is not in queries.jsonl is an error', async () => {
  const root = tmp();
  const dir = jsonlDir(root, '{"qid":"q9","hits":[{"docid":"d1","rank":1,"score":2}]}\n');
  await assert.rejects(importJsonl(dir, { out: join(root, 'out') }), (e: Error) => e.message === `${join(dir, 'candidates.jsonl')}:1: qid: query "q9" is not in ${join(dir, 'queries.jsonl')}`);
});

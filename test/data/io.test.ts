// Bad inputs: each gives a clear `file:line: field: what` error and leaves nothing behind; --skip-bad counts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/util/errors.js';
import { readJsonl, readLines, BadLines } from '../../src/data/io.js';
import { DocumentSchema } from '../../src/data/schema.js';
import { importMsmarco } from '../../src/data/import/msmarco.js';
import { importJsonl } from '../../src/data/import/jsonl.js';
import { importWikiqa } from '../../src/data/import/wikiqa.js';
import { openDataset } from '../../src/data/dataset.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'dr-data-'));
}

/** Run `fn`, expect an InputError whose message matches `re`, and check `out` was not created (nor any temp). */
async function expectFails(fn: () => Promise<unknown>, re: RegExp, root: string, out: string): Promise<InputError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  assert.match(caught.message, re);
  assert.equal(existsSync(out), false, 'nothing may be written');
  assert.deepEqual(readdirSync(root).filter((n) => n.endsWith('.tmp')), [], 'no temp left behind');
  return caught;
}

function msmarcoDir(root: string, collection: string | Buffer, queries = '1\twhat is a test\n'): string {
  const dir = join(root, 'in');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'collection.tsv'), collection);
  writeFileSync(join(dir, 'queries.tsv'), queries);
  return dir;
}

test('a good MS MARCO folder imports; passages get an empty title', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '10\tfirst passage\n11\tsecond passage\n');
  writeFileSync(join(dir, 'qrels.txt'), '1 0 10 3\n1 0 11 0\n');
  writeFileSync(join(dir, 'run.tsv'), '1\t11\t1\n1\t10\t2\n');
  const r = await importMsmarco(dir, { out: join(root, 'out') });
  assert.deepEqual(r.meta.counts, { queries: 1, documents: 2, judgments: 2, candidateLists: 1, candidates: 2 });
  const ds = await openDataset(join(root, 'out'));
  const docs = await ds.loadDocuments();
  assert.deepEqual(docs.get('10'), { docid: '10', title: '', summary: 'first passage', url: '' });
  assert.deepEqual((await ds.loadCandidates()).get('1')?.map((h) => h.docid), ['11', '10']);
  assert.equal((await ds.qrels()).get('1')?.get('10'), 3);
});

test('wrong column count: file:line: line: expected 2 columns', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '10\tok\n11\tbad\textra\n');
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /collection\.tsv:2: line: expected 2 tab-separated columns \(pid, passage\), found 3/, root, join(root, 'out'));
});

test('invalid UTF-8 is an error naming file and line, not U+FFFD', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, Buffer.concat([Buffer.from('10\tok\n11\tcaf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]));
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /collection\.tsv:2: invalid UTF-8 \(bad byte 0x28 at byte 8 of the line\)/, root, join(root, 'out'));
});

test('duplicate ids are errors', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '10\ta\n10\tb\n');
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /collection\.tsv:2: pid: duplicate id "10"/, root, join(root, 'out'));
  const dir2 = msmarcoDir(root, '10\ta\n', '1\tq one\n1\tq again\n');
  await expectFails(() => importMsmarco(dir2, { out: join(root, 'out') }), /queries\.tsv:2: qid: duplicate id "1"/, root, join(root, 'out'));
});

test('labels out of range are errors (TREC qrels and JSONL judgments)', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '10\ta\n');
  writeFileSync(join(dir, 'qrels.txt'), '1 0 10 2\n1 0 11 7\n');
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /qrels\.txt:2: rel: label 7 is outside the data set's range 0-3/, root, join(root, 'out'));
  const j = join(root, 'j');
  mkdirSync(j);
  writeFileSync(join(j, 'documents.jsonl'), '{"docid":"d1","title":"t","summary":"s"}\n');
  writeFileSync(join(j, 'queries.jsonl'), '{"qid":"q1","text":"hello"}\n');
  writeFileSync(join(j, 'judgments.jsonl'), '{"qid":"q1","docid":"d1","label":-1}\n');
  await expectFails(() => importJsonl(j, { out: join(root, 'out') }), /judgments\.jsonl:1: label: label -1 is outside the data set's range 0-3/, root, join(root, 'out'));
});

test('missing fields name the field path', async () => {
  const root = tmp();
  const j = join(root, 'j');
  mkdirSync(j);
  writeFileSync(join(j, 'documents.jsonl'), '{"docid":"d1","title":"t","summary":"s"}\n{"docid":"d2","title":"t"}\n');
  writeFileSync(join(j, 'queries.jsonl'), '{"qid":"q1","text":"hello"}\n');
  await expectFails(() => importJsonl(j, { out: join(root, 'out') }), /documents\.jsonl:2: summary: missing/, root, join(root, 'out'));
  writeFileSync(join(j, 'documents.jsonl'), '{"docid":"d1","title":"t","summary":"s"}\n');
  writeFileSync(
    join(j, 'clicks.jsonl'),
    '{"id":"i1","qid":"q1","query":"hello","results":[{"position":1,"docid":"d1","title":"t","summary":"s","url":"","dwell":0}]}\n',
  );
  await expectFails(() => importJsonl(j, { out: join(root, 'out') }), /clicks\.jsonl:1: results\[0\]\.clicked: missing/, root, join(root, 'out'));
});

test('an empty file is an error', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '');
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /collection\.tsv: no passages \(the file is empty/, root, join(root, 'out'));
  writeFileSync(join(root, 'w.tsv'), '');
  await expectFails(() => importWikiqa(join(root, 'w.tsv'), { out: join(root, 'out') }), /w\.tsv: the file is empty/, root, join(root, 'out'));
});

test('truncated gzip is an error naming the file', async () => {
  const root = tmp();
  const lines = Array.from({ length: 2000 }, (_, i) => `${i}\tpassage number ${i} with some words ${i * 7}`).join('\n');
  const gz = gzipSync(Buffer.from(lines));
  const dir = join(root, 'in');
  mkdirSync(dir);
  writeFileSync(join(dir, 'collection.tsv.gz'), gz.subarray(0, gz.length - 40));
  writeFileSync(join(dir, 'queries.tsv'), '1\tq\n');
  await expectFails(() => importMsmarco(dir, { out: join(root, 'out') }), /collection\.tsv\.gz:\d+: truncated or corrupt gzip data/, root, join(root, 'out'));
});

test('--skip-bad counts, reports and skips bad lines', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, Buffer.concat([Buffer.from('10\ta\n11\tb\tc\n12\tc\n12\tdup\n13\t'), Buffer.from([0xff]), Buffer.from('\n14\te\n')]));
  const r = await importMsmarco(dir, { out: join(root, 'out'), skipBad: true });
  assert.equal(r.bad.count, 3);
  assert.equal(r.meta.counts.documents, 3);
  assert.match(r.bad.report(), /skipped 3 bad lines:\n {2}.*collection\.tsv:2: line: expected 2/);
  assert.match(r.bad.report(), /collection\.tsv:4: pid: duplicate id "12"/);
  assert.match(r.bad.report(), /collection\.tsv:5: invalid UTF-8/);
});

test('readLines: gzip by suffix, CRLF and BOM stripped, exact line numbers', async () => {
  const root = tmp();
  const p = join(root, 'x.jsonl.gz');
  writeFileSync(p, gzipSync(Buffer.from('\ufeff{"docid":"a","title":"","summary":"s"}\r\n\n{"docid":"b","title":"T","summary":"é"}')));
  const lines = [];
  for await (const l of readLines(p)) lines.push(l);
  assert.equal(lines.length, 3);
  assert.equal(lines[0].text.startsWith('{"docid":"a"'), true);
  const recs = [];
  for await (const r of readJsonl(p, DocumentSchema, { bad: new BadLines() })) recs.push([r.lineNo, r.record.docid, r.record.summary]);
  assert.deepEqual(recs, [
    [1, 'a', 's'],
    [3, 'b', 'é'],
  ]);
});

test('an existing output data set is kept unless --force', async () => {
  const root = tmp();
  const dir = msmarcoDir(root, '10\ta\n');
  const out = join(root, 'out');
  await importMsmarco(dir, { out });
  writeFileSync(join(out, 'keep.txt'), 'x');
  await assert.rejects(() => importMsmarco(dir, { out }), /exists and is not empty; pass --force/);
  await importMsmarco(dir, { out, force: true });
  assert.equal(existsSync(join(out, 'keep.txt')), false);
  assert.equal(existsSync(join(out, 'meta.json')), true);
});

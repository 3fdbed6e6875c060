// `--out` and `--force` never destroy what disranker did not make, and interrupted writes leave no litter
// (issue 14): assertSafeOutput, DatasetWriter's temp folders, SIGINT/SIGTERM cleanup, stale temps of dead processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { DatasetWriter } from '../../src/data/dataset.js';
import { importJsonl } from '../../src/data/import/jsonl.js';
import { generateSynthetic } from '../../src/data/synth/generate.js';
import { assertSafeOutput, markRunFolder, pendingTempPaths, removeStaleTemps, RUN_MARKER } from '../../src/util/fs.js';
import { REPO_ROOT } from '../helpers/env.js';

function jsonlInput(root: string): string {
  const dir = join(root, 'in');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'documents.jsonl'), '{"docid":"d1","title":"t","summary":"s"}\n');
  writeFileSync(join(dir, 'queries.jsonl'), '{"qid":"q1","text":"a query"}\n');
  return dir;
}

const tempsIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.old'));

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

test('refused outputs: empty path, /, home, working directory and the folders above them', () => {
  assert.throws(() => assertSafeOutput(''), /--out: the path is empty/);
  assert.throws(() => assertSafeOutput('  ', { force: true }), /the path is empty/);
  assert.throws(() => assertSafeOutput('/', { force: true }), /refusing to write to the root folder/);
  assert.throws(() => assertSafeOutput(homedir(), { force: true }), /refusing to write to the home folder/);
  assert.throws(() => assertSafeOutput('.', { force: true }), /refusing to write to the working directory/);
  assert.throws(() => assertSafeOutput(process.cwd(), { force: true }), /refusing to write to the working directory/);
  assert.throws(() => assertSafeOutput('..', { force: true }), /refusing to write to a folder that holds the working directory/);
  // Through the writer that imports and `data synth` use: nothing is created, nothing removed.
  const before = readdirSync('.').sort();
  return DatasetWriter.create('', { force: true }).then(
    () => assert.fail('an empty --out was accepted'),
    (err: Error) => {
      assert.match(err.message, /--out: the path is empty/);
      assert.deepEqual(readdirSync('.').sort(), before);
    },
  );
});

test('an --out that is the input or a folder holding it is refused, and the input survives', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-safe-'));
  const input = jsonlInput(root);
  writeFileSync(join(root, 'sibling.txt'), 'keep me');
  for (const out of [root, input]) {
    await assert.rejects(importJsonl(input, { out, force: true }), (err: Error) => {
      assert.match(err.message, out === root ? /holds the input .*in; write the output somewhere else/ : /is the input; write the output somewhere else/);
      return true;
    });
  }
  assert.equal(readFileSync(join(root, 'sibling.txt'), 'utf8'), 'keep me');
  assert.ok(existsSync(join(input, 'documents.jsonl')));
  assert.deepEqual(tempsIn(root), []);
  // An output inside a folder holding the input is fine.
  await importJsonl(input, { out: join(root, 'ds') });
  assert.ok(existsSync(join(root, 'ds', 'meta.json')));
});

test('--force replaces a data set or a marked run folder, never another folder', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-safe-'));
  const input = jsonlInput(root);
  const mine = join(root, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'precious');
  await assert.rejects(importJsonl(input, { out: mine }), /exists and is not empty; pass --force to replace it/);
  await assert.rejects(importJsonl(input, { out: mine, force: true }), /exists and is not a disranker output .*--force only replaces what disranker wrote/);
  assert.equal(readFileSync(join(mine, 'notes.txt'), 'utf8'), 'precious');
  // A folder with a meta.json that is not a data set's is not ours either.
  writeFileSync(join(mine, 'meta.json'), '{"format":"something-else"}');
  await assert.rejects(importJsonl(input, { out: mine, force: true }), /not a disranker output/);
  // A data set is replaced.
  const ds = join(root, 'ds');
  await importJsonl(input, { out: ds });
  writeFileSync(join(ds, 'stray.txt'), 'x');
  await importJsonl(input, { out: ds, force: true });
  assert.ok(!existsSync(join(ds, 'stray.txt')));
  // A run folder with its marker is replaced too.
  const run = join(root, 'run');
  markRunFolder(run);
  writeFileSync(join(run, 'report.txt'), 'old');
  assert.ok(existsSync(join(run, RUN_MARKER)));
  assert.equal(assertSafeOutput(run, { force: true }), run);
  await importJsonl(input, { out: run, force: true });
  assert.ok(existsSync(join(run, 'meta.json')) && !existsSync(join(run, 'report.txt')));
  assert.deepEqual(tempsIn(root), []);
});

test('an --out that is a file, or lies under one, is a clear error (not EEXIST)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-safe-'));
  const input = jsonlInput(root);
  const file = join(root, 'file.txt');
  writeFileSync(file, 'x');
  await assert.rejects(importJsonl(input, { out: file }), /file\.txt: exists and is a file, not a folder/);
  await assert.rejects(generateSynthetic({ preset: 'tiny', seed: 1, out: join(file, 'ds') }), /file\.txt is a file, not a folder/);
  assert.throws(() => assertSafeOutput(root, { kind: 'file' }), /is a folder; give a file name/);
  assert.throws(() => assertSafeOutput(join(file, 'run.txt'), { kind: 'file' }), /file\.txt is a file, not a folder/);
  assert.equal(assertSafeOutput(file, { kind: 'file' }), file);
  assert.equal(readFileSync(file, 'utf8'), 'x');
});

test('stale temp folders of dead processes are removed by the next writer; live ones are kept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-safe-'));
  const out = join(root, 'ds');
  const dead = join(root, `.ds.${deadPid()}.0123abcd.tmp`);
  const live = join(root, `.ds.${process.pid}.89abcdef.tmp`);
  const other = join(root, `.other.${deadPid()}.0123abcd.tmp`);
  const lookalike = join(root, `.ds.${deadPid()}.nothex00.tmp`);
  for (const d of [dead, live, other, lookalike]) {
    mkdirSync(d);
    writeFileSync(join(d, 'documents.jsonl.gz'), Buffer.alloc(1000));
  }
  const w = await DatasetWriter.create(out);
  await w.abort();
  assert.ok(!existsSync(dead), 'a dead process temp is removed');
  for (const d of [live, other, lookalike]) assert.ok(existsSync(d), `${d} is kept`);
  // A `.old` (a previous output being replaced when the process died) is restored when the output is missing.
  const old = join(root, `.ds.${deadPid()}.0123abcd.tmp.old`);
  mkdirSync(old);
  writeFileSync(join(old, 'meta.json'), '{}');
  assert.deepEqual(removeStaleTemps(out), [old]);
  assert.ok(existsSync(join(out, 'meta.json')) && !existsSync(old));
});

function startChild(out: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'interrupt-child.ts'), out], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tmp = new Promise<string>((res, rej) => {
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) res(text.trim());
    });
    child.on('exit', (code) => rej(new Error(`the child exited (${code}) before it started writing`)));
  });
  return { child, tmp };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a data set write removes its temp folder and the process dies of the signal`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'dr-sig-'));
    const out = join(root, 'ds');
    const { child, tmp } = startChild(out);
    const tmpDir = await tmp;
    assert.ok(existsSync(tmpDir) && dirname(tmpDir) === root);
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code, sig] = await exited;
    assert.equal(sig, signal, `exit code ${code}`);
    assert.deepEqual(readdirSync(root), [], 'no temp folder, no output');
  });
}

test('SIGKILL leaves the temp folder; the next write of the same --out removes it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dr-sig-'));
  const out = join(root, 'ds');
  const { child, tmp } = startChild(out);
  const tmpDir = await tmp;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(tmpDir), 'SIGKILL cannot be caught');
  await importJsonl(jsonlInput(join(root, 'src')), { out });
  assert.deepEqual(readdirSync(root).sort(), ['ds', 'src']);
  assert.deepEqual(pendingTempPaths(), [], 'no cleanup left registered in this process');
});

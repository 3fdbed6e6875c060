// safetensors: round trips, the Hugging Face fixtures (F32, BF16, sharded), and clear errors on bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  engineAvailable,
  loadSafetensors,
  loadShardedSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
  saveShardedSafetensors,
  tensor,
  tidy,
  type Tensor,
} from '../../src/engine/index.js';
import { need, hasFixtures, FIXTURES } from '../helpers/env.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'dr-st-'));

test('save → load round trip is bit-exact for every dtype, with metadata and 8-byte aligned header', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = tmp();
  const file = join(dir, 'x.safetensors');
  tidy(() => {
    const src = new Map<string, Tensor>([
      ['f32', tensor([1.5, -2.25, 3e-8, 7], { shape: [2, 2] })],
      ['f64', tensor([Math.PI, -1e300], { dtype: 'float64' })],
      ['bf16', tensor([1.1, -3.3, 65504, 1e-3], { dtype: 'bfloat16' })],
      ['f16', tensor([0.1, 2, -7.5], { dtype: 'float16' })],
      ['i64', tensor([1, -2, 2 ** 40], { dtype: 'int64' })],
      ['i32', tensor([5, -6], { dtype: 'int32' })],
      ['bool', tensor([1, 0, 1], { dtype: 'bool' })],
      ['empty', tensor([], { shape: [0, 3] })],
    ]);
    saveSafetensors(file, src, { format: 'pt', note: 'round trip' });
    const header = readSafetensorsHeader(file);
    assert.equal(header.dataStart % 8, 0);
    assert.deepEqual(header.metadata, { format: 'pt', note: 'round trip' });
    const back = loadSafetensors(file);
    assert.deepEqual([...back.keys()].sort(), [...src.keys()].sort());
    for (const [k, v] of src) {
      const w = back.get(k)!;
      assert.equal(w.dtype, v.dtype, k);
      assert.deepEqual(w.shape, v.shape, k);
      assert.deepEqual(Buffer.from(w.data().buffer), Buffer.from(v.data().buffer), `${k} bytes differ`);
    }
    assert.deepEqual(readdirSync(dir), ['x.safetensors'], 'no temp file left behind');
  });
});

test('the BF16 fixture equals round-to-nearest-even of the F32 one; sharded equals single file', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  if (!need(t, hasFixtures('hf'), 'test/fixtures/hf is absent')) return;
  tidy(() => {
    const bert = join(FIXTURES, 'hf', 'bert-cross-encoder');
    const f32 = loadSafetensors(join(bert, 'model.safetensors'));
    const bf16 = loadSafetensors(join(bert, 'model.bf16.safetensors'));
    for (const [k, v] of f32) {
      assert.equal(bf16.get(k)!.dtype, 'bfloat16');
      assert.deepEqual(Buffer.from(v.to('bfloat16').data().buffer), Buffer.from(bf16.get(k)!.data().buffer), k);
    }
    const asF32 = loadSafetensors(join(bert, 'model.bf16.safetensors'), { dtype: 'float32' });
    assert.equal(asF32.get('classifier.weight')!.dtype, 'float32');

    const llama = join(FIXTURES, 'hf', 'llama-ranker');
    const single = loadSafetensors(join(llama, 'causal-lm', 'model.safetensors'));
    const sharded = loadShardedSafetensors(join(llama, 'causal-lm-sharded', 'model.safetensors.index.json'));
    assert.equal(sharded.size, single.size);
    for (const [k, v] of single) assert.deepEqual(sharded.get(k)!.toArray(), v.toArray(), k);
  });
});

test('sharded save writes an index and shards that load back identically', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = tmp();
  tidy(() => {
    const src = new Map<string, Tensor>(Array.from({ length: 5 }, (_, i) => [`layer.${i}.weight`, tensor(Array.from({ length: 100 }, (_, j) => i * 100 + j))]));
    const files = saveShardedSafetensors(dir, src, 900);
    assert.ok(files.length >= 2);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.equal(index.metadata.total_size, 5 * 400);
    const back = loadShardedSafetensors(join(dir, 'model.safetensors.index.json'));
    for (const [k, v] of src) assert.deepEqual(back.get(k)!.toArray(), v.toArray());
  });
});

test('a corrupt or truncated safetensors file gives a clear error naming the file', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const dir = tmp();
  const good = join(dir, 'good.safetensors');
  tidy(() => saveSafetensors(good, { w: tensor([1, 2, 3, 4]) }));
  const bytes = readFileSync(good);
  const cases: [string, Buffer, RegExp][] = [
    ['short.safetensors', bytes.subarray(0, 5), /fewer than the 8-byte header length/],
    ['truncated.safetensors', bytes.subarray(0, bytes.length - 3), /tensor 'w' ends at data byte 16 but the file has only 13 data bytes \(truncated\?\)/],
    ['header-cut.safetensors', bytes.subarray(0, 20), /header length is \d+ bytes but the file has only 12 after it/],
    ['garbage.safetensors', Buffer.concat([Buffer.from([16, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{not json at all'), Buffer.alloc(4)]), /header is not valid UTF-8 JSON/],
  ];
  const badDtype = Buffer.from(bytes);
  badDtype.write('"F99"', bytes.indexOf('"F32"'));
  cases.push(['dtype.safetensors', badDtype, /tensor 'w': unsupported or missing dtype "F99"/]);
  for (const [name, data, re] of cases) {
    const f = join(dir, name);
    writeFileSync(f, data);
    assert.throws(
      () => loadSafetensors(f),
      (e: Error) => e.message.startsWith(f) && re.test(e.message),
      name,
    );
  }
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot open \(ENOENT\)/);
});

/** A safetensors file from a header object and `dataBytes` zero bytes of data. */
function safetensorsBytes(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

test('overlapping data_offsets, a bad __metadata__ and absurd shapes are refused (they would load as garbage)', () => {
  const dir = tmp();
  const cases: [string, Record<string, unknown>, number, RegExp | null][] = [
    [
      'overlap',
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
      /tensors 'a' and 'b' overlap \(data_offsets \[0, 8\] and \[4, 12\]\)/,
    ],
    ['same', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }, 8, /tensors '(a|b)' and '(a|b)' overlap/],
    ['contiguous', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] }, e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, 16, null],
    ['metadata', { __metadata__: { format: 5 }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, /__metadata__ is not an object of strings/],
    ['huge', { a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4, /shape \[1099511627776,1099511627776\] is implausibly large/],
  ];
  for (const [name, header, n, re] of cases) {
    const f = join(dir, `${name}.safetensors`);
    writeFileSync(f, safetensorsBytes(header, n));
    if (re === null) assert.equal(readSafetensorsHeader(f).tensors.size, 3, name);
    else assert.throws(() => readSafetensorsHeader(f), (e: Error) => e.message.startsWith(`${f}: not a valid safetensors file: `) && re.test(e.message), name);
  }
});

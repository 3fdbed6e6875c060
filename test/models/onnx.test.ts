// ONNX export: the graphs run in onnxruntime-node and match our libtorch forward within 1e-4 (maxdiffs printed):
// the HF fixtures (BERT cross-encoder, LLaMA and Qwen2 score models), random batches at several batch sizes and
// lengths with padding (right, and left for the decoders), a briefly trained student, and the export folder.
// int8 dynamic quantisation is checked for agreement with float32, not parity.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable, manualSeed, mseLoss, noGrad, tensor, tidy } from '../../src/engine/index.js';
import { loadHfModel, saveHfModel, type HfModel } from '../../src/models/hf.js';
import { BertForSequenceClassification } from '../../src/models/bert.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { decodeModel } from '../../src/models/onnx/proto.js';
import { EXPORT_META_FILE, exportOnnx, onnxBytes, ONNX_FILE, OPSET } from '../../src/models/onnx/export.js';
import { AdamW } from '../../src/train/optimizer.js';
import { mulberry32 } from '../../src/util/random.js';
import { hasFixtures, need, FIXTURES } from '../helpers/env.js';
import { loadOrt, ortMissingReason } from '../helpers/ort.js';
import { HF, batches, maxDiff, type FixtureBatch } from './fixtures.js';
import { tinyBert, tinyLlama } from './tiny.js';

const TOL = 1e-4;

async function ready(t: TestContext, fixtures = false): Promise<boolean> {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return false;
  if (!need(t, (await loadOrt()) !== null, ortMissingReason())) return false;
  return !fixtures || need(t, hasFixtures('hf'), 'test/fixtures/hf is absent');
}

/** A batch of B rows padded to T: row lengths drawn in [2, T] (row 0 full), random ids, type ids 1 after the middle. */
function randomBatch(seed: number, B: number, T: number, vocab: number, side: 'right' | 'left'): FixtureBatch {
  const rnd = mulberry32(seed);
  const b: FixtureBatch = { input_ids: [], attention_mask: [], token_type_ids: [] };
  for (let r = 0; r < B; r++) {
    const n = r === 0 ? T : 2 + Math.floor(rnd() * (T - 1));
    const ids = Array.from({ length: n }, () => 1 + Math.floor(rnd() * (vocab - 1)));
    const types = ids.map((_, i) => (i >= n / 2 ? 1 : 0));
    const pad = Array<number>(T - n).fill(0);
    const join3 = (a: number[], p: number[]) => (side === 'right' ? [...a, ...p] : [...p, ...a]);
    b.input_ids.push(join3(ids, pad));
    b.attention_mask.push(join3(ids.map(() => 1), pad));
    b.token_type_ids!.push(join3(types, pad));
  }
  return b;
}

/** logits of our libtorch forward (B × num_labels, flat). */
function torchLogits(model: HfModel, b: FixtureBatch): number[] {
  return tidy(() =>
    noGrad(() => {
      const i64 = (x: number[][]) => tensor(x, { dtype: 'int64' });
      if (model instanceof BertForSequenceClassification) {
        return model.forward({ inputIds: i64(b.input_ids), attentionMask: i64(b.attention_mask), tokenTypeIds: i64(b.token_type_ids!) }).toArray();
      }
      return (model as LlamaForCausalLM).scoreLogits({ inputIds: i64(b.input_ids), attentionMask: i64(b.attention_mask) }).toArray();
    }),
  );
}

async function ortLogits(session: import('onnxruntime-node').InferenceSession, b: FixtureBatch): Promise<Float32Array> {
  const ort = (await loadOrt())!;
  const B = b.input_ids.length;
  const T = b.input_ids[0].length;
  const feed: Record<string, import('onnxruntime-node').Tensor> = {};
  const data = { input_ids: b.input_ids, attention_mask: b.attention_mask, token_type_ids: b.token_type_ids ?? b.input_ids.map((r) => r.map(() => 0)) };
  for (const name of session.inputNames) {
    feed[name] = new ort.Tensor('int64', BigInt64Array.from(data[name as keyof typeof data].flat().map(BigInt)), [B, T]);
  }
  const out = await session.run(feed);
  return out.logits.data as Float32Array;
}

async function session(bytes: Uint8Array) {
  const ort = (await loadOrt())!;
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** Compares ORT and libtorch on each batch, prints the maxdiffs, returns the largest. */
async function compare(t: TestContext, label: string, model: HfModel, bytes: Uint8Array, named: [string, FixtureBatch][]): Promise<number> {
  const s = await session(bytes);
  let worst = 0;
  try {
    for (const [name, b] of named) {
      const d = maxDiff(await ortLogits(s, b), torchLogits(model, b));
      t.diagnostic(`${label} ${name} (B=${b.input_ids.length}, T=${b.input_ids[0].length}): maxdiff ${d.toExponential(2)}`);
      assert.ok(d <= TOL, `${label} ${name}: maxdiff ${d} > ${TOL}`);
      worst = Math.max(worst, d);
    }
  } finally {
    await s.release();
  }
  return worst;
}

const SIZES: [number, number][] = [
  [1, 5],
  [3, 17],
  [8, 32],
  [16, 64],
];

test('BERT cross-encoder fixture: ONNX logits match the libtorch forward (fixture batches, padded random batches up to 16 × 64)', async (t) => {
  if (!(await ready(t, true))) return;
  const { model } = loadHfModel(join(HF, 'bert-cross-encoder'));
  try {
    const bytes = onnxBytes(model);
    const m = decodeModel(bytes);
    assert.equal(m.opset_import[0].version, OPSET);
    assert.deepEqual(m.graph.input.map((i) => i.name), ['input_ids', 'attention_mask', 'token_type_ids']);
    assert.deepEqual(m.graph.output.map((o) => o.name), ['logits']);
    assert.deepEqual(m.graph.input[0].type.tensor_type.shape.dim, [{ dim_param: 'batch' }, { dim_param: 'sequence' }]);
    const cfg = (model as BertForSequenceClassification).config;
    const named: [string, FixtureBatch][] = [
      ...Object.entries(batches('bert-cross-encoder')),
      ...SIZES.map(([B, T], i): [string, FixtureBatch] => [`random_${B}x${T}`, randomBatch(10 + i, B, T, cfg.vocab_size, 'right')]),
    ];
    await compare(t, 'bert', model, bytes, named);
  } finally {
    model.dispose();
  }
});

for (const fam of ['llama', 'qwen2'] as const) {
  test(`${fam} score model fixture: ONNX logits match the libtorch forward (right and left padding, batches up to 16 × 64)`, async (t) => {
    if (!(await ready(t, true))) return;
    const { model } = loadHfModel(join(HF, `${fam}-ranker`, 'seq-cls'));
    try {
      const bytes = onnxBytes(model);
      assert.deepEqual(decodeModel(bytes).graph.input.map((i) => i.name), ['input_ids', 'attention_mask']);
      const V = (model as LlamaForCausalLM).config.vocab_size;
      // The fixture batches without their position_ids: the export uses arange(T), as our forward's default.
      const named: [string, FixtureBatch][] = Object.entries(batches(`${fam}-ranker`)).map(([n, b]) => [n, { input_ids: b.input_ids, attention_mask: b.attention_mask }]);
      for (const [i, [B, T]] of SIZES.entries()) {
        for (const side of ['right', 'left'] as const) named.push([`random_${side}_${B}x${T}`, randomBatch(20 + i, B, T, V, side)]);
      }
      await compare(t, fam, model, bytes, named);
    } finally {
      model.dispose();
    }
  });
}

test('tiny decoders with GQA, attention_bias and linear rope scaling export with parity', async (t) => {
  if (!(await ready(t))) return;
  const variants = [
    { model_type: 'llama' as const, attention_bias: true },
    { model_type: 'llama' as const, rope_scaling: { type: 'linear', factor: 2 } },
    { model_type: 'qwen2' as const, num_key_value_heads: 1 },
  ];
  for (const [i, over] of variants.entries()) {
    const m = tinyLlama(40 + i, over, { lm: false, score: true });
    try {
      await compare(t, `tiny ${JSON.stringify(over)}`, m, onnxBytes(m), [
        ['right', randomBatch(3, 4, 12, 40, 'right')],
        ['left', randomBatch(4, 4, 12, 40, 'left')],
      ]);
    } finally {
      m.dispose();
    }
  }
});

test('a briefly trained student (tiny BERT, 30 AdamW steps) exports to a self-contained folder (model, config, tokenizer) that matches libtorch', async (t) => {
  if (!(await ready(t))) return;
  if (!need(t, hasFixtures('tokenizers/bert-base-uncased'), 'test/fixtures/tokenizers is absent')) return;
  const tmp = mkdtempSync(join(tmpdir(), 'dr-onnx-'));
  const student = tinyBert(7);
  try {
    // Train: MSE of the scores of random batches against fixed targets.
    manualSeed(7);
    const opt = new AdamW([{ params: student.parameters(), lr: 1e-3, weightDecay: 0.01 }], { lr: 1e-3 });
    const train = randomBatch(99, 8, 16, 40, 'right');
    const losses: number[] = [];
    student.train();
    for (let step = 0; step < 30; step++) {
      losses.push(
        tidy(() => {
          const i64 = (x: number[][]) => tensor(x, { dtype: 'int64' });
          const loss = mseLoss(student.score({ inputIds: i64(train.input_ids), attentionMask: i64(train.attention_mask), tokenTypeIds: i64(train.token_type_ids!) }), tensor([1, 0, -1, 2, 0.5, -0.5, 1, 0]));
          loss.backward();
          return loss.item();
        }),
      );
      opt.step();
      opt.zeroGrad();
    }
    student.eval();
    t.diagnostic(`student loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}`);
    assert.ok(losses.at(-1)! < losses[0], 'training lowered the loss');
    const modelDir = join(tmp, 'student');
    saveHfModel(modelDir, student);
    const out = join(tmp, 'onnx');
    const r = exportOnnx(modelDir, out, { tokenizer: join(FIXTURES, 'tokenizers', 'bert-base-uncased') });
    assert.deepEqual(r.files, [ONNX_FILE, 'config.json', 'tokenizer.json', 'tokenizer_config.json', EXPORT_META_FILE]);
    for (const f of [ONNX_FILE, 'config.json', 'tokenizer.json', 'tokenizer_config.json', EXPORT_META_FILE]) assert.ok(existsSync(join(out, f)), f);
    const meta = JSON.parse(readFileSync(join(out, EXPORT_META_FILE), 'utf8'));
    assert.equal(meta.kind, 'cross-encoder');
    assert.deepEqual(meta.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
    const bytes = new Uint8Array(readFileSync(join(out, ONNX_FILE)));
    await compare(t, 'trained student', student, bytes, SIZES.slice(0, 3).map(([B, T], i) => [`random_${B}x${T}`, randomBatch(50 + i, B, T, 40, 'right')]));
    opt.dispose();
  } finally {
    student.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('int8 dynamic quantisation: MatMulInteger graph runs and ranks like float32', async (t) => {
  if (!(await ready(t))) return;
  const m = tinyBert(11);
  try {
    const s32 = await session(onnxBytes(m));
    const s8 = await session(onnxBytes(m, { quantize: 'int8' }));
    const b = randomBatch(5, 16, 24, 40, 'right');
    const [a, q] = [await ortLogits(s32, b), await ortLogits(s8, b)];
    const d = maxDiff(q, a);
    const spread = Math.max(...a) - Math.min(...a);
    t.diagnostic(`int8 vs float32 on 16 × 24: maxdiff ${d.toExponential(2)} (score spread ${spread.toFixed(3)})`);
    assert.ok(d < 0.1 * spread, `int8 scores drift too far: ${d} vs spread ${spread}`);
    assert.ok(decodeModel(onnxBytes(m, { quantize: 'int8' })).graph.node.some((n) => n.op_type === 'MatMulInteger'));
    await s32.release();
    await s8.release();
  } finally {
    m.dispose();
  }
});

test('export errors name the file: no tokenizer, a decoder without a score head', async (t) => {
  if (!(await ready(t, true))) return;
  assert.throws(() => exportOnnx(join(HF, 'bert-cross-encoder'), join(tmpdir(), 'never')), /tokenizer\.json: missing.*--tokenizer/);
  const m = tinyLlama(1, {}, { lm: true, score: false });
  try {
    assert.throws(() => onnxBytes(m), /no score head/);
  } finally {
    m.dispose();
  }
});

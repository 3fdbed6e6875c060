// AdamW against torch.optim.AdamW, state save/load, LR schedules, gradient clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipGradNorm, engineAvailable, keep, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { AdamW } from '../../src/train/optimizer.js';
import { lrFactor } from '../../src/train/schedule.js';
import { hasTorchPython, need } from '../helpers/env.js';
import { maxAbsDiff, normals, rng, torchEval, type RefOutput } from '../helpers/torch.js';

const r = rng(5);
const P0 = normals(12, r);
const X = normals(12, r);
const Y = normals(12, r);
const B0 = normals(4, r);

/** Loss Σ(p·x - y)² + Σ b²: p decays (matrix group), b does not (bias group). */
function train(opt: AdamW, p: Tensor, b: Tensor, steps: number) {
  const x = keep(tensor(X, { shape: [3, 4] }));
  const y = keep(tensor(Y, { shape: [3, 4] }));
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      p.mul(x).sub(y).square().sum().add(b.square().sum()).backward();
      opt.step();
      opt.zeroGrad();
    });
  }
  x.dispose();
  y.dispose();
}

function fresh() {
  const p = keep(tensor(P0, { shape: [3, 4] })).requiresGrad_();
  const b = keep(tensor(B0)).requiresGrad_();
  const opt = new AdamW(
    [
      { params: [p], names: ['p'], lr: 0.05, weightDecay: 0.1 },
      { params: [b], names: ['b'], lr: 0.05, weightDecay: 0 },
    ],
    { lr: 0.05, betas: [0.9, 0.98], eps: 1e-6 },
  );
  return { p, b, opt };
}

test('AdamW with parameter groups matches torch.optim.AdamW step for step', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  if (!need(t, hasTorchPython(), '/usr/bin/python3 with torch is absent')) return;
  const { p, b, opt } = fresh();
  train(opt, p, b, 10);
  const [ref] = torchEval([
    {
      inputs: [
        { data: P0, shape: [3, 4], dtype: 'float32' },
        { data: B0, shape: [4], dtype: 'float32' },
        { data: X, shape: [3, 4], dtype: 'float32' },
        { data: Y, shape: [3, 4], dtype: 'float32' },
      ],
      code: [
        'p = x0.clone().requires_grad_(); b = x1.clone().requires_grad_()',
        'opt = torch.optim.AdamW([{"params": [p], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}], lr=0.05, betas=(0.9, 0.98), eps=1e-6)',
        'for _ in range(10):',
        '    ((p * x2 - x3) ** 2).sum().add((b ** 2).sum()).backward(); opt.step(); opt.zero_grad()',
        'out = (p, b)',
      ].join('\n'),
    },
  ]);
  const [rp, rb] = ref as RefOutput[];
  assert.ok(maxAbsDiff(p.toArray(), rp.data) < 1e-6, `p differs by ${maxAbsDiff(p.toArray(), rp.data)}`);
  assert.ok(maxAbsDiff(b.toArray(), rb.data) < 1e-6, `b differs by ${maxAbsDiff(b.toArray(), rb.data)}`);
  opt.dispose();
  p.dispose();
  b.dispose();
});

test('optimizer state saves and loads: a resumed run equals an uninterrupted one bit for bit', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const file = join(mkdtempSync(join(tmpdir(), 'dr-opt-')), 'optimizer.safetensors');
  const a = fresh();
  train(a.opt, a.p, a.b, 3);
  a.opt.saveState(file);
  const midP = a.p.toArray();
  const midB = a.b.toArray();
  train(a.opt, a.p, a.b, 4);

  const c = fresh();
  c.p.copy_(tensor(midP, { shape: [3, 4] }));
  c.b.copy_(tensor(midB));
  c.opt.loadState(file);
  train(c.opt, c.p, c.b, 4);
  assert.deepEqual(c.p.toArray(), a.p.toArray());
  assert.deepEqual(c.b.toArray(), a.b.toArray());

  // Without the state the continuation differs (the test would catch a no-op load).
  const d = fresh();
  d.p.copy_(tensor(midP, { shape: [3, 4] }));
  d.b.copy_(tensor(midB));
  train(d.opt, d.p, d.b, 4);
  assert.notDeepEqual(d.p.toArray(), a.p.toArray());
  for (const x of [a, c, d]) {
    x.opt.dispose();
    x.p.dispose();
    x.b.dispose();
  }
});

test('clipGradNorm scales gradients to the max norm and returns the norm before clipping', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  tidy(() => {
    const a = tensor([1, 1]).requiresGrad_();
    const b = tensor([1]).requiresGrad_();
    a.mul(tensor([3, 0])).sum().add(b.mul(4).sum()).backward(); // grads [3, 0] and [4]: norm 5
    const norm = clipGradNorm([a, b], 1);
    assert.ok(Math.abs(norm - 5) < 1e-6);
    assert.ok(maxAbsDiff(a.grad!.toArray(), [0.6, 0]) < 1e-6);
    assert.ok(maxAbsDiff(b.grad!.toArray(), [0.8]) < 1e-6);
    assert.ok(Math.abs(clipGradNorm([a, b], 10) - 1) < 1e-5, 'below the max, nothing changes');
  });
});

test('LR schedules: linear warmup, then linear or cosine decay', () => {
  const lin = { kind: 'linear' as const, warmupSteps: 10, totalSteps: 110 };
  assert.equal(lrFactor(lin, 0), 0);
  assert.equal(lrFactor(lin, 5), 0.5);
  assert.equal(lrFactor(lin, 10), 1);
  assert.equal(lrFactor(lin, 60), 0.5);
  assert.equal(lrFactor(lin, 110), 0);
  assert.equal(lrFactor(lin, 500), 0);
  const cos = { kind: 'cosine' as const, warmupSteps: 0, totalSteps: 100, minFactor: 0.1 };
  assert.equal(lrFactor(cos, 0), 1);
  assert.ok(Math.abs(lrFactor(cos, 50) - 0.55) < 1e-12);
  assert.ok(Math.abs(lrFactor(cos, 100) - 0.1) < 1e-12);
  assert.equal(lrFactor({ kind: 'constant', warmupSteps: 4, totalSteps: 10 }, 2), 0.5);
  assert.equal(lrFactor({ kind: 'constant', warmupSteps: 4, totalSteps: 10 }, 9), 1);
});

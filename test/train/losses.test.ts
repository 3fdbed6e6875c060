// The rank losses of src/train/losses: hand-computed values, a torch reference, gradients, shape checks, and the
// loss driving the shared trainer (a toy scorer learns to put the labelled document first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable, Linear, manualSeed, Module, randn, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { listwiseSoftmaxLoss } from '../../src/train/losses/listwise-softmax.js';
import { pairwiseHingeLoss } from '../../src/train/losses/pairwise-hinge.js';
import { rankNetLoss } from '../../src/train/losses/ranknet.js';
import { RANK_LOSSES } from '../../src/train/losses/index.js';
import { train, trainConfig } from '../../src/train/trainer.js';
import { hasTorchPython, need } from '../helpers/env.js';
import { torchEval } from '../helpers/torch.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('listwise softmax: hand-computed values; rows without mass are skipped', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  tidy(() => {
    // one query, scores [0, ln 3]: softmax = [1/4, 3/4]; target on the second → −log(3/4)
    close(listwiseSoftmaxLoss(tensor([[0, Math.log(3)]]), tensor([[0, 1]])).item(), -Math.log(0.75));
    // graded targets [1, 3] → p = [1/4, 3/4]; L = −(¼·log ¼ + ¾·log ¾) at those scores
    close(listwiseSoftmaxLoss(tensor([[0, Math.log(3)]]), tensor([[1, 3]])).item(), -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)));
    // a second query with no positive does not count in the mean
    close(listwiseSoftmaxLoss(tensor([[0, Math.log(3)], [5, -2]]), tensor([[0, 1], [0, 0]])).item(), -Math.log(0.75));
    assert.throws(() => listwiseSoftmaxLoss(tensor([[1, 2]]), tensor([[1, 2, 3]])), /same shape \(Q, G\), got \[1,2\] and \[1,3\]/);
    assert.throws(() => listwiseSoftmaxLoss(tensor([1, 2]), tensor([1, 2])), /same shape \(Q, G\)/);
  });
});

test('listwise softmax: value and gradient match torch', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built') || !need(t, hasTorchPython(), 'python3-torch is missing')) return;
  const s = [0.3, -1.2, 2.0, 0.5, 1.1, 0.0, -0.4, 0.9, 0.2, 0.2, 0.2, 0.2];
  const y = [0, 1, 3, 0, 2, 0, 0, 1, 0, 0, 0, 0];
  const [ref] = torchEval([
    {
      inputs: [
        { data: s, shape: [3, 4], dtype: 'float64' },
        { data: y, shape: [3, 4], dtype: 'float64' },
      ],
      code: [
        'x0.requires_grad_(True)',
        'm = x1.sum(1, keepdim=True); keep = (m > 0).double().squeeze(1)',
        'l = -((x1 / m.clamp(min=1e-12)) * torch.log_softmax(x0, 1)).sum(1) * keep',
        'loss = l.sum() / keep.sum().clamp(min=1)',
        'loss.backward()',
        'out = [loss, x0.grad]',
      ].join('\n'),
    },
  ]) as unknown as { data: number[] }[][];
  tidy(() => {
    const scores = tensor(s, { dtype: 'float64' }).reshape(3, 4).requiresGrad_();
    const loss = listwiseSoftmaxLoss(scores, tensor(y, { dtype: 'float64' }).reshape(3, 4));
    loss.backward();
    close(loss.item(), ref[0].data[0], 1e-12);
    const g = scores.grad!.toArray();
    g.forEach((v, i) => close(v, ref[1].data[i], 1e-12));
  });
});

test('pairwise hinge and RankNet: hand-computed values over ordered pairs only', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  tidy(() => {
    // scores [2, 1.5, 3], labels [2, 0, 1]: pairs (0,1) d=0.5, (0,2) d=−1, (2,1) d=1.5
    const s = tensor([[2, 1.5, 3]]);
    const y = tensor([[2, 0, 1]]);
    close(pairwiseHingeLoss(s, y).item(), (0.5 + 2 + 0) / 3);
    close(pairwiseHingeLoss(s, y, 0.25).item(), (0 + 1.25 + 0) / 3);
    const sp = (x: number) => Math.log(1 + Math.exp(-x));
    close(rankNetLoss(s, y).item(), (sp(0.5) + sp(-1) + sp(1.5)) / 3);
    // equal labels make no pair; a group without pairs contributes nothing
    close(pairwiseHingeLoss(tensor([[0, 5], [1, 0]]), tensor([[1, 1], [1, 0]])).item(), 0);
    close(rankNetLoss(tensor([[0, 5], [1, 0]]), tensor([[1, 1], [1, 0]])).item(), sp(1));
    // the listwise entry weights targets by gain 2^y − 1
    close(RANK_LOSSES.listwise(tensor([[0, Math.log(3)]]), tensor([[0, 1]])).item(), -Math.log(0.75));
    assert.throws(() => pairwiseHingeLoss(tensor([[1, 2]]), tensor([[1, 2, 3]])), /pairwiseHingeLoss: expected scores and labels of the same shape \(Q, G\)/);
    assert.throws(() => rankNetLoss(tensor([1, 2]), tensor([1, 2])), /rankNetLoss: expected/);
  });
});

test('pairwise hinge and RankNet: value and gradient match torch', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built') || !need(t, hasTorchPython(), 'python3-torch is missing')) return;
  const s = [0.3, -1.2, 2.0, 0.5, 1.1, 0.0, -0.4, 0.9];
  const y = [0, 1, 3, 0, 2, 0, 2, 1];
  const pre = 'x0.requires_grad_(True)\nd = x0.unsqueeze(2) - x0.unsqueeze(1)\np = (x1.unsqueeze(2) > x1.unsqueeze(1)).double()\n';
  const refs = torchEval(
    [
      'l = (torch.clamp(1 - d, min=0) * p).sum() / p.sum().clamp(min=1)',
      'l = (F.softplus(-d) * p).sum() / p.sum().clamp(min=1)',
    ].map((code) => ({
      inputs: [
        { data: s, shape: [2, 4], dtype: 'float64' },
        { data: y, shape: [2, 4], dtype: 'float64' },
      ],
      code: `${pre}${code}\nl.backward()\nout = [l, x0.grad]`,
    })),
  ) as unknown as { data: number[] }[][];
  [pairwiseHingeLoss, rankNetLoss].forEach((fn, k) =>
    tidy(() => {
      const scores = tensor(s, { dtype: 'float64' }).reshape(2, 4).requiresGrad_();
      const loss = fn(scores, tensor(y, { dtype: 'float64' }).reshape(2, 4));
      loss.backward();
      close(loss.item(), refs[k][0].data[0], 1e-12);
      scores.grad!.toArray().forEach((v, i) => close(v, refs[k][1].data[i], 1e-12));
    }),
  );
});

class Scorer extends Module {
  lin: Linear;
  constructor() {
    super();
    this.lin = this.child('lin', new Linear(4, 1));
  }
  forward(x: Tensor): Tensor {
    return this.lin.forward(x).squeeze(-1); // (Q, G, 4) → (Q, G)
  }
}

test('listwise softmax drives the trainer: a toy scorer learns to rank the marked document first', async (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  manualSeed(0);
  const model = new Scorer();
  // documents are 4 features; the relevant one (index 0 of each group) has feature 0 raised by 2
  const group = () => {
    const x = randn([8, 5, 4]);
    const mark = tensor([[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    return x.add(mark);
  };
  const target = () => tensor([[1, 0, 0, 0, 0]]).expand(8, 5);
  const r = await train(
    { model, batch: () => null, loss: () => ({ loss: listwiseSoftmaxLoss(model.forward(group()), target()), examples: 8 }) },
    { dir: mkdtempSync(join(tmpdir(), 'dr-listwise-')), config: trainConfig({ steps: 60, seed: 1, lr: 0.05, checkpointEvery: 60 }), identity: { toy: 'listwise' } },
  );
  const first = r.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = r.losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  model.dispose();
});

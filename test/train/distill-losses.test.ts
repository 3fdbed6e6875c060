// The distillation losses: point-wise MSE, Margin-MSE (all pairs, sampled pairs, masks) and the paper's hybrid,
// against hand-computed values and a torch reference (value and gradient).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, tensor, tidy } from '../../src/engine/index.js';
import { hybridDistillLoss } from '../../src/train/losses/hybrid.js';
import { marginMseLoss } from '../../src/train/losses/margin-mse.js';
import { pointwiseMseLoss } from '../../src/train/losses/pointwise-mse.js';
import { hasTorchPython, need } from '../helpers/env.js';
import { torchEval } from '../helpers/torch.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('distillation losses: hand-computed values, masks, sampled pairs, shape errors', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  tidy(() => {
    const s = tensor([[1, 2, 4]]);
    const tt = tensor([[0, 2, 3]]);
    // point-wise: ((1)² + 0 + (1)²) / 3
    close(pointwiseMseLoss(s, tt).item(), 2 / 3);
    // margin: pairs (0,1): (−1) − (−2) = 1; (0,2): (−3) − (−3) = 0; (1,2): (−2) − (−1) = −1 → ordered pairs 2·(1+0+1)/6
    close(marginMseLoss(s, tt).item(), 4 / 6);
    // shifting the student by a constant changes point-wise, not margin
    close(marginMseLoss(s.add(10), tt).item(), 4 / 6);
    // hybrid = α·point + β·margin
    close(hybridDistillLoss(s, tt).item(), 2 / 3 + 4 / 6);
    close(hybridDistillLoss(s, tt, { alpha: 0.5, beta: 2 }).item(), 0.5 * (2 / 3) + 2 * (4 / 6));
    close(hybridDistillLoss(s, tt, { beta: 0 }).item(), 2 / 3);
    close(hybridDistillLoss(s, tt, { alpha: 0 }).item(), 4 / 6);
    // a mask drops the third candidate: point ((1)² + 0)/2, margin pair (0,1) only: 1²
    const mask = tensor([[1, 1, 0]]);
    close(pointwiseMseLoss(s, tt, mask).item(), 0.5);
    close(marginMseLoss(s, tt, { mask }).item(), 1);
    // sampled pairs: (0, 2) and (1, 2): 0² and (−1)²
    close(marginMseLoss(s, tt, { pairs: tensor([[[0, 2], [1, 2]]], { dtype: 'int64' }) }).item(), 0.5);
    assert.throws(() => pointwiseMseLoss(s, tensor([[1, 2]])), /pointwiseMseLoss: expected student and teacher scores of the same shape/);
    assert.throws(() => marginMseLoss(tensor([1, 2]), tensor([1, 2])), /marginMseLoss: expected \(Q, G\) scores/);
    assert.throws(() => marginMseLoss(s, tt, { pairs: tensor([[0, 1]], { dtype: 'int64' }) }), /pairs must be \(Q, K, 2\)/);
  });
});

test('distillation losses: value and gradient match torch', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built') || !need(t, hasTorchPython(), 'python3-torch is missing')) return;
  const s = [0.3, -1.2, 2.0, 0.5, 1.1, 0.0, -0.4, 0.9];
  const tt = [0.1, -0.2, 1.5, 0.7, 2.0, -1.0, 0.3, 0.4];
  const m = [1, 1, 1, 0, 1, 1, 1, 1];
  const pre = [
    'x0.requires_grad_(True)',
    'w = x2',
    'point = ((x0 - x1) ** 2 * w).sum() / w.sum()',
    'dS = x0.unsqueeze(2) - x0.unsqueeze(1); dT = x1.unsqueeze(2) - x1.unsqueeze(1)',
    'W = w.unsqueeze(2) * w.unsqueeze(1)',
    'margin = ((dS - dT) ** 2 * W).sum() / (W.sum() - w.sum())',
    'l = 0.7 * point + 1.3 * margin',
    'l.backward()',
    'out = [point, margin, l, x0.grad]',
  ].join('\n');
  const input = (data: number[]) => ({ data, shape: [2, 4], dtype: 'float64' });
  const [ref] = torchEval([{ inputs: [input(s), input(tt), input(m)], code: pre }]) as unknown as { data: number[] }[][];
  tidy(() => {
    const st = tensor(s, { dtype: 'float64' }).reshape(2, 4).requiresGrad_();
    const te = tensor(tt, { dtype: 'float64' }).reshape(2, 4);
    const mask = tensor(m, { dtype: 'float64' }).reshape(2, 4);
    close(pointwiseMseLoss(st, te, mask).item(), ref[0].data[0], 1e-12);
    close(marginMseLoss(st, te, { mask }).item(), ref[1].data[0], 1e-12);
    const l = hybridDistillLoss(st, te, { alpha: 0.7, beta: 1.3, mask });
    close(l.item(), ref[2].data[0], 1e-12);
    l.backward();
    st.grad!.toArray().forEach((v, i) => close(v, ref[3].data[i], 1e-12));
  });
});

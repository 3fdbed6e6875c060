// Finite-difference gradient checks (float64) for every differentiable op in the op table:
// the analytic gradient of L = Σ out·w (w fixed random) against central differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, noGrad, tensor, tidy, type Tensor } from '../../src/engine/index.js';
import { need } from '../helpers/env.js';
import { normals, rng } from '../helpers/torch.js';
import { OP_CASES, type OpCase } from './op-cases.js';
import { makeInputs, toTensors } from './op-inputs.js';

const EPS = 1e-6;

function objective(c: OpCase, xs: Tensor[], weights: number[][]): Tensor {
  const out = c.ours(xs);
  const outs = Array.isArray(out) ? out : [out];
  let total: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.isFloatingPoint()) return;
    const w = tensor(weights[k].slice(0, o.numel), { shape: o.shape, dtype: 'float64' });
    const term = o.mul(w).sum();
    total = total ? total.add(term) : term;
  });
  if (!total) throw new Error(`${c.name}: no floating output`);
  return total;
}

function check(c: OpCase, seed: number): string[] {
  const inputs = makeInputs(c.inputs, seed, 'float64');
  const r = rng(seed + 7);
  const weights = Array.from({ length: 4 }, () => normals(4096, r));
  const problems: string[] = [];
  const diffIdx = c.inputs.map((s, i) => (inputs[i].dtype === 'float64' && !s.noGrad ? i : -1)).filter((i) => i >= 0);
  // analytic
  const analytic = tidy(() => {
    const xs = toTensors(inputs);
    for (const i of diffIdx) xs[i].requiresGrad_(true);
    objective(c, xs, weights).backward();
    return diffIdx.map((i) => {
      const g = xs[i].grad;
      return g ? g.toArray() : new Array(xs[i].numel).fill(0);
    });
  });
  // numeric
  const f = (data: number[][]) =>
    tidy(() =>
      noGrad(() => objective(c, data.map((d, i) => tensor(d, { shape: inputs[i].shape, dtype: inputs[i].dtype as 'float64' })), weights).item()),
    );
  diffIdx.forEach((i, k) => {
    for (let j = 0; j < inputs[i].data.length; j++) {
      const plus = inputs.map((x) => [...x.data]);
      const minus = inputs.map((x) => [...x.data]);
      plus[i][j] += EPS;
      minus[i][j] -= EPS;
      const num = (f(plus) - f(minus)) / (2 * EPS);
      const ana = analytic[k][j];
      if (Math.abs(num - ana) > 1e-5 + 1e-4 * Math.abs(num)) {
        problems.push(`${c.name}: d/dx${i}[${j}] analytic ${ana} vs numeric ${num}`);
        return;
      }
    }
  });
  return problems;
}

test('gradients match finite differences for every differentiable op (float64)', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const problems: string[] = [];
  let checked = 0;
  OP_CASES.forEach((c, i) => {
    const floats = c.inputs.some((s) => !s.kind || s.kind === 'normal' || s.kind === 'positive' || s.kind === 'unit');
    if (c.grad === false || !floats) return;
    checked++;
    problems.push(...check(c, 2000 + i));
  });
  assert.ok(checked >= 70, `only ${checked} ops checked`);
  assert.deepEqual(problems, [], problems.join('\n'));
});

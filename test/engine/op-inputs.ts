// Builds the inputs of an op case: the same values for our engine and for Python torch.
import { tensor, type DType, type Tensor } from '../../src/engine/index.js';
import { normals, rng, type RefInput } from '../helpers/torch.js';
import type { InputSpec } from './op-cases.js';

export function makeInputs(specs: InputSpec[], seed: number, floatDType: DType): RefInput[] {
  const r = rng(seed);
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    switch (s.kind ?? 'normal') {
      case 'normal':
        return { data: normals(n, r), shape: s.shape, dtype: floatDType };
      case 'positive':
        return { data: Array.from({ length: n }, () => 0.5 + 1.5 * r()), shape: s.shape, dtype: floatDType };
      case 'unit':
        return { data: Array.from({ length: n }, () => r()), shape: s.shape, dtype: floatDType };
      case 'index':
        return { data: Array.from({ length: n }, () => Math.floor(r() * (s.high ?? 2))), shape: s.shape, dtype: 'int64' };
      case 'target':
        return { data: Array.from({ length: n }, (_, i) => (i % 3 === 1 ? -100 : Math.floor(r() * (s.high ?? 2)))), shape: s.shape, dtype: 'int64' };
      case 'bool':
        return { data: Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)), shape: s.shape, dtype: 'bool' };
    }
  });
}

export function toTensors(inputs: RefInput[], device = 'cpu'): Tensor[] {
  return inputs.map((x) => tensor(x.data, { shape: x.shape, dtype: x.dtype as DType, device }));
}

// Every op against Python torch on random inputs (float32, and on the GPU when one is present).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cudaAvailable, engineAvailable, tidy, type Tensor } from '../../src/engine/index.js';
import { need, hasTorchPython } from '../helpers/env.js';
import { maxAbsDiff, torchEval, type RefOutput } from '../helpers/torch.js';
import { OP_CASES } from './op-cases.js';
import { makeInputs, toTensors } from './op-inputs.js';

function runParity(device: string) {
  const cases = OP_CASES.map((c, i) => ({ c, inputs: makeInputs(c.inputs, 1000 + i, 'float32') }));
  const ref = torchEval(
    cases.map(({ c, inputs }) => ({ inputs, expr: c.torch })),
    device,
  );
  const failures: string[] = [];
  cases.forEach(({ c, inputs }, i) => {
    const expected = ref[i];
    if ('error' in expected) {
      failures.push(`${c.name}: torch raised ${expected.error}`);
      return;
    }
    tidy(() => {
      const out = c.ours(toTensors(inputs, device));
      const ours = Array.isArray(out) ? out : [out];
      const exp = (Array.isArray(expected) ? expected : [expected]) as RefOutput[];
      if (ours.length !== exp.length) {
        failures.push(`${c.name}: ${ours.length} outputs, torch gave ${exp.length}`);
        return;
      }
      ours.forEach((t: Tensor, k) => {
        if (t.shape.join(',') !== exp[k].shape.join(',')) {
          failures.push(`${c.name}[${k}]: shape [${t.shape}] vs torch [${exp[k].shape}]`);
          return;
        }
        if (t.dtype !== exp[k].dtype) failures.push(`${c.name}[${k}]: dtype ${t.dtype} vs torch ${exp[k].dtype}`);
        const d = maxAbsDiff(t.toArray(), exp[k].data);
        const scale = Math.max(1, ...exp[k].data.map(Math.abs));
        const tol = (c.tol ?? 1e-5) * scale;
        if (!(d <= tol)) failures.push(`${c.name}[${k}]: max |diff| ${d} > ${tol}`);
      });
    });
  });
  assert.deepEqual(failures, [], `ops differing from torch on ${device}:\n${failures.join('\n')}`);
}

test('every op matches Python torch (cpu, float32)', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  if (!need(t, hasTorchPython(), '/usr/bin/python3 with torch is absent')) return;
  runParity('cpu');
});

// Registered only where a CUDA libtorch and a GPU are present (so CPU-only CI has no skip for it).
if (engineAvailable() && cudaAvailable()) {
  test('every op matches Python torch on the GPU', (t) => {
    if (!need(t, hasTorchPython(), '/usr/bin/python3 with torch is absent')) return;
    runParity('cuda');
  });
}

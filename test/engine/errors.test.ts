// Misuse gives clear JS errors, and the process goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisrankerError } from '../../src/util/errors.js';
import { embedding, engineAvailable, ones, tensor, tidy, zeros } from '../../src/engine/index.js';
import { need } from '../helpers/env.js';

test('a disposed tensor, a shape mismatch and a wrong dtype are clear errors; the engine keeps working', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built')) return;
  const a = ones([2, 3]);
  assert.deepEqual(a.shape, [2, 3]);
  a.dispose();
  assert.throws(() => a.add(1), (e: unknown) => e instanceof DisrankerError && e.code === 'DR_ERR_TENSOR' && /used after dispose\(\)/.test(e.message) && /\[2,3\]/.test(e.message));

  tidy(() => {
    assert.throws(
      () => ones([2, 3]).matmul(ones([2, 3])),
      (e: unknown) => e instanceof DisrankerError && e.code === 'DR_ERR_ENGINE' && /^matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/.test(e.message),
    );
    assert.throws(() => ones([2, 3]).add(ones([4])), /^DisrankerError|add: The size of tensor a \(3\) must match the size of tensor b \(4\)/);
    assert.throws(() => embedding(ones([5, 2]), tensor([0.5, 1.5])), (e: unknown) => e instanceof DisrankerError && /embedding: .*(Long|Int)/.test(e.message));
    assert.throws(() => tensor([1, 2, 3], { shape: [2, 2] }), /3 values do not fill shape \[2,2\]/);
    assert.throws(() => ones([2]).view(3), /view: shape '\[3\]' is invalid for input of size 2/);
  });
  // still alive
  assert.deepEqual(tidy(() => zeros([2]).add(1).toArray()), [1, 1]);
});

import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { reduceTranspose, transposeReduced } from '../src/nn/functional/transpose.js';
import { linear2d } from '../src/nn/functional/linear.js';
import { TEST_BACKENDS, expectClose, useBackend } from './helpers.js';

describe('reduceTranspose', () => {
  it('merges axes that stay adjacent and drops size-1 axes', () => {
    expect(reduceTranspose([2, 3, 4, 5, 6, 7], [0, 1, 3, 2, 4, 5])).toEqual({ shape: [6, 4, 5, 42], perm: [0, 2, 1, 3] });
    expect(reduceTranspose([1, 8, 7, 8, 7, 96], [0, 1, 3, 2, 4, 5])).toEqual({ shape: [8, 7, 8, 672], perm: [0, 2, 1, 3] });
    expect(reduceTranspose([2, 3, 4, 5], [0, 1, 2, 3])).toEqual({ shape: [120], perm: [0] });
    expect(reduceTranspose([5, 2, 3, 2, 4], [0, 2, 3, 1, 4])).toEqual({ shape: [5, 2, 6, 4], perm: [0, 2, 1, 3] });
  });
});

describe.each(TEST_BACKENDS)('reduced transposes and the wasm-friendly linear op on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('transposeReduced equals tf.transpose for 6-D window partitions and patch merging', () => {
    for (const [shape, perm] of [
      [
        [2, 3, 4, 5, 4, 3],
        [0, 1, 3, 2, 4, 5],
      ],
      [
        [2, 3, 2, 4, 2, 5],
        [0, 1, 3, 4, 2, 5],
      ],
      [
        [1, 2, 3, 1, 4],
        [4, 2, 1, 0, 3],
      ],
    ] as Array<[number[], number[]]>) {
      const x = tf.randomNormal(shape);
      expectClose(transposeReduced(x, perm), tf.transpose(x, perm), 0, `perm ${perm}`);
    }
  });

  it('linear2d matches matMul(x, Wᵀ) and its gradients', () => {
    const x = tf.randomNormal([7, 5]) as tf.Tensor2D;
    const w = tf.randomNormal([3, 5]) as tf.Tensor2D;
    const r = tf.randomNormal([7, 3]);
    expectClose(linear2d(x, w), tf.matMul(x, w, false, true), 1e-5, 'forward');
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      linear2d(a as tf.Tensor2D, b as tf.Tensor2D)
        .mul(r)
        .sum(),
    )([x, w]);
    const [rx, rw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true)
        .mul(r)
        .sum(),
    )([x, w]);
    expectClose(gx, rx, 1e-5, 'dx');
    expectClose(gw, rw, 1e-5, 'dw');
  });
});

/**
 * densekit's wasm `BatchMatMul` (src/core/wasm_kernels/batch_mat_mul.ts): products and their
 * gradients against the cpu backend for every transpose combination, batched and not, rank 3 and 4,
 * window-attention shapes, the broadcast fallback, and no tensor left behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { registerWasmTrainingKernels } from '../src/core/wasm_kernels/register.js';
import { batchMatMulWasmConfig } from '../src/core/wasm_kernels/batch_mat_mul.js';

const TOL = 1e-4;

/** Deterministic values in [-1, 1). */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sin(i * 0.7 + seed * 1.3) * Math.cos(i * 0.013 + seed);
  return out;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

interface Case {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** False where tfjs's own gradient cannot run (broadcast batch: it returns the broadcast shape). */
  grads?: boolean;
}

/** Product, d/da and d/db of a fixed weighted sum of the product, on one backend. */
async function run(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const a = tf.tensor(values(sizeOf(c.a), 1), c.a);
    const b = tf.tensor(values(sizeOf(c.b), 2), c.b);
    const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
      const p = tf.matMul(x, y, c.transposeA, c.transposeB);
      return p.mul(tf.tensor(values(p.size, 3), p.shape)).sum();
    };
    const product = tf.matMul(a, b, c.transposeA, c.transposeB);
    const grads = c.grads === false ? [] : tf.grads(f)([a, b]);
    return [product, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  expect(maxRef, `${what}: reference is all zeros`).toBeGreaterThan(1e-3);
  expect(worst, `${what}: worst relative error`).toBeLessThanOrEqual(TOL);
}

const CASES: Case[] = [];
for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    const t = `tA=${transposeA} tB=${transposeB}`;
    // window attention q·kᵀ-like: 6 windows×heads, 49 tokens, head dim 8
    CASES.push({ name: `batched [6] 49x8x49 ${t}`, a: transposeA ? [6, 8, 49] : [6, 49, 8], b: transposeB ? [6, 49, 8] : [6, 8, 49], transposeA, transposeB });
    // rank 4 [batch·windows, heads, N, d]
    CASES.push({ name: `rank 4 [2,3] 5x7x4 ${t}`, a: transposeA ? [2, 3, 7, 5] : [2, 3, 5, 7], b: transposeB ? [2, 3, 4, 7] : [2, 3, 7, 4], transposeA, transposeB });
    // batch 1 (explicit transposes, then XNNPACK)
    CASES.push({ name: `single 9x6x11 ${t}`, a: transposeA ? [6, 9] : [9, 6], b: transposeB ? [11, 6] : [6, 11], transposeA, transposeB });
  }
}
// Broadcast batch: tfjs's own kernel (product only).
CASES.push({ name: 'broadcast [1] x [4]', a: [1, 5, 3], b: [4, 3, 2], transposeA: false, transposeB: false, grads: false });

describe('wasm BatchMatMul (depthwise-convolution route for batches, explicit transposes for one product)', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(batchMatMulWasmConfig);
  });

  it.each(CASES)('$name: product and both gradients equal the cpu backend', async (c) => {
    const cpu = await run('cpu', c);
    const wasm = await run('wasm', c);
    expect(wasm.length).toBe(c.grads === false ? 1 : 3);
    ['product', 'd/da', 'd/db'].slice(0, wasm.length).forEach((what, i) => expectClose(wasm[i], cpu[i], what));
  });

  it('keeps the product shape, rejects mismatched inner dimensions, and leaves no tensor or wasm buffer behind', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor(values(2 * 3 * 4 * 5, 4), [2, 3, 4, 5]);
    const b = tf.tensor(values(2 * 3 * 6 * 5, 5), [2, 3, 6, 5]);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = tf.memory().numTensors;
    const dataBefore = backend.numDataIds();
    for (let i = 0; i < 2; i++) {
      const p = tf.matMul(a, b, false, true);
      expect(p.shape).toEqual([2, 3, 4, 6]);
      p.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(dataBefore);
    expect(() => tf.matMul(a, b)).toThrow(/inner/);
    tf.dispose([a, b]);
  });
});

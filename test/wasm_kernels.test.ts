/**
 * The training kernels added to the wasm backend, checked number by number against the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { registerWasmTrainingKernels } from '../src/core/wasm_kernels/register.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

const TOL = 1e-4;

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function randomValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs `f` on one backend and returns the values of what it returns. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
  });
}

/** Runs `f` on cpu and on wasm and returns the values of what it returns, per backend. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  return { cpu: await on('cpu', f), wasm: await on('wasm', f) };
}

/**
 * Asserts |actual − expected| ≤ TOL · max(1, |expected|) everywhere, and that the reference is not
 * trivially zero (so a kernel returning zeros cannot pass by accident).
 */
function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let worstAt = -1;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  expect(maxRef, `${what}: reference is all zeros`).toBeGreaterThan(1e-3);
  expect(worst, `${what}: worst error ${worst} at ${worstAt} (wasm ${actual[worstAt]} vs cpu ${expected[worstAt]})`).toBeLessThanOrEqual(TOL);
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

interface ConvCase {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { name: '1x1 stride 1 valid (pointwise)', x: [2, 7, 9, 16], filter: [1, 1, 16, 5], strides: 1, pad: 'valid' },
  { name: '1x1 stride 2 same', x: [2, 7, 9, 3], filter: [1, 1, 3, 8], strides: 2, pad: 'same' },
  { name: '3x3 stride 1 pad 1 (number)', x: [2, 10, 12, 3], filter: [3, 3, 3, 8], strides: 1, pad: 1 },
  { name: '3x3 stride 1 same, batch 3', x: [3, 9, 11, 16], filter: [3, 3, 16, 5], strides: 1, pad: 'same' },
  { name: '3x3 stride 2 same on 13x17', x: [2, 13, 17, 3], filter: [3, 3, 3, 8], strides: 2, pad: 'same' },
  {
    name: '3x3 stride 2 explicit pad 1',
    x: [3, 13, 17, 16],
    filter: [3, 3, 16, 5],
    strides: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: '3x3 strides [2,1] explicit asymmetric pad',
    x: [2, 12, 11, 4],
    filter: [3, 3, 4, 6],
    strides: [2, 1],
    pad: [
      [0, 0],
      [0, 2],
      [1, 0],
      [0, 0],
    ],
  },
  { name: '4x4 stride 4 valid (patch embed)', x: [2, 16, 20, 3], filter: [4, 4, 3, 8], strides: 4, pad: 'valid' },
  { name: '4x4 stride 4 valid, ragged 18x21', x: [2, 18, 21, 3], filter: [4, 4, 3, 8], strides: 4, pad: 'valid' },
  { name: '7x7 stride 2 pad 3 (ResNet stem) on 37x29', x: [2, 37, 29, 3], filter: [7, 7, 3, 8], strides: 2, pad: 3 },
  // K·outW = 3136·64 floats an output row: im2col is built in chunks of 20 rows, one spanning two images.
  { name: '7x7 64->1 pad 3, three im2col chunks', x: [2, 24, 64, 64], filter: [7, 7, 64, 1], strides: 1, pad: 3 },
];

describe('Conv2DBackpropFilter on wasm (through tf.grad of conv2d)', () => {
  for (const c of CONV_CASES) {
    it(`matches cpu: ${c.name}`, async () => {
      const xv = randomValues(size(c.x), 1);
      const fv = randomValues(size(c.filter), 2);
      const { cpu, wasm } = await onBoth(() => {
        const x = tf.tensor4d(xv, c.x);
        const filter = tf.tensor4d(fv, c.filter);
        const yShape = tf.conv2d(x, filter, c.strides, c.pad).shape;
        const weights = tf.tensor(randomValues(size(yShape), 3), yShape);
        const loss = (a: tf.Tensor, w: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad)
            .mul(weights)
            .sum();
        return tf.grads(loss)([x, filter]);
      });
      expectClose(wasm[0], cpu[0], `${c.name}: d/dx`);
      expectClose(wasm[1], cpu[1], `${c.name}: d/dfilter`);
    });
  }

  it('matches cpu for 3x3 dilation 2 pad 2 (filter built by zero insertion)', async () => {
    // tfjs-core refuses the gradient of a dilated conv2d; a 3x3 filter with dilation 2 is the 5x5
    // filter with zeros between its taps, so both gradients are checked through that form.
    const xShape: Shape4 = [2, 11, 13, 4];
    const fShape: Shape4 = [3, 3, 4, 6];
    const xv = randomValues(size(xShape), 4);
    const fv = randomValues(size(fShape), 5);
    const dilate = (w: tf.Tensor4D): tf.Tensor4D => {
      const [kh, kw, ci, co] = w.shape;
      const zerosW = tf.zeros([kh, kw, ci, co]);
      // interleave along width, then height, and drop the trailing zeros
      const wide = tf
        .stack([w, zerosW], 2)
        .reshape([kh, 2 * kw, ci, co])
        .slice([0, 0, 0, 0], [kh, 2 * kw - 1, ci, co]);
      const zerosH = tf.zerosLike(wide);
      return tf
        .stack([wide, zerosH], 1)
        .reshape([2 * kh, 2 * kw - 1, ci, co])
        .slice([0, 0, 0, 0], [2 * kh - 1, 2 * kw - 1, ci, co]) as tf.Tensor4D;
    };
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.tensor4d(xv, xShape);
      const filter = tf.tensor4d(fv, fShape);
      const direct = tf.conv2d(x, filter, 1, 2, 'NHWC', 2);
      const viaZeros = tf.conv2d(x, dilate(filter), 1, 2);
      const weights = tf.tensor(randomValues(size(direct.shape), 6), direct.shape);
      const loss = (a: tf.Tensor, w: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, dilate(w as tf.Tensor4D), 1, 2)
          .mul(weights)
          .sum();
      return [direct, viaZeros, ...tf.grads(loss)([x, filter])];
    });
    expectClose(cpu[1], cpu[0], 'zero-inserted filter reproduces dilation (cpu)');
    expectClose(wasm[2], cpu[2], 'dilated: d/dx');
    expectClose(wasm[3], cpu[3], 'dilated: d/dfilter');
  });

  it('honours the dilations attribute when the kernel is called directly', async () => {
    // Reference: the cpu filter gradient of the equivalent 5x5 undilated filter, every other tap.
    const xShape: Shape4 = [2, 11, 13, 4];
    const fShape: Shape4 = [3, 3, 4, 6];
    const d = 2;
    const effShape: Shape4 = [(fShape[0] - 1) * d + 1, (fShape[1] - 1) * d + 1, fShape[2], fShape[3]];
    const xv = randomValues(size(xShape), 7);
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, [1, 2], d, 2);
    const dyv = randomValues(size(info.outShape), 8);
    const run = (filterShape: Shape4, dilations: number) => () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xv, xShape), dy: tf.tensor4d(dyv, info.outShape) }, {
        strides: [1, 2],
        pad: 2,
        dataFormat: 'NHWC',
        dilations,
        filterShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const [eff] = await on('cpu', run(effShape, 1)); // the cpu kernel ignores `dilations`
    const [wasm] = await on('wasm', run(fShape, d));
    const expected = new Float32Array(size(fShape));
    const [kh, kw, ci, co] = fShape;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let k = 0; k < ci * co; k++) expected[(ky * kw + kx) * ci * co + k] = eff[(ky * d * effShape[1] + kx * d) * ci * co + k];
    expectClose(wasm, expected, 'dilations attr');
  });

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 3, 5, 5]);
    const dy = tf.zeros([1, 2, 5, 5]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NCHW',
        filterShape: [3, 3, 3, 2],
      } as unknown as tf.NamedAttrMap),
    ).toThrow(/NCHW.*not supported/);
    tf.dispose([x, dy]);
  });

  it('leaks neither tensors nor wasm data when run twice', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor4d(randomValues(2 * 64 * 64 * 64, 9), [2, 64, 64, 64]); // several chunks
    const filter = tf.tensor4d(randomValues(7 * 7 * 64 * 2, 10), [7, 7, 64, 2]);
    const step = (): Float32Array => {
      const g = tf.grad((w: tf.Tensor) =>
        tf
          .conv2d(x, w as tf.Tensor4D, 1, 'same')
          .square()
          .sum(),
      )(filter);
      const v = Float32Array.from(g.dataSync());
      g.dispose();
      return v;
    };
    const first = step();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    const second = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    expect(Array.from(second)).toEqual(Array.from(first));
    expect(first.some((v) => v !== 0)).toBe(true);
    tf.dispose([x, filter]);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  it('gives the gradient of gather along axis 0 with repeated indices', async () => {
    const pv = randomValues(5 * 3 * 4, 11);
    const indices = [0, 2, 2, 4, 0, 1, 2];
    const { cpu, wasm } = await onBoth(() => {
      const params = tf.tensor3d(pv, [5, 3, 4]);
      const idx = tf.tensor1d(indices, 'int32');
      const weights = tf.tensor3d(randomValues(indices.length * 12, 12), [indices.length, 3, 4]);
      return tf.grad((p: tf.Tensor) => tf.gather(p, idx, 0).mul(weights).sum())(params);
    });
    expectClose(wasm[0], cpu[0], 'gather axis 0');
    // row 3 is never gathered
    expect(Array.from(wasm[0].subarray(36, 48)).every((v) => v === 0)).toBe(true);
  });

  it('gives the gradient of gather along axis 1 with 2-D repeated indices', async () => {
    const pv = randomValues(3 * 6 * 2, 13);
    const { cpu, wasm } = await onBoth(() => {
      const params = tf.tensor3d(pv, [3, 6, 2]);
      const idx = tf.tensor2d([1, 1, 5, 0, 1, 3], [2, 3], 'int32');
      const weights = tf.tensor(randomValues(3 * 2 * 3 * 2, 14), [3, 2, 3, 2]);
      return tf.grad((p: tf.Tensor) => tf.gather(p, idx, 1).mul(weights).sum())(params);
    });
    expectClose(wasm[0], cpu[0], 'gather axis 1');
  });

  it('sums segments directly, skipping negative and out-of-range ids', async () => {
    const xv = randomValues(6 * 3, 15);
    const ids = [0, 2, -1, 2, 4, 1];
    const { cpu, wasm } = await onBoth(() => tf.unsortedSegmentSum(tf.tensor2d(xv, [6, 3]), tf.tensor1d(ids, 'int32'), 4));
    const expected = new Float32Array(4 * 3);
    ids.forEach((s, i) => {
      if (s >= 0 && s < 4) for (let j = 0; j < 3; j++) expected[s * 3 + j] += xv[i * 3 + j];
    });
    expectClose(wasm[0], expected, 'unsortedSegmentSum vs hand-computed');
    expectClose(wasm[0], cpu[0], 'unsortedSegmentSum vs cpu');
  });

  it('handles int32 values, 2-D ids and empty segments', async () => {
    await tf.setBackend('wasm');
    const out = tf.tidy(() =>
      tf.unsortedSegmentSum(
        tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2], 'int32'),
        // the op's typing says 1-D; the kernel (like TensorFlow's) takes any prefix of x's shape
        tf.tensor2d([2, 0, 2, -3, 2, 0], [2, 3], 'int32') as unknown as tf.Tensor1D,
        4,
      ),
    );
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([4, 2]);
    expect(Array.from(out.dataSync())).toEqual([3 + 11, 4 + 12, 0, 0, 1 + 5 + 9, 2 + 6 + 10, 0, 0]);
    out.dispose();
  });
});

describe('depthwiseConv2d gradients on wasm', () => {
  const cases: { name: string; x: Shape4; filter: Shape4; strides: number; pad: Pad }[] = [
    { name: '3x3 stride 1 same', x: [2, 9, 11, 8], filter: [3, 3, 8, 1], strides: 1, pad: 'same' },
    { name: '3x3 stride 2 same, channel multiplier 2', x: [2, 13, 17, 5], filter: [3, 3, 5, 2], strides: 2, pad: 'same' },
    { name: '5x5 stride 2 valid', x: [3, 15, 12, 4], filter: [5, 5, 4, 1], strides: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.name}`, async () => {
      const xv = randomValues(size(c.x), 16);
      const fv = randomValues(size(c.filter), 17);
      const { cpu, wasm } = await onBoth(() => {
        const x = tf.tensor4d(xv, c.x);
        const filter = tf.tensor4d(fv, c.filter);
        const yShape = tf.depthwiseConv2d(x, filter, c.strides, c.pad).shape;
        const weights = tf.tensor(randomValues(size(yShape), 18), yShape);
        const loss = (a: tf.Tensor, w: tf.Tensor) =>
          tf
            .depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad)
            .mul(weights)
            .sum();
        return tf.grads(loss)([x, filter]);
      });
      expectClose(wasm[0], cpu[0], `${c.name}: d/dx`);
      expectClose(wasm[1], cpu[1], `${c.name}: d/dfilter`);
    });
  }
});

describe('MaxPoolGrad on wasm (replaces the shipped kernel, wrong for stride > 1)', () => {
  const cases: { name: string; x: Shape4; size: number; strides: number; pad: Pad }[] = [
    { name: '3x3 stride 2 same (ResNet) on 9x11', x: [2, 9, 11, 4], size: 3, strides: 2, pad: 'same' },
    { name: '2x2 stride 2 valid on 8x8', x: [1, 8, 8, 3], size: 2, strides: 2, pad: 'valid' },
    { name: '2x2 stride 1 valid', x: [2, 8, 7, 5], size: 2, strides: 1, pad: 'valid' },
    { name: '3x3 stride 1 same', x: [1, 6, 5, 2], size: 3, strides: 1, pad: 'same' },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.name}`, async () => {
      const xv = randomValues(size(c.x), 19);
      const { cpu, wasm } = await onBoth(() => {
        const x = tf.tensor4d(xv, c.x);
        const y = tf.maxPool(x, c.size, c.strides, c.pad as 'same' | 'valid');
        const weights = tf.tensor(randomValues(size(y.shape), 20), y.shape);
        const g = tf.grad((a: tf.Tensor) =>
          tf
            .maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad as 'same' | 'valid')
            .mul(weights)
            .sum(),
        )(x);
        // Each dy element lands on exactly one input, so Σdx = Σdy.
        return [g, g.sum(), weights.sum()];
      });
      expectClose(wasm[0], cpu[0], `${c.name}: d/dx`);
      expectClose(wasm[1], wasm[2], `${c.name}: Σdx = Σdy`);
    });
  }
});

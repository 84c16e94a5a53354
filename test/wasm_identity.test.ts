import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { setGlobalSeed } from '../src/core/rng.js';
import { SwinTransformer } from '../src/backbones/swin/swin_transformer.js';
import { identitySharingWasmConfig } from '../src/core/wasm_kernels/identity.js';
import { useBackend } from './helpers.js';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** Gradients of a small Swin step, as flat arrays. */
function swinGrads(): Float32Array[] {
  setGlobalSeed(3);
  const model = new SwinTransformer({ arch: null, embedDim: 16, depths: [2], numHeads: [2], windowSize: 4, outIndices: [0], dropPathRate: 0.2 });
  model.train(true);
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const vars = [...model.trainableVariables().values()];
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => model.forward(x)[0].square().mean() as tf.Scalar), vars);
  const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
  tf.dispose([value, x, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('wasm Identity shares its buffer (tape clones are not copies)', () => {
  beforeAll(async () => useBackend('wasm'));

  it('is registered, clone allocates no buffer, and the clone outlives its original', () => {
    expect(tf.getKernel('Identity', 'wasm')).toBe(identitySharingWasmConfig);
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    const buffers = tf.memory().numDataBuffers;
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    b.dispose();
  });

  it('a Swin training step has bitwise the gradients of the copying Identity', () => {
    const shared = swinGrads();
    const original = tf.getKernel('Identity', 'wasm');
    tf.unregisterKernel('Identity', 'wasm');
    // The copying behaviour of tfjs-backend-wasm's own kernel.
    tf.registerKernel({
      kernelName: 'Identity',
      backendName: 'wasm',
      kernelFunc: ((args: { inputs: tf.NamedTensorInfoMap; backend: WasmHeapBackend }) => {
        const x = args.inputs.x as tf.TensorInfo;
        const out = args.backend.makeOutput(x.shape, x.dtype);
        args.backend.typedArrayFromHeap(out).set(args.backend.typedArrayFromHeap(x));
        return out;
      }) as unknown as tf.KernelFunc,
    });
    let copied: Float32Array[];
    try {
      copied = swinGrads();
    } finally {
      tf.unregisterKernel('Identity', 'wasm');
      tf.registerKernel(original as tf.KernelConfig);
    }
    expect(copied.length).toBe(shared.length);
    copied.forEach((g, i) => expect(Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(shared[i].buffer, shared[i].byteOffset, shared[i].byteLength))).toBe(true));
  });
});

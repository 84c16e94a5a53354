import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { globalRng, setGlobalSeed } from '../src/core/rng.js';
import { ConfigError } from '../src/core/errors.js';
import '../src/registry/builtins.js';
import { BACKBONES } from '../src/registry/registries.js';
import { SwinTransformer } from '../src/backbones/swin/swin_transformer.js';
import { VisionTransformer } from '../src/backbones/vit/vision_transformer.js';
import { ResNet } from '../src/backbones/resnet/resnet.js';
import type { Backbone } from '../src/backbones/backbone.js';
import { maxAbsDiff, useBackend } from './helpers.js';

/** Small backbones with every source of randomness on (dropout, attention dropout, drop path). */
const CASES: Array<[string, (withCp: boolean) => Backbone, [number, number, number, number]]> = [
  [
    'SwinTransformer',
    (withCp) => new SwinTransformer({ arch: null, embedDim: 16, depths: [2, 2], numHeads: [2, 4], windowSize: 4, dropRate: 0.1, attnDropRate: 0.1, dropPathRate: 0.3, outIndices: [0, 1], withCp }),
    [2, 36, 28, 3], // 9x7 patches: padded windows, shifted blocks with the region mask
  ],
  [
    'VisionTransformer',
    (withCp) => new VisionTransformer({ arch: null, embedDim: 16, depth: 3, numHeads: 2, patchSize: 8, imgSize: 32, dropRate: 0.1, attnDropRate: 0.1, dropPathRate: 0.3, outIndices: [1, 2], withCp }),
    [2, 32, 32, 3],
  ],
  ['ResNet-18', (withCp) => new ResNet({ depth: 18, baseChannels: 4, withCp }), [2, 32, 32, 3]],
  ['ResNet-50', (withCp) => new ResNet({ depth: 50, baseChannels: 4, numStages: 2, outIndices: [0, 1], withCp }), [2, 32, 32, 3]],
];

interface StepResult {
  grads: Map<string, tf.Tensor>;
  buffers: Map<string, tf.Tensor>;
  rngAfter: number[];
}

/** One training step (seeded): gradients of a fixed linear loss over all outputs w.r.t. the input and every variable. */
function step(model: Backbone, input: tf.Variable, seed: number): StepResult {
  model.train(true);
  const vars = [...model.trainableVariables().entries()];
  setGlobalSeed(seed);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const outs = model.forward(input as tf.Tensor as tf.Tensor4D);
        let loss = tf.scalar(0);
        outs.forEach((o, i) => {
          const w = tf.sin(tf.range(0, o.size).mul(0.37 + i)).reshape(o.shape); // fixed, non-uniform weights
          loss = loss.add(o.mul(w).sum());
        });
        return loss as tf.Scalar;
      }),
    [input, ...vars.map(([, v]) => v)],
  );
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  out.set('input', grads[input.name]);
  for (const [name, v] of vars) out.set(name, grads[v.name]);
  const buffers = new Map<string, tf.Tensor>();
  for (const [name, b] of model.namedBuffers()) buffers.set(name, b.clone());
  return {
    grads: out,
    buffers,
    rngAfter: globalRng()
      .getState()
      .map((v) => v >>> 0),
  };
}

function disposeResult(r: StepResult): void {
  tf.dispose([...r.grads.values(), ...r.buffers.values()]);
}

describe('withCp: activation checkpointing gives the gradients of the plain backward', () => {
  beforeAll(async () => useBackend('cpu'));

  it.each(CASES)('%s: d(input) and every variable within 1e-6, same masks, same buffers, same rng stream', (caseName, build, shape) => {
    setGlobalSeed(7);
    const plain = build(false);
    const cp = build(true);
    cp.loadStateDict(plain.stateDict());
    const input = tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 3), true, `cp_input_${Math.random()}`);

    const a = step(plain, input, 11);
    const b = step(cp, input, 11);
    expect(b.grads.size).toBe(a.grads.size);
    for (const [name, ga] of a.grads) {
      const gb = b.grads.get(name);
      expect(gb, name).toBeDefined();
      expect(ga, name).toBeDefined();
      // float32 sums of residual branches are reassociated by the recompute (x's gradient is
      // o + (a + n) instead of (o + a) + n), so equality is to 1e-6 of the gradient's scale
      // (2e-6 for ResNet, whose BatchNorm weight gradients are reductions with cancellation).
      const d = maxAbsDiff(ga, gb as tf.Tensor);
      const scale = Math.max(
        1,
        tf.tidy(() => ga.abs().max().dataSync()[0]),
      );
      expect(d, `${name}: max |Δgrad| ${d}, max |grad| ${scale}`).toBeLessThanOrEqual((caseName.startsWith('ResNet') ? 2e-6 : 1e-6) * scale);
    }
    // BatchNorm updates its running statistics once per step, not again in the recompute.
    for (const [name, va] of a.buffers) {
      const vb = b.buffers.get(name) as tf.Tensor;
      expect(maxAbsDiff(va, vb), name).toBeLessThanOrEqual(1e-6);
    }
    expect(b.rngAfter).toEqual(a.rngAfter);
    // A different seed gives different masks, so the comparison above did exercise the random paths.
    if (!caseName.startsWith('ResNet')) {
      const c = step(plain, input, 12);
      expect(maxAbsDiff(c.grads.get('input') as tf.Tensor, a.grads.get('input') as tf.Tensor)).toBeGreaterThan(1e-4);
      disposeResult(c);
    }
    disposeResult(a);
    disposeResult(b);
    input.dispose();
    plain.dispose();
    cp.dispose();
  });

  it.each(CASES)('%s with withCp: no tensor growth between step 1 and step 3', (_, build, shape) => {
    setGlobalSeed(7);
    const model = build(true);
    const input = tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 3), true, `cp_leak_${Math.random()}`);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      disposeResult(step(model, input, i));
      counts.push(tf.memory().numTensors);
    }
    expect(counts[2]).toBe(counts[0]);
    input.dispose();
    model.dispose();
  });

  it('Swin: the checkpointed step holds fewer bytes at its peak', async () => {
    const peak = async (withCp: boolean): Promise<number> => {
      setGlobalSeed(7);
      const model = new SwinTransformer({ arch: null, embedDim: 16, depths: [2, 6], numHeads: [2, 4], windowSize: 4, outIndices: [1], withCp });
      const input = tf.variable(tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 3), true, `cp_peak_${withCp}_${Math.random()}`);
      const info = await tf.profile(() => disposeResult(step(model, input, 1)));
      input.dispose();
      model.dispose();
      return info.peakBytes;
    };
    const plainPeak = await peak(false);
    const cpPeak = await peak(true);
    expect(cpPeak, `peak bytes ${cpPeak} with withCp vs ${plainPeak} without`).toBeLessThan(plainPeak * 0.75);
  });

  it('eval mode runs the plain forward (no checkpoint) with equal outputs', () => {
    setGlobalSeed(7);
    const plain = CASES[0][1](false);
    const cp = CASES[0][1](true);
    cp.loadStateDict(plain.stateDict());
    plain.eval();
    cp.eval();
    const x = tf.randomNormal([1, 36, 28, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const ya = plain.forward(x);
    const yb = cp.forward(x);
    ya.forEach((t, i) => expect(maxAbsDiff(t, yb[i])).toBe(0));
    tf.dispose([x, ...ya, ...yb]);
    plain.dispose();
    cp.dispose();
  });
});

describe('withCp option validation', () => {
  beforeAll(async () => useBackend('cpu'));

  it.each([
    ['SwinTransformer', () => new SwinTransformer({ withCp: 'yes' as unknown as boolean })],
    ['VisionTransformer', () => new VisionTransformer({ withCp: 1 as unknown as boolean })],
    ['ResNet', () => new ResNet({ depth: 18, withCp: null as unknown as boolean })],
  ])('%s: a non-boolean withCp is a ConfigError naming it', (_, build) => {
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/withCp must be true or false/);
  });

  it.each(['SwinTransformer', 'VisionTransformer', 'ResNet'])('%s from the registry: withCp must be a boolean', (type) => {
    expect(() => BACKBONES.build({ type, ...(type === 'ResNet' ? { depth: 18 } : {}), withCp: 'true' }, {}, 'model.backbone')).toThrow(/withCp/);
  });
});

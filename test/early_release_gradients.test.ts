/**
 * The early-releasing gradient driver (src/core/early_release_gradients.ts) gives exactly
 * tf.variableGrads' gradients, in less peak memory, with nothing left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { loadConfig, type Config } from '../src/config/load_config.js';
import { mergeConfig } from '../src/config/merge.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import { MODELS } from '../src/registry/registries.js';
import { setGlobalSeed } from '../src/core/rng.js';
import { variableGradsEarlyRelease } from '../src/core/early_release_gradients.js';
import type { Model } from '../src/models/base_model.js';
import type { Batch } from '../src/structures/data_sample.js';
import { TEST_BACKENDS, useBackend } from './helpers.js';

const CONFIG = new URL('../configs/segmentation/swin-mini_upernet_ade.ts', import.meta.url).pathname;

/** A segmentation batch with a fixed image and label map. */
function batch(h: number, w: number): Batch {
  const inputs = tf.tidy(() => tf.sin(tf.range(0, 2 * h * w * 3).mul(0.013)).reshape([2, h, w, 3]) as tf.Tensor4D);
  const samples = [0, 1].map((i) => {
    const data = new Uint8Array(h * w);
    for (let p = 0; p < data.length; p++) data[p] = (p * 7 + i * 3 + (p % w > w / 2 ? 1 : 0)) % 4;
    return {
      imgPath: `img${i}`,
      oriShape: [h, w] as [number, number],
      imgShape: [h, w] as [number, number],
      scaleFactor: [1, 1] as [number, number],
      flip: false,
      gtSemSeg: { data, height: h, width: w },
    };
  });
  return { inputs, samples };
}

interface Run {
  value: number;
  grads: Map<string, Float32Array>;
  peakBytes: number;
}

async function run(model: Model, b: Batch, driver: 'tfjs' | 'early'): Promise<Run> {
  const vars = model.namedParameters().map(([, p]) => p.variable);
  setGlobalSeed(7);
  let out!: { value: tf.Scalar; grads: tf.NamedTensorMap };
  const loss = (): tf.Scalar => {
    const terms = model.loss(b);
    return tf.addN(Object.values(terms)) as tf.Scalar;
  };
  model.beforeLoss(b);
  const info = await tf.profile(() => {
    out = driver === 'tfjs' ? tf.variableGrads(loss, vars) : variableGradsEarlyRelease(loss, vars);
    return [out.value, ...Object.values(out.grads)];
  });
  model.afterLoss();
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(out.grads)) grads.set(name, g.dataSync() as Float32Array);
  const value = out.value.dataSync()[0];
  tf.dispose([out.value, ...Object.values(out.grads)]);
  return { value, grads, peakBytes: info.peakBytes };
}

describe.each(TEST_BACKENDS)('variableGradsEarlyRelease (%s)', (backend) => {
  let config: RootConfig;
  beforeAll(async () => {
    await useBackend(backend);
    const raw = await loadConfig(CONFIG);
    config = validateConfig(
      mergeConfig(raw, { model: { backbone: { embedDim: 16, depths: [2, 2, 1, 1], dropPathRate: 0.2 }, decodeHead: { channels: 16 }, auxiliaryHead: { channels: 8 } } }) as Config,
      CONFIG,
    );
  });
  afterAll(() => undefined);

  for (const withCp of [false, true]) {
    it(`gives tf.variableGrads' gradients bit for bit in less peak memory and leaks nothing (Swin + UPerNet${withCp ? ', withCp' : ''})`, async () => {
      const cfg = mergeConfig(config as unknown as Config, { model: { backbone: { withCp } } }) as unknown as RootConfig;
      const model = MODELS.build(cfg.model, { numClasses: 4 }, 'model') as Model;
      model.train();
      const b = batch(40, 32);
      try {
        await run(model, b, 'tfjs'); // builds the model's cached tensors (masks, position indices)
        const before = tf.memory().numTensors;
        const reference = await run(model, b, 'tfjs');
        expect(tf.memory().numTensors, 'tensors left by tf.variableGrads').toBe(before);
        const early = await run(model, b, 'early');
        expect(tf.memory().numTensors, 'tensors left by variableGradsEarlyRelease').toBe(before);
        expect(early.value).toBe(reference.value);
        expect([...early.grads.keys()].sort()).toEqual([...reference.grads.keys()].sort());
        const differing = [...reference.grads].filter(([name, g]) => {
          const e = early.grads.get(name)!;
          return g.some((v, i) => !Object.is(v, e[i]));
        });
        expect(differing.map(([n]) => n)).toEqual([]);
        // Without checkpointing the tape's activations dominate; with it, the recompute's own peak does.
        expect(early.peakBytes).toBeLessThan((withCp ? 0.9 : 0.8) * reference.peakBytes);
      } finally {
        b.inputs.dispose();
        model.dispose();
      }
    });
  }

  it('refuses a non-scalar, a value no variable reaches, and a call inside another tape, leaving no tensor behind', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'early_release_v');
    const w = tf.variable(tf.tensor1d([4]), true, 'early_release_w');
    try {
      const before = tf.memory().numTensors;
      expect(() => variableGradsEarlyRelease(() => v.mul(2) as unknown as tf.Scalar, [v])).toThrow(/must return a scalar tensor, got shape \[3\]/);
      expect(() => variableGradsEarlyRelease(() => w.sum(), [v])).toThrow(/none of the variables reaches/);
      expect(() => tf.variableGrads(() => variableGradsEarlyRelease(() => v.sum(), [v]).value, [v])).toThrow(/while a gradient tape is recording/);
      expect(tf.memory().numTensors).toBe(before);
      const { value, grads } = variableGradsEarlyRelease(() => v.square().sum(), [v, w]);
      expect(Array.from(grads[v.name].dataSync())).toEqual([2, 4, 6]);
      expect(Object.keys(grads)).toEqual([v.name]);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      v.dispose();
      w.dispose();
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { BACKBONES, MODELS } from '../src/registry/registries.js';
import { SwinTransformer } from '../src/backbones/swin/swin_transformer.js';
import { readWeights } from '../src/checkpoint/weights.js';
import { loadConfig } from '../src/config/load_config.js';
import { ROOT_SCHEMA } from '../src/config/schema.js';
import { validateOptions } from '../src/registry/options.js';
import type { Module } from '../src/nn/module.js';
import { TEST_BACKENDS, useBackend } from './helpers.js';

const dir = new URL('./fixtures/swin/', import.meta.url).pathname;
const configs = new URL('../configs/', import.meta.url).pathname;

async function buildConfigModel(file: string): Promise<Module> {
  const raw = await loadConfig(file);
  const model = validateOptions(ROOT_SCHEMA, { model: raw.model }, 'config', '').model;
  return MODELS.build(model, { numClasses: null }, 'model');
}

describe('Swin parameter counts match the published ones', () => {
  beforeAll(async () => useBackend('cpu'));

  it.each([
    ['swin-t_in1k.ts', 28_288_354],
    ['swin-s_in1k.ts', 49_606_258],
    ['swin-b_in1k.ts', 87_768_224],
  ])('%s has %d parameters', async (file, count) => {
    const model = await buildConfigModel(`${configs}classification/${file}`);
    expect(model.numParameters()).toBe(count);
    model.dispose();
  });

  it('Swin-T detection backbone (four output norms, no head) has 27,520,698', () => {
    const backbone = new SwinTransformer({ arch: 'tiny' });
    expect(backbone.numParameters()).toBe(27_520_698);
    backbone.dispose();
  });
});

describe('full Swin-T checkpoints in every layout fit the swin-t_in1k config exactly', () => {
  beforeAll(async () => useBackend('cpu'));

  it.each(['swin_t_keys_tv.pth', 'swin_t_keys_official.pth'])('%s: no missing or unexpected keys, all shapes fit', async (file) => {
    const model = await buildConfigModel(`${configs}classification/swin-t_in1k.ts`);
    const { state } = readWeights(`${dir}${file}`);
    const own = model.stateDict();
    expect([...own.keys()].filter((k) => !state.has(k))).toEqual([]);
    expect([...state.keys()].filter((k) => !own.has(k))).toEqual([]);
    for (const [k, t] of own) expect(state.get(k)?.shape, k).toEqual(t.shape);
    model.dispose();
  });

  it('mmdet layout: every backbone key of a 4-output Swin-T, nothing unexpected but the head-less extras', () => {
    const backbone = BACKBONES.build({ type: 'SwinTransformer', arch: 'tiny' }, {}, 'backbone');
    const { state } = readWeights(`${dir}swin_t_keys_mmdet.pth`);
    const own = [...backbone.stateDict().entries()].map(([k, t]) => [`backbone.${k}`, t.shape] as const);
    const missing = own.filter(([k]) => !state.has(k)).map(([k]) => k);
    // An mmdet checkpoint converted from a classifier carries norm3 (the final norm) only.
    expect(missing.every((k) => /^backbone\.norm[012]\./.test(k))).toBe(true);
    for (const [k, shape] of own) if (state.has(k)) expect(state.get(k)?.shape, k).toEqual(shape);
    backbone.dispose();
  });
});

describe.each(TEST_BACKENDS)('Swin backbone training behaviour on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  const small = { arch: null, embedDim: 8, depths: [1, 2, 1, 1], numHeads: [1, 2, 2, 2], windowSize: 4, dropPathRate: 0.2 };

  it('every trainable variable gets a finite gradient; frozen stages get none', () => {
    const backbone = new SwinTransformer({ ...small, frozenStages: 2 });
    backbone.train();
    const x = tf.randomNormal([2, 45, 37, 3]) as tf.Tensor4D;
    const vars = backbone.trainableVariables();
    const frozen = backbone
      .namedParameters()
      .filter(([, p]) => !p.requiresGrad)
      .map(([n]) => n);
    expect(frozen.some((n) => n.startsWith('patch_embed.'))).toBe(true);
    expect(frozen.some((n) => n.startsWith('layers.1.'))).toBe(true);
    expect(frozen.some((n) => n.startsWith('layers.2.'))).toBe(false);
    expect([...vars.keys()].some((n) => n.startsWith('layers.0.') || n.startsWith('patch_embed.'))).toBe(false);
    const { value, grads } = tf.variableGrads(() => backbone.forward(x).reduce((acc, f) => acc.add(f.square().mean()), tf.scalar(0)) as tf.Scalar, [...vars.values()]);
    for (const [name, v] of vars) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      const finite = tf.tidy(() => tf.isFinite(g).all().dataSync()[0]);
      expect(finite, `${name} finite`).toBe(1);
    }
    expect(frozen.every((n) => !vars.has(n))).toBe(true);
    // frozen modules stay in eval mode even in train()
    expect(backbone.layers.items[0].training).toBe(false);
    expect(backbone.layers.items[2].training).toBe(true);
    tf.dispose([value, x, ...Object.values(grads)]);
    backbone.dispose();
  });

  it('a training step leaks no tensors', () => {
    const backbone = new SwinTransformer(small);
    backbone.train();
    const x = tf.randomNormal([1, 33, 29, 3]) as tf.Tensor4D;
    const vars = [...backbone.trainableVariables().values()];
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => backbone.forward(x)[3].mean() as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    backbone.dispose();
  });

  it('odd input sizes give ceil-divided outputs with the declared channels and strides', () => {
    const backbone = new SwinTransformer({ ...small, dropPathRate: 0 });
    backbone.eval();
    const outs = backbone.forward(tf.randomNormal([1, 112, 137, 3]) as tf.Tensor4D);
    expect(backbone.outputSpecs.map((s) => s.stride)).toEqual([4, 8, 16, 32]);
    outs.forEach((o, i) => {
      const s = backbone.outputSpecs[i];
      expect(o.shape).toEqual([1, Math.ceil(112 / s.stride), Math.ceil(137 / s.stride), s.channels]);
    });
    tf.dispose(outs);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { ConfigError } from '../src/core/errors.js';
import '../src/registry/builtins.js';
import { BACKBONES, MODELS, NECKS } from '../src/registry/registries.js';
import type { ImageClassifier } from '../src/models/image_classifier.js';
import { VisionTransformer, resolveVitOptions, VIT_DEFAULTS } from '../src/backbones/vit/vision_transformer.js';
import { resamplePosEmbed } from '../src/backbones/vit/pos_embed.js';
import { SimpleFeaturePyramidLevel } from '../src/backbones/vit/simple_feature_pyramid.js';
import { VisionTransformerClsHead } from '../src/heads/classification/vit_cls_head.js';
import { loadWeightsInto, readWeights } from '../src/checkpoint/weights.js';
import { convertStateDict } from '../src/checkpoint/convert/convert.js';
import { loadConfig } from '../src/config/load_config.js';
import { ROOT_SCHEMA } from '../src/config/schema.js';
import { validateOptions } from '../src/registry/options.js';
import type { Module } from '../src/nn/module.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend, TRAIN_BACKEND } from './helpers.js';

const dir = new URL('./fixtures/vit/', import.meta.url).pathname;
const configs = new URL('../configs/', import.meta.url).pathname;

/** The fixture ViT (embed 32, depth 2, 2 heads, patch 8, pos_embed grid 8x8). */
const SMALL = { type: 'VisionTransformer', arch: null, embedDim: 32, depth: 2, numHeads: 2, patchSize: 8, imgSize: 64 };

function classifier(backbone: Record<string, unknown>, head: Record<string, unknown> = {}): ImageClassifier {
  return MODELS.build(
    { type: 'ImageClassifier', backbone: { ...SMALL, outputMode: 'tokens', ...backbone }, head: { type: 'VisionTransformerClsHead', numClasses: 10, ...head } },
    { numClasses: null },
    'model',
  ) as ImageClassifier;
}

async function buildConfigModel(file: string, numClasses: number | null = null): Promise<Module> {
  const raw = await loadConfig(file);
  const model = validateOptions(ROOT_SCHEMA, { model: raw.model }, 'config', '').model;
  return MODELS.build(model, { numClasses }, 'model');
}

/** Loads the fixture tensors under `prefix.` into `module` (strict). */
function loadPrefixed(module: Module, fx: Map<string, tf.Tensor>, prefix: string): void {
  const state = new Map<string, tf.Tensor>();
  for (const key of module.stateDict().keys()) state.set(key, fixture(fx, `${prefix}.${key}`));
  module.loadStateDict(state);
}

describe.each(TEST_BACKENDS)('ViT / DeiT reproduce the timm reference on %s', (backend) => {
  let io: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    io = loadFixture(`${dir}vit_io.safetensors`);
  });
  afterAll(() => tf.dispose([...io.values()]));

  it('timm checkpoint: strict load; tokens, block-0 tokens and logits at 64x64, 48x80 (resampled pos_embed), 45x70 (padded)', () => {
    const model = classifier({});
    const report = loadWeightsInto(model, `${dir}vit_small_timm.pth`);
    expect(report.conversion?.layout).toBe('vit-timm');
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    model.eval();
    const backbone = model.backbone as VisionTransformer;
    for (const [tag, grid] of [
      ['64x64', [8, 8]],
      ['48x80', [6, 10]],
      ['45x70', [6, 9]],
    ] as const) {
      const x = nhwc(fixture(io, `vit.${tag}.input`));
      const out = backbone.forwardTokens(x, [0, 1]);
      expect(out.grid).toEqual(grid);
      expect(out.numPrefixTokens).toBe(1);
      expectClose(out.tokens[0], fixture(io, `vit.${tag}.block0`), 1e-4, `${tag} block0`);
      expectClose(out.tokens[1], fixture(io, `vit.${tag}.tokens`), 1e-4, `${tag} tokens`);
      const logits = model.forward(x);
      expectClose(logits, fixture(io, `vit.${tag}.logits`), 1e-4, `${tag} logits`);
      tf.dispose([x, logits, ...out.tokens]);
    }
    model.dispose();
  });

  it('every parameter gradient of sum(logits * R) matches PyTorch', () => {
    const model = classifier({});
    loadWeightsInto(model, `${dir}vit_small_timm.pth`);
    model.eval();
    const x = nhwc(fixture(io, 'vit.64x64.input'));
    const r = fixture(io, 'vit.grad.loss_weight');
    const vars = [...model.trainableVariables().entries()];
    expect(vars.length).toBe(4 + 2 * 12 + 2 + 2); // embed (proj w/b, cls, pos), 12 per block, norm, head
    const { value, grads } = tf.variableGrads(
      () => model.forward(x).mul(r).sum() as tf.Scalar,
      vars.map(([, v]) => v),
    );
    for (const [name, v] of vars) {
      const timmName = name.startsWith('backbone.') ? name.slice('backbone.'.length) : name.replace(/^head\.fc\./, 'head.');
      const expected = fixture(io, `vit.grad.${timmName}`);
      const scale = tf.tidy(() => expected.abs().max().dataSync()[0]);
      expectClose(grads[v.name], expected, 2e-4 * Math.max(1, scale), `d/d${name}`);
    }
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
  });

  it("DeiT ⚗ checkpoint ({'model': ...}): averaged logits at inference, both heads from forwardTrain", () => {
    const model = classifier({ imgSize: 32, distToken: true });
    const report = loadWeightsInto(model, `${dir}deit_small_distilled.pth`);
    expect(report.conversion?.layout).toBe('vit-timm');
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(model.stateDict().has('head.head_dist.weight')).toBe(true);
    model.eval();
    const head = model.head as VisionTransformerClsHead;
    for (const tag of ['32x32', '40x56']) {
      const x = nhwc(fixture(io, `deit.${tag}.input`));
      const features = model.backbone.forward(x);
      expect(features[0].shape.slice(0, 2)).toEqual([2, 1]);
      expectClose(features[0].squeeze([1]), fixture(io, `deit.${tag}.tokens`), 1e-4, `${tag} tokens`);
      const { cls, dist } = head.forwardTrain(features);
      expect(dist).not.toBeNull();
      expectClose(cls, fixture(io, `deit.${tag}.cls_logits`), 1e-4, `${tag} cls`);
      expectClose(dist as tf.Tensor, fixture(io, `deit.${tag}.dist_logits`), 1e-4, `${tag} dist`);
      const logits = model.forward(x);
      expectClose(logits, fixture(io, `deit.${tag}.logits`), 1e-4, `${tag} averaged logits`);
      tf.dispose([x, cls, dist as tf.Tensor, logits, ...features]);
    }
    model.dispose();
  });

  it("position embedding resampling equals timm's resample_abs_pos_embed (F.interpolate bicubic, align_corners=False)", () => {
    const pos = fixture(io, 'posembed.input'); // [1, 1 + 8·8, 32]
    expectClose(resamplePosEmbed(pos, 1, [8, 8], [6, 10]), fixture(io, 'posembed.6x10'), 1e-5, '8x8 → 6x10');
    expectClose(resamplePosEmbed(pos, 1, [8, 8], [3, 11]), fixture(io, 'posembed.3x11'), 1e-5, '8x8 → 3x11');
    const noPrefix = pos.slice([0, 1, 0], [1, 64, 32]);
    expectClose(resamplePosEmbed(noPrefix, 0, [8, 8], [6, 10]), fixture(io, 'posembed.noprefix.6x10'), 1e-5, 'no prefix');
    expect(resamplePosEmbed(pos, 1, [8, 8], [8, 8])).toBe(pos);
  });

  it("ViTDet pyramid levels equal PyTorch's ConvTranspose2d / LayerNorm / GELU and MaxPool2d(ceil_mode)", () => {
    const x = nhwc(fixture(io, 'sfp.input')); // [2, 5, 7, 32]
    const cases = [
      [4, 'simfp_2', 'stage1', [2, 20, 28, 8]],
      [2, 'simfp_3', 'stage2', [2, 10, 14, 16]],
      [0.5, null, 'stage4', [2, 3, 4, 32]],
    ] as const;
    for (const [scale, prefix, tag, shape] of cases) {
      const level = new SimpleFeaturePyramidLevel(32, scale, null);
      if (prefix !== null) loadPrefixed(level, io, `sfp.${prefix}`);
      const y = level.forward(x);
      expect(y.shape).toEqual(shape);
      expectClose(y, nhwc(fixture(io, `sfp.${tag}`)), 1e-4, tag);
      level.dispose();
    }
  });

  it('pyramid mode: declared specs (strides p/4..2p, ViTDet channels) match the maps at odd sizes, and FPN builds from them', () => {
    const backbone = BACKBONES.build({ ...SMALL, patchSize: 16, outputMode: 'pyramid' }, {}, 'backbone');
    expect(backbone.outputSpecs).toEqual([
      { name: 'stage1', channels: 8, stride: 4 },
      { name: 'stage2', channels: 16, stride: 8 },
      { name: 'stage3', channels: 32, stride: 16 },
      { name: 'stage4', channels: 32, stride: 32 },
    ]);
    const names = backbone
      .namedParameters()
      .map(([n]) => n)
      .filter((n) => n.startsWith('simfp'));
    expect(names).toEqual(['simfp_2.0.weight', 'simfp_2.0.bias', 'simfp_2.1.weight', 'simfp_2.1.bias', 'simfp_2.3.weight', 'simfp_2.3.bias', 'simfp_3.0.weight', 'simfp_3.0.bias']);
    const fpn = NECKS.build({ type: 'FPN', outChannels: 16, numOuts: 5 }, { inputs: backbone.outputSpecs }, 'neck');
    backbone.eval();
    fpn.eval();
    for (const [h, w] of [
      [64, 64],
      [45, 70],
      [33, 17],
    ]) {
      const x = tf.randomNormal([1, h, w, 3]) as tf.Tensor4D;
      const outs = backbone.forward(x);
      outs.forEach((o, i) => {
        const s = backbone.outputSpecs[i];
        expect(o.shape, `${h}x${w} ${s.name}`).toEqual([1, Math.ceil(h / s.stride), Math.ceil(w / s.stride), s.channels]);
      });
      const pyramid = fpn.forward(outs);
      expect(pyramid.map((p) => p.shape[3])).toEqual([16, 16, 16, 16, 16]);
      tf.dispose([x, ...outs, ...pyramid]);
    }
    backbone.dispose();
    fpn.dispose();

    const projected = new VisionTransformer({ ...SMALL, patchSize: 16, outputMode: 'pyramid', pyramidChannels: 24 });
    expect(projected.outputSpecs.map((s) => s.channels)).toEqual([24, 24, 24, 24]);
    const keys = [...projected.stateDict().keys()];
    for (const k of ['simfp_2.4.weight', 'simfp_2.4.norm.weight', 'simfp_2.5.norm.bias', 'simfp_3.1.weight', 'simfp_4.0.weight', 'simfp_4.1.norm.weight', 'simfp_5.1.weight', 'simfp_5.2.norm.bias']) {
      expect(keys, k).toContain(k);
    }
    expect(projected.stateDict().get('simfp_2.5.weight')?.shape).toEqual([24, 24, 3, 3]);
    const y = projected.forward(tf.zeros([1, 40, 40, 3]) as tf.Tensor4D);
    expect(y.map((t) => t.shape)).toEqual([
      [1, 10, 10, 24],
      [1, 5, 5, 24],
      [1, 3, 3, 24],
      [1, 2, 2, 24],
    ]);
    tf.dispose(y);
    projected.dispose();
  });

  it("featmap mode: 'block{i}' NHWC maps at stride p, the patch tokens of the selected blocks", () => {
    const backbone = new VisionTransformer({ ...SMALL, outIndices: [0, -1] });
    backbone.eval();
    expect(backbone.outputSpecs).toEqual([
      { name: 'block0', channels: 32, stride: 8 },
      { name: 'block1', channels: 32, stride: 8 },
    ]);
    const x = tf.randomNormal([2, 45, 70, 3]) as tf.Tensor4D;
    const maps = backbone.forward(x);
    const { tokens } = backbone.forwardTokens(x);
    expect(maps.map((m) => m.shape)).toEqual([
      [2, 6, 9, 32],
      [2, 6, 9, 32],
    ]);
    maps.forEach((m, i) => expectClose(m.reshape([2, 54, 32]), tokens[i].slice([0, 1, 0], [2, 54, 32]), 0, `block map ${i}`));
    tf.dispose([x, ...maps, ...tokens]);
    backbone.dispose();
  });
});

describe.each(TEST_BACKENDS)('ViT training behaviour on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('every trainable parameter (DeiT ⚗ classifier, pyramid backbone) gets a finite non-zero gradient; frozen ones none', () => {
    // No drop path here: it may drop a whole residual branch of the batch and zero its gradients.
    const model = classifier({ distToken: true, dropRate: 0.1, attnDropRate: 0.1, frozenStages: 1 }, { dropout: 0.1 });
    model.train();
    const x = tf.randomNormal([2, 40, 48, 3]) as tf.Tensor4D;
    const labels = tf.tensor1d([1, 7], 'int32');
    const frozen = model
      .namedParameters()
      .filter(([, p]) => !p.requiresGrad)
      .map(([n]) => n);
    expect(frozen.sort()).toEqual(
      [
        'backbone.cls_token',
        'backbone.dist_token',
        'backbone.pos_embed',
        'backbone.patch_embed.proj.weight',
        'backbone.patch_embed.proj.bias',
        ...model
          .namedParameters()
          .map(([n]) => n)
          .filter((n) => n.startsWith('backbone.blocks.0.')),
      ].sort(),
    );
    expect((model.backbone as VisionTransformer).blocks.items[0].training).toBe(false);
    expect((model.backbone as VisionTransformer).blocks.items[1].training).toBe(true);
    const head = model.head as VisionTransformerClsHead;
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const { cls, dist } = head.forwardTrain(model.backbone.forward(x));
      return head.loss(cls, labels).add(head.loss(dist as tf.Tensor2D, labels)) as tf.Scalar;
    }, [...vars.values()]);
    expect([...vars.keys()]).toContain('head.head_dist.weight');
    for (const [name, v] of vars) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      const [finite, norm] = tf.tidy(() => [tf.isFinite(g).all().dataSync()[0], g.abs().sum().dataSync()[0]]);
      expect(finite, `${name} finite`).toBe(1);
      expect(norm, `${name} non-zero`).toBeGreaterThan(0);
    }
    tf.dispose([value, x, labels, ...Object.values(grads)]);
    model.dispose();

    const backbone = new VisionTransformer({ ...SMALL, patchSize: 16, outputMode: 'pyramid', pyramidChannels: 8 });
    backbone.train();
    const img = tf.randomNormal([1, 45, 37, 3]) as tf.Tensor4D;
    const bvars = backbone.trainableVariables();
    const res = tf.variableGrads(() => backbone.forward(img).reduce((acc, f) => acc.add(f.square().mean()), tf.scalar(0)) as tf.Scalar, [...bvars.values()]);
    for (const [name, v] of bvars) {
      const g = res.grads[v.name];
      expect(g, name).toBeDefined();
      const norm = tf.tidy(() => g.abs().sum().dataSync()[0]);
      expect(Number.isFinite(norm) && norm > 0, `${name}: |grad| ${norm}`).toBe(true);
    }
    tf.dispose([img, res.value, ...Object.values(res.grads)]);
    backbone.dispose();
  });

  it('training steps and inference leak no tensors', () => {
    const model = classifier({ dropPathRate: 0.1 });
    const x = tf.randomNormal([2, 40, 56, 3]) as tf.Tensor4D;
    const labels = tf.tensor1d([3, 4], 'int32');
    const vars = [...model.trainableVariables().values()];
    const step = (): void => {
      model.train();
      const { value, grads } = tf.variableGrads(() => model.head.loss(model.forward(x), labels), vars);
      tf.dispose([value, ...Object.values(grads)]);
      model.eval();
      model.forward(x).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    const pyr = new VisionTransformer({ ...SMALL, patchSize: 16, outputMode: 'pyramid' });
    tf.dispose(pyr.forward(x));
    const mid = tf.memory().numTensors;
    tf.dispose(pyr.forward(x));
    expect(tf.memory().numTensors).toBe(mid);
    pyr.dispose();
    tf.dispose([x, labels]);
    model.dispose();
  });
});

describe('ViT options, layer ids, conversion and configs', () => {
  beforeAll(async () => useBackend('cpu'));

  it('rejects inconsistent options with ConfigErrors', () => {
    const bad: Array<Record<string, unknown>> = [
      { arch: 'vit-huge' },
      { distToken: true, classToken: false },
      { outIndices: [1, 0] },
      { outIndices: [12] },
      { outputMode: 'maps' },
      { outputMode: 'pyramid', patchSize: 14 },
      { pyramidChannels: 256 },
      { frozenStages: 13 },
    ];
    for (const o of bad) expect(() => resolveVitOptions({ ...VIT_DEFAULTS, ...o } as never), JSON.stringify(o)).toThrow(ConfigError);
    // a class-token head on a feature map, and mean pooling with a distillation token
    expect(() => classifier({ outputMode: 'featmap' })).toThrow(/outputMode: 'tokens'/);
    expect(() => classifier({ distToken: true }, { pool: 'mean' })).toThrow(ConfigError);
  });

  it("mean pooling (timm 'avg' + fc_norm) over tokens equals mean pooling over the featmap", () => {
    const tokensModel = classifier({ finalNorm: false }, { pool: 'mean', fcNorm: true });
    const mapModel = classifier({ finalNorm: false, outputMode: 'featmap' }, { pool: 'mean', fcNorm: true });
    mapModel.loadStateDict(tokensModel.stateDict());
    expect([...tokensModel.stateDict().keys()]).toContain('head.fc_norm.weight');
    tokensModel.eval();
    mapModel.eval();
    const x = tf.randomNormal([2, 32, 40, 3]) as tf.Tensor4D;
    expectClose(tokensModel.forward(x), mapModel.forward(x), 1e-5, 'mean-pooled logits');
    x.dispose();
    tokensModel.dispose();
    mapModel.dispose();
  });

  it('layer ids for layer-wise lr decay follow mmpretrain / detectron2', () => {
    const b = new VisionTransformer({ ...SMALL, depth: 3 });
    const id = (n: string): number => b.layerIdOf(n).layerId;
    expect(b.layerIdOf('backbone.cls_token')).toEqual({ layerId: 0, numLayers: 3 });
    expect(id('backbone.pos_embed')).toBe(0);
    expect(id('backbone.patch_embed.proj.weight')).toBe(0);
    expect(id('backbone.blocks.0.attn.qkv.weight')).toBe(1);
    expect(id('backbone.blocks.2.mlp.fc2.bias')).toBe(3);
    expect(id('backbone.norm.weight')).toBe(4);
    expect(id('head.fc.weight')).toBe(4);
    b.dispose();
  });

  it('pos_embed of another grid is resampled on load (a 224 checkpoint into a 384 model)', () => {
    const small = new VisionTransformer({ ...SMALL, imgSize: 32 }); // grid 4x4
    const big = new VisionTransformer({ ...SMALL, imgSize: 48 }); // grid 6x6
    const report = big.loadStateDict(small.stateDict());
    expect(report.adapted).toEqual(['pos_embed']);
    const expected = resamplePosEmbed(small.posEmbed.value, 1, [4, 4], [6, 6]);
    expectClose(big.posEmbed.value, expected, 0, 'resampled pos_embed');
    expected.dispose();
    small.dispose();
    big.dispose();
  });

  it("'vit-timm' conversion: names, module. prefix, unknown keys kept", () => {
    const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const state = new Map([
      ['module.cls_token', t([1, 1, 4])],
      ['module.pos_embed', t([1, 5, 4])],
      ['module.blocks.0.attn.qkv.weight', t([12, 4])],
      ['module.head.weight', t([3, 4])],
      ['module.head_dist.bias', t([3])],
      ['module.fc_norm.weight', t([4])],
      ['module.norm_pre.weight', t([4])],
    ]);
    const { state: out, report } = convertStateDict(state);
    expect(report.layout).toBe('vit-timm');
    expect([...out.keys()]).toEqual([
      'backbone.cls_token',
      'backbone.pos_embed',
      'backbone.blocks.0.attn.qkv.weight',
      'head.fc.weight',
      'head.head_dist.bias',
      'head.fc_norm.weight',
      'module.norm_pre.weight',
    ]);
    expect(report.keptAsIs).toEqual(['module.norm_pre.weight']);
  });

  it.each([
    ['deit_tiny_keys.pth', false],
    ['deit_tiny_distilled_keys.pth', true],
  ])('full DeiT-Ti checkpoint %s fits the deit-tiny_in1k model exactly', async (file, distilled) => {
    const raw = await loadConfig(`${configs}classification/deit-tiny_in1k.ts`);
    const cfg = validateOptions(ROOT_SCHEMA, { model: raw.model }, 'config', '').model as unknown as { backbone: Record<string, unknown> };
    const model = MODELS.build({ ...cfg, backbone: { ...cfg.backbone, distToken: distilled } }, { numClasses: null }, 'model');
    const { state, conversion } = readWeights(`${dir}${file}`);
    expect(conversion?.layout).toBe('vit-timm');
    const own = model.stateDict();
    expect([...own.keys()].filter((k) => !state.has(k))).toEqual([]);
    expect([...state.keys()].filter((k) => !own.has(k))).toEqual([]);
    for (const [k, v] of own) expect(state.get(k)?.shape, k).toEqual(v.shape);
    expect(model.numParameters()).toBe(distilled ? 5_910_800 : 5_717_416);
    model.dispose();
  });

  it('the mini ImageFolder config builds (patch 8 on 64x64: 64 patch tokens + class token)', async () => {
    const model = (await buildConfigModel(`${configs}classification/vit-mini_imagefolder.ts`, 3)) as ImageClassifier;
    const backbone = model.backbone as VisionTransformer;
    expect(model.numParameters()).toBe(216_835);
    expect(backbone.options.posGrid).toEqual([8, 8]);
    expect(backbone.posEmbed.shape).toEqual([1, 65, 64]);
    model.dispose();
  });
});

describe('the ViTDet pyramid plugs into the detection and segmentation models unchanged', () => {
  beforeAll(async () => useBackend(TRAIN_BACKEND));

  const vit = { type: 'VisionTransformer', arch: null, embedDim: 32, depth: 1, numHeads: 2, patchSize: 16, imgSize: 96, outputMode: 'pyramid' };
  it.each([
    ['detection/swin-mini_retinanet_coco.ts', 10],
    ['detection/swin-mini_fcos_coco.ts', 15],
    ['segmentation/swin-mini_upernet_ade.ts', 1],
    ['segmentation/swin-mini_semfpn_ade.ts', 1],
  ])('%s with the Swin backbone replaced by a ViT pyramid', async (file, numOutputs) => {
    const raw = await loadConfig(`${configs}${file}`);
    const cfg = validateOptions(ROOT_SCHEMA, { model: { ...(raw.model as Record<string, unknown>), backbone: vit } }, 'config', '').model;
    const model = MODELS.build(cfg, { numClasses: 3 }, 'model') as Module & { forwardRaw(x: tf.Tensor4D): tf.Tensor[] };
    model.eval();
    const x = tf.randomNormal([1, 80, 72, 3]) as tf.Tensor4D;
    const outs = model.forwardRaw(x);
    expect(outs.length).toBe(numOutputs);
    for (const o of outs) expect(tf.tidy(() => tf.isFinite(o).all().dataSync()[0])).toBe(1);
    tf.dispose([x, ...outs]);
    model.dispose();
  });
});

describe('ViT / DeiT presets have the published parameter counts (1000-class heads)', () => {
  beforeAll(async () => useBackend(TRAIN_BACKEND));

  const presetClassifier = (arch: string, depth: number | null = null): ImageClassifier =>
    classifier({ arch, embedDim: null, depth, numHeads: null, patchSize: 16, imgSize: 224 }, { numClasses: 1000 });

  it('vit-tiny (built in full) has 5,717,416 parameters', () => {
    const model = presetClassifier('vit-tiny');
    expect(model.numParameters()).toBe(5_717_416);
    model.dispose();
  });

  // Building ViT-S/B in full costs ~4 s / ~15 s of JS initialisation here; their 12
  // blocks are identical, so count one block in a depth-1 model built from the preset.
  it.each([
    ['vit-small', 22_050_664],
    ['vit-base', 86_567_656],
  ])('%s (12 identical blocks) has %d parameters', (arch, count) => {
    expect(resolveVitOptions({ ...VIT_DEFAULTS, arch }).depth).toBe(12);
    const model = presetClassifier(arch, 1);
    const backbone = model.backbone as VisionTransformer;
    expect(model.numParameters() + 11 * backbone.blocks.items[0].numParameters()).toBe(count);
    model.dispose();
  });

  it('DeiT-Ti/S/B are ViT-Ti/S/B: same resolved architecture, hence the same counts (5,717,416 / 22,050,664 / 86,567,656)', () => {
    for (const size of ['tiny', 'small', 'base']) {
      const deit = resolveVitOptions({ ...VIT_DEFAULTS, arch: `deit-${size}` });
      const vit = resolveVitOptions({ ...VIT_DEFAULTS, arch: `vit-${size}` });
      expect({ ...deit, arch: null }).toEqual({ ...vit, arch: null });
    }
  });
});

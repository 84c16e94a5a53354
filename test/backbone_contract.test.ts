/**
 * The backbone / neck contract, for EVERY registered backbone and neck (in the spirit of timm's
 * `test_model_forward_features` and mmdetection's backbone tests):
 *
 * - declared outputs (`outputSpecs`: count, names, channels) equal the actual outputs;
 * - strides: every output is `ceil(H / stride) × ceil(W / stride)` for odd input sizes;
 * - in training mode every trainable variable gets a finite gradient;
 * - frozen stages get none (they are not trainable and stay in eval mode);
 * - training steps leak no tensors (after one warm-up step).
 *
 * Configs come from the tables below, keyed by registered name. A newly registered backbone
 * or neck without an entry makes the first test fail: add small configs for it here.
 *
 * Everything runs on wasm, the main backend: the cpu backend is too slow for ResNet-50
 * gradients (seconds per step at 64x80), and the shape part is cheap either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { BACKBONES, NECKS } from '../src/registry/registries.js';
import type { Backbone, FeatureSpec } from '../src/backbones/backbone.js';
import type { Neck } from '../src/necks/neck.js';
import type { ComponentConfig } from '../src/registry/options.js';
import { SWIN_ARCHS } from '../src/backbones/swin/presets.js';
import { useBackend, TRAIN_BACKEND } from './helpers.js';

/** One backbone configuration under test. */
interface BackboneCase {
  /** Test label. */
  label: string;
  /** A small config (small widths/depths where the component allows it). */
  config: ComponentConfig;
  /** Input `[B, H, W]` of the gradient and leak checks. */
  gradInput: [number, number, number];
  /**
   * A variant with frozen stages, and the parameter names it must freeze (exactly): prefixes ending
   * in '.' name frozen modules (which must also stay in eval mode), others single parameters.
   */
  frozen: { config: ComponentConfig; prefixes: string[] };
  /** Set (to the reason) when the neck option sets do not apply to this backbone's outputs. */
  noNecks?: string;
}

/** Small Swin configs: each preset keeps its head counts (head width 4), with a narrow embedding and few blocks. */
const swinCases: BackboneCase[] = (Object.keys(SWIN_ARCHS) as Array<keyof typeof SWIN_ARCHS>).map((arch) => {
  const config = { type: 'SwinTransformer', arch, embedDim: 4 * SWIN_ARCHS[arch].numHeads[0], depths: [1, 2, 1, 1] };
  return {
    label: `Swin ${arch}`,
    config,
    gradInput: [2, 61, 83],
    frozen: { config: { ...config, frozenStages: 1 }, prefixes: ['patch_embed.', 'layers.0.', 'norm0.'] },
  };
});

/** Backbone configs, keyed by registered name. Every name in BACKBONES needs an entry. */
const BACKBONE_CASES: Record<string, BackboneCase[]> = {
  SwinTransformer: swinCases,
  // Narrow (baseChannels 16, a quarter of torchvision's width) with the real block structure;
  // test/resnet.test.ts checks the full-width parameter counts, output specs and parity.
  ResNet: [
    {
      label: 'ResNet-18',
      config: { type: 'ResNet', depth: 18, baseChannels: 16 },
      gradInput: [2, 61, 83],
      frozen: { config: { type: 'ResNet', depth: 18, baseChannels: 8, frozenStages: 1 }, prefixes: ['conv1.', 'bn1.', 'layer1.'] },
    },
    {
      // batch 1 at 64x80 keeps the gradient steps cheap (stage 4 is 2x3: BatchNorm still has > 1 value per channel).
      label: 'ResNet-50',
      config: { type: 'ResNet', depth: 50, baseChannels: 16 },
      gradInput: [1, 64, 80],
      frozen: {
        config: { type: 'ResNet', depth: 50, baseChannels: 8, frozenStages: 2 },
        prefixes: ['conv1.', 'bn1.', 'layer1.', 'layer2.'],
      },
    },
  ],
  VisionTransformer: [
    {
      label: 'ViT pyramid (ViTDet)',
      config: { type: 'VisionTransformer', arch: 'vit-tiny', embedDim: 32, depth: 2, numHeads: 2, outputMode: 'pyramid' },
      gradInput: [2, 61, 83],
      frozen: {
        config: { type: 'VisionTransformer', arch: 'vit-tiny', embedDim: 32, depth: 2, numHeads: 2, outputMode: 'pyramid', frozenStages: 1 },
        prefixes: ['patch_embed.', 'cls_token', 'pos_embed', 'blocks.0.'],
      },
    },
    {
      label: 'ViT featmap',
      config: { type: 'VisionTransformer', arch: 'vit-tiny', embedDim: 32, depth: 2, numHeads: 2, outputMode: 'featmap' },
      gradInput: [2, 61, 83],
      frozen: {
        config: { type: 'VisionTransformer', arch: 'vit-tiny', embedDim: 32, depth: 2, numHeads: 2, frozenStages: 0 },
        prefixes: ['patch_embed.', 'cls_token', 'pos_embed'],
      },
      noNecks: 'one stride-16 map; multi-level necks are covered by the pyramid case',
    },
  ],
  HybridViT: [
    {
      label: 'Hybrid R50+ViT (multiscale)',
      config: { type: 'HybridViT', cnn: { depth: 50, baseChannels: 8 }, vit: { arch: null, embedDim: 32, depth: 2, numHeads: 2 } },
      gradInput: [1, 64, 80],
      frozen: {
        config: { type: 'HybridViT', cnn: { depth: 18, baseChannels: 8, frozenStages: 1 }, vit: { arch: null, embedDim: 16, depth: 1, numHeads: 2 } },
        prefixes: ['cnn.conv1.', 'cnn.bn1.', 'cnn.layer1.'],
      },
    },
  ],
};

/** Neck option sets (without `type`), keyed by registered name. Every name in NECKS needs an entry. */
const NECK_CASES: Record<string, Array<Record<string, unknown>>> = {
  FPN: [
    { outChannels: 16 },
    { outChannels: 16, startLevel: 1, numOuts: 5, addExtraConvs: 'on_input' },
    { outChannels: 8, numOuts: 6, addExtraConvs: 'on_output', reluBeforeExtraConvs: true, normCfg: { type: 'GN', numGroups: 4 }, actCfg: { type: 'ReLU' } },
    { outChannels: 8, numOuts: 5, addExtraConvs: false, upsampleCfg: { mode: 'bilinear' } },
  ],
};

const SHAPE_SIZES: Array<[number, number]> = [
  [112, 137],
  [61, 83],
];

/** Asserts count, names and channels of `outs` against `specs`, and ceil-divided spatial sizes. */
function expectMatchesSpecs(outs: tf.Tensor4D[], specs: readonly FeatureSpec[], batch: number, h: number, w: number, what: string): void {
  expect(outs.length, `${what}: number of outputs`).toBe(specs.length);
  expect(new Set(specs.map((s) => s.name)).size, `${what}: output names are unique`).toBe(specs.length);
  outs.forEach((o, i) => {
    const s = specs[i];
    expect(o.shape, `${what}: output ${i} '${s.name}' (stride ${s.stride}) at ${h}x${w}`).toEqual([batch, Math.ceil(h / s.stride), Math.ceil(w / s.stride), s.channels]);
  });
}

/** Sum of mean squares of the maps (a loss touching every element). */
function featureLoss(maps: tf.Tensor4D[]): tf.Scalar {
  return maps.reduce((acc, f) => acc.add(f.square().mean()), tf.scalar(0)) as tf.Scalar;
}

/**
 * One training step's gradients of `loss` with respect to `vars`: every variable gets a
 * finite gradient. Returns nothing; disposes everything it made.
 */
function checkGradients(loss: () => tf.Scalar, vars: Map<string, tf.Variable>, what: string): void {
  const { value, grads } = tf.variableGrads(loss, [...vars.values()]);
  try {
    expect(Number.isFinite(value.dataSync()[0]), `${what}: finite loss`).toBe(true);
    const missing = [...vars].filter(([, v]) => grads[v.name] === undefined).map(([n]) => n);
    expect(missing, `${what}: trainable variables without a gradient`).toEqual([]);
    const nonFinite = [...vars].filter(([, v]) => tf.tidy(() => tf.isFinite(grads[v.name]).all().dataSync()[0]) !== 1).map(([n]) => n);
    expect(nonFinite, `${what}: variables with non-finite gradients`).toEqual([]);
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/**
 * Gradient check (it doubles as the warm-up step), then two more steps that must not change the
 * number of live tensors.
 */
function checkGradientsAndNoLeak(loss: () => tf.Scalar, vars: Map<string, tf.Variable>, what: string): void {
  checkGradients(loss, vars, what);
  const list = [...vars.values()];
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const { value, grads } = tf.variableGrads(loss, list);
    tf.dispose([value, ...Object.values(grads)]);
  }
  expect(tf.memory().numTensors, `${what}: live tensors after two more steps`).toBe(before);
}

describe('contract tables cover every registered component', () => {
  it('every registered backbone has an entry in BACKBONE_CASES (and no stale entries)', () => {
    for (const name of BACKBONES.names()) {
      expect(BACKBONE_CASES[name]?.length ?? 0, `Backbone '${name}' is registered but has no entry in BACKBONE_CASES of test/backbone_contract.test.ts: add small configs for it`).toBeGreaterThan(0);
    }
    for (const name of Object.keys(BACKBONE_CASES)) expect(BACKBONES.has(name), `BACKBONE_CASES entry '${name}' is not registered`).toBe(true);
  });

  it('every registered neck has an entry in NECK_CASES (and no stale entries)', () => {
    for (const name of NECKS.names()) {
      expect(NECK_CASES[name]?.length ?? 0, `Neck '${name}' is registered but has no entry in NECK_CASES of test/backbone_contract.test.ts: add option sets for it`).toBeGreaterThan(0);
    }
    for (const name of Object.keys(NECK_CASES)) expect(NECKS.has(name), `NECK_CASES entry '${name}' is not registered`).toBe(true);
  });

  it('the Swin presets tiny..large and ResNet-18/50 are covered', () => {
    for (const c of Object.values(BACKBONE_CASES).flat()) if (c.noNecks !== undefined) console.info(`${c.label}: no neck combinations (${c.noNecks})`);
    expect(swinCases.map((c) => c.config.arch)).toEqual(['tiny', 'small', 'base', 'large']);
    expect(BACKBONE_CASES.ResNet.map((c) => c.config.depth)).toEqual([18, 50]);
  });
});

const ALL_CASES = Object.entries(BACKBONE_CASES).flatMap(([name, cases]) => cases.filter(() => BACKBONES.has(name)));
const ALL_NECKS = Object.entries(NECK_CASES).flatMap(([type, sets]) => (NECKS.has(type) ? sets.map((options, i) => ({ label: `${type}#${i}`, config: { type, ...options } as ComponentConfig })) : []));

describe.each(ALL_CASES)('backbone contract on wasm: $label', (c) => {
  let backbone: Backbone;
  beforeAll(async () => {
    await useBackend(TRAIN_BACKEND);
    backbone = BACKBONES.build(c.config, {}, 'backbone');
  });
  afterAll(() => backbone.dispose());

  it('declared outputs (count, names, channels, strides) equal the actual outputs at odd sizes', () => {
    backbone.eval();
    for (const [h, w] of SHAPE_SIZES) {
      const x = tf.randomNormal([1, h, w, 3]) as tf.Tensor4D;
      const outs = backbone.forward(x);
      expectMatchesSpecs(outs, backbone.outputSpecs, 1, h, w, c.label);
      tf.dispose([x, ...outs]);
    }
  });

  it('training: every trainable variable gets a finite gradient; a step leaks no tensors', () => {
    backbone.train();
    const [b, h, w] = c.gradInput;
    const x = tf.randomNormal([b, h, w, 3]) as tf.Tensor4D;
    const vars = backbone.trainableVariables();
    expect(vars.size).toBe(backbone.namedParameters().length); // nothing frozen by default
    const loss = (): tf.Scalar => featureLoss(backbone.forward(x));
    checkGradientsAndNoLeak(loss, vars, c.label);
    x.dispose();
  });

  it('frozen stages: exactly the frozen parameters are excluded from training and stay in eval mode', () => {
    const frozen = BACKBONES.build(c.frozen.config, {}, 'backbone');
    try {
      frozen.train();
      const isFrozen = (n: string): boolean => c.frozen.prefixes.some((p) => n.startsWith(p));
      const names = frozen.namedParameters().map(([n]) => n);
      for (const p of c.frozen.prefixes)
        expect(
          names.some((n) => n.startsWith(p)),
          `${p} has parameters`,
        ).toBe(true);
      const vars = frozen.trainableVariables();
      expect([...vars.keys()].sort()).toEqual(names.filter((n) => !isFrozen(n)).sort());
      for (const p of c.frozen.prefixes.filter((q) => q.endsWith('.'))) {
        expect(frozen.getSubmodule(p.slice(0, -1)).training, `${p} in eval mode`).toBe(false);
      }
      const [b, h, w] = c.gradInput;
      const x = tf.randomNormal([b, h, w, 3]) as tf.Tensor4D;
      checkGradients(() => featureLoss(frozen.forward(x)), vars, `${c.label} (frozen)`);
      x.dispose();
    } finally {
      frozen.dispose();
    }
  });

  describe.each(c.noNecks === undefined ? ALL_NECKS : [])('with neck $label', (n) => {
    let neck: Neck;
    beforeAll(() => {
      neck = NECKS.build(n.config, { inputs: backbone.outputSpecs }, 'neck');
    });
    afterAll(() => neck.dispose());

    it('declared neck outputs equal the actual outputs at odd sizes', () => {
      backbone.eval();
      neck.eval();
      for (const [h, w] of SHAPE_SIZES) {
        const x = tf.randomNormal([1, h, w, 3]) as tf.Tensor4D;
        const feats = backbone.forward(x);
        const outs = neck.forward(feats);
        expectMatchesSpecs(outs, neck.outputSpecs, 1, h, w, `${c.label} + ${n.label}`);
        tf.dispose([x, ...feats, ...outs]);
      }
    });

    it('training backbone + neck: finite gradients everywhere, no leak', () => {
      backbone.train();
      neck.train();
      const [b, h, w] = c.gradInput;
      const x = tf.randomNormal([b, h, w, 3]) as tf.Tensor4D;
      const vars = new Map([...[...backbone.trainableVariables()].map(([k, v]) => [`backbone.${k}`, v] as const), ...[...neck.trainableVariables()].map(([k, v]) => [`neck.${k}`, v] as const)]);
      // Backbone outputs are in the loss too, so that levels the neck skips (startLevel > 0) still
      // train their output norms; every neck variable must be reached through the neck outputs.
      const loss = (): tf.Scalar =>
        tf.tidy(() => {
          const feats = backbone.forward(x);
          return featureLoss(neck.forward(feats)).add(featureLoss(feats)) as tf.Scalar;
        });
      checkGradientsAndNoLeak(loss, vars, `${c.label} + ${n.label}`);
      x.dispose();
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { Module } from '../src/nn/module.js';
import { validateOptions } from '../src/registry/options.js';
import { LOSSES } from '../src/registry/registries.js';
import { BatchNorm2d } from '../src/nn/layers/batch_norm.js';
import { GroupNorm } from '../src/nn/layers/group_norm.js';
import { ConvModule, type ConvModuleOptions } from '../src/nn/layers/conv_module.js';
import { adaptiveAvgPool2d, resizeBilinear, resizeNearest } from '../src/nn/functional/resize.js';
import { FPN, FPN_DEFAULTS, fpnSpec, type FPNOptions } from '../src/necks/fpn.js';
import { DECODE_HEAD_DEFAULTS, type DecodeHeadCommonOptions, type SegLoss } from '../src/heads/segmentation/decode_head.js';
import { UPerHead, uperHeadSpec } from '../src/heads/segmentation/uper_head.js';
import { FCNHead, type FCNHeadExtraOptions } from '../src/heads/segmentation/fcn_head.js';
import { FPNHead } from '../src/heads/segmentation/fpn_head.js';
import { CrossEntropyLoss } from '../src/losses/cross_entropy_loss.js';
import { DiceLoss, diceLossSpec, type DiceLossOptions } from '../src/losses/dice_loss.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/heads/heads.safetensors', import.meta.url).pathname;

const IN_CHANNELS = [8, 12, 16, 20];
const STAGES: FeatureSpec[] = IN_CHANNELS.map((channels, i) => ({ name: `stage${i + 1}`, channels, stride: 4 * 2 ** i }));
const K = 5;

/**
 * Loads `<c>.sd.*` into `module`, first checking that the fixture's (mmdet/mmseg)
 * state-dict names are exactly ours.
 */
function loadCase(module: Module, fx: Map<string, tf.Tensor>, c: string): void {
  const prefix = `${c}.sd.`;
  const theirs = [...fx.keys()]
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length))
    .sort();
  const ours = [...module.stateDict().keys()].sort();
  expect(ours, `${c}: state-dict names`).toEqual(theirs);
  const own = module.stateDict();
  const state = new Map<string, tf.Tensor>();
  for (const k of ours) {
    const t = fixture(fx, prefix + k);
    // fixture_io.py writes 0-d tensors (num_batches_tracked) with shape [1].
    state.set(k, own.get(k)?.rank === 0 && t.size === 1 ? t.reshape([]) : t);
  }
  module.loadStateDict(state);
}

/** A fixture scalar (written with shape [1] by fixture_io.py) as a 0-d tensor. */
const scalar = (fx: Map<string, tf.Tensor>, name: string): tf.Scalar => fixture(fx, name).reshape([]) as tf.Scalar;

const io = (fx: Map<string, tf.Tensor>, c: string, name: string): tf.Tensor => fixture(fx, `${c}.io.${name}`);
const io4 = (fx: Map<string, tf.Tensor>, c: string, name: string): tf.Tensor4D => nhwc(io(fx, c, name));

function common(overrides: Partial<DecodeHeadCommonOptions> & { channels: number }): DecodeHeadCommonOptions {
  const { numClasses: _n, lossDecode: _l, channels: _c, ...rest } = DECODE_HEAD_DEFAULTS;
  return { ...rest, ...overrides };
}

function ce(lossWeight = 1, lossName = 'loss_ce'): CrossEntropyLoss {
  return new CrossEntropyLoss({ lossWeight, labelSmoothing: 0, classWeight: null, lossName });
}

function dice(options: Partial<DiceLossOptions> = {}): DiceLoss {
  return new DiceLoss({ ...diceLossSpec.defaults, ...options });
}

describe.each(TEST_BACKENDS)('FPN, ConvModule, norms and segmentation heads match mmcv/mmdet/mmseg on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  let feats: tf.Tensor4D[];
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
    feats = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `inputs.${i}`)));
  });
  afterAll(() => {
    tf.dispose([...fx.values()]);
    tf.dispose(feats);
  });

  it('BatchNorm2d in eval mode uses the running statistics', () => {
    const bn = new BatchNorm2d(6);
    loadCase(bn, fx, 'bn_eval');
    bn.eval();
    expectClose(bn.forward(io4(fx, 'bn_eval', 'input')), io4(fx, 'bn_eval', 'output'), 1e-4, 'bn eval');
  });

  it('BatchNorm2d in training mode: batch statistics, unbiased running-stat update, num_batches_tracked', () => {
    const bn = new BatchNorm2d(6);
    loadCase(bn, fx, 'bn_train');
    bn.train();
    expectClose(bn.forward(io4(fx, 'bn_train', 'input')), io4(fx, 'bn_train', 'output'), 1e-4, 'bn train output');
    expectClose(bn.runningMean, io(fx, 'bn_train', 'running_mean'), 1e-5, 'running_mean');
    expectClose(bn.runningVar, io(fx, 'bn_train', 'running_var'), 1e-5, 'running_var');
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(io(fx, 'bn_train', 'num_batches_tracked').dataSync()[0]);
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(8);
  });

  it('a frozen BatchNorm2d stays in eval mode under train()', () => {
    const bn = new BatchNorm2d(6);
    loadCase(bn, fx, 'bn_eval');
    bn.freeze();
    bn.train();
    expect(bn.training).toBe(false);
    const before = bn.runningMean.dataSync().slice();
    expectClose(bn.forward(io4(fx, 'bn_eval', 'input')), io4(fx, 'bn_eval', 'output'), 1e-4, 'frozen bn');
    expect(bn.runningMean.dataSync()).toEqual(before);
    expect(bn.trainableVariables().size).toBe(0);
  });

  it('GroupNorm', () => {
    const gn = new GroupNorm(3, 12);
    loadCase(gn, fx, 'gn');
    expectClose(gn.forward(io4(fx, 'gn', 'input')), io4(fx, 'gn', 'output'), 1e-4, 'gn');
  });

  const convCases: Array<[string, number, number, number, ConvModuleOptions]> = [
    ['cm_bn', 6, 10, 3, { stride: 2, padding: 1, normCfg: { type: 'BN' } }],
    ['cm_syncbn', 6, 5, 1, { normCfg: { type: 'SyncBN' } }],
    ['cm_gn', 6, 8, 3, { padding: 2, dilation: 2, normCfg: { type: 'GN', numGroups: 2 } }],
    ['cm_plain', 6, 4, 3, { padding: 1, normCfg: null, actCfg: null }],
  ];
  for (const [c, cin, cout, k, options] of convCases) {
    it(`ConvModule ${c} (names conv.* / bn.* / gn.*, bias 'auto')`, () => {
      const m = new ConvModule(cin, cout, k, options);
      loadCase(m, fx, c);
      m.eval();
      expectClose(m.forward(io4(fx, c, 'input')), io4(fx, c, 'output'), 1e-4, c);
    });
  }

  it('bilinear resize (align_corners false/true; up, down, mixed) and its gradient', () => {
    const x = io4(fx, 'resize', 'input');
    const cases: Array<[string, [number, number], boolean]> = [
      ['up', [15, 23], false],
      ['down', [4, 6], false],
      ['mixed', [5, 17], false],
      ['up_ac', [15, 23], true],
      ['down_ac', [4, 6], true],
    ];
    for (const [tag, size, ac] of cases) {
      expectClose(resizeBilinear(x, size, ac), io4(fx, 'resize', `${tag}.output`), 1e-5, `${tag} forward`);
      const r = io4(fx, 'resize', `${tag}.loss_weight`);
      const dx = tf.grad((input: tf.Tensor) =>
        resizeBilinear(input as tf.Tensor4D, size, ac)
          .mul(r)
          .sum(),
      )(x);
      expectClose(dx, io4(fx, 'resize', `${tag}.grad`), 1e-4, `${tag} gradient`);
    }
  });

  it("nearest resize (PyTorch 'nearest' indices, incl. odd ratios and exact doubling)", () => {
    const x = io4(fx, 'resize', 'input');
    const cases: Array<[string, [number, number]]> = [
      ['nearest_up', [15, 21]],
      ['nearest_odd', [8, 11]],
      ['nearest_down', [4, 6]],
      ['nearest_x2', [14, 20]],
    ];
    for (const [tag, size] of cases) expectClose(resizeNearest(x, size), io4(fx, 'resize', `${tag}.output`), 0, tag);
  });

  it('adaptive average pooling (PyTorch bins, also to a larger size) and its gradient', () => {
    const x = io4(fx, 'pool', 'input');
    const small = io4(fx, 'pool', 'small_input');
    for (const s of [1, 2, 3, 6]) {
      expectClose(adaptiveAvgPool2d(x, s), io4(fx, 'pool', `s${s}.output`), 1e-5, `pool ${s}`);
      expectClose(adaptiveAvgPool2d(small, s), io4(fx, 'pool', `small_s${s}.output`), 1e-5, `pool 2x3 -> ${s}`);
      const r = io4(fx, 'pool', `s${s}.loss_weight`);
      const dx = tf.grad((input: tf.Tensor) =>
        adaptiveAvgPool2d(input as tf.Tensor4D, s)
          .mul(r)
          .sum(),
      )(x);
      expectClose(dx, io4(fx, 'pool', `s${s}.grad`), 1e-5, `pool ${s} gradient`);
    }
    expectClose(adaptiveAvgPool2d(x, [4, 5]), io4(fx, 'pool', 's4x5.output'), 1e-5, 'pool 4x5');
  });

  const fpnCases: Array<[string, Partial<FPNOptions>, string[]]> = [
    ['fpn_maxpool', { numOuts: 5 }, ['p2', 'p3', 'p4', 'p5', 'p6']],
    ['fpn_on_input', { numOuts: 5, startLevel: 1, addExtraConvs: 'on_input' }, ['p3', 'p4', 'p5', 'p6', 'p7']],
    ['fpn_on_output', { numOuts: 5, startLevel: 1, addExtraConvs: 'on_output', reluBeforeExtraConvs: true }, ['p3', 'p4', 'p5', 'p6', 'p7']],
    ['fpn_on_lateral_bn', { numOuts: 6, addExtraConvs: 'on_lateral', normCfg: { type: 'BN' }, actCfg: { type: 'ReLU' }, noNormOnLateral: true }, ['p2', 'p3', 'p4', 'p5', 'p6', 'p7']],
    ['fpn_end_level', { numOuts: 2, startLevel: 1, endLevel: 2, addExtraConvs: true }, ['p3', 'p4']],
  ];
  for (const [c, options, names] of fpnCases) {
    it(`FPN ${c}: outputs, declared specs and mmdet names`, () => {
      const fpn = new FPN(STAGES, { ...FPN_DEFAULTS, outChannels: 8, ...options });
      loadCase(fpn, fx, c);
      fpn.eval();
      expect(fpn.outputSpecs.map((s) => s.name)).toEqual(names);
      expect(fpn.outputSpecs.map((s) => s.stride)).toEqual(names.map((n) => 2 ** Number(n.slice(1))));
      expect(fpn.outputSpecs.every((s) => s.channels === 8)).toBe(true);
      const outs = fpn.forward(feats);
      expect(outs.length).toBe(names.length);
      outs.forEach((o, i) => expectClose(o, io4(fx, c, `out.${i}`), 1e-4, `${c} out ${i}`));
    });
  }

  it('FPN built from its spec with RetinaNet options', () => {
    const options = validateOptions(fpnSpec, { outChannels: 8, startLevel: 1, numOuts: 5, addExtraConvs: 'on_input' }, 'FPN', 'model.neck');
    const fpn = fpnSpec.build(options, { inputs: STAGES }, 'model.neck');
    loadCase(fpn, fx, 'fpn_on_input');
    expect(fpn.outputSpecs.map((s) => `${s.name}@${s.stride}`)).toEqual(['p3@8', 'p4@16', 'p5@32', 'p6@64', 'p7@128']);
    expect(() => fpnSpec.build({ ...options, addExtraConvs: 'on_top' as FPNOptions['addExtraConvs'] }, { inputs: STAGES }, 'model.neck')).toThrow(/on_top/);
    expect(() => validateOptions(fpnSpec, { numOuts: 5 }, 'FPN', 'model.neck')).toThrow(/outChannels/);
    expect(() => fpnSpec.build({ ...options, startLevel: 0, endLevel: 2, numOuts: 5 }, { inputs: STAGES }, 'model.neck')).toThrow(/model\.neck: FPN: .*numOuts must be 3/);
  });

  it('UPerHead (built from its spec; numClasses from the dataset; SyncBN)', () => {
    const options = validateOptions(uperHeadSpec, { channels: 8, normCfg: { type: 'SyncBN' } }, 'UPerHead', 'model.decodeHead');
    const head = uperHeadSpec.build(options, { inputs: STAGES, numClasses: K }, 'model.decodeHead');
    expect(head.numClasses).toBe(K);
    loadCase(head, fx, 'uper');
    head.eval();
    const logits = head.forward(feats);
    expect(logits.shape).toEqual([2, 15, 21, K]);
    expectClose(logits, io4(fx, 'uper', 'logits'), 1e-4, 'uper logits');
  });

  const fcnCases: Array<[string, Partial<DecodeHeadCommonOptions> & { channels: number }, FCNHeadExtraOptions, number[]]> = [
    ['fcn', { channels: 8, inIndex: 2, normCfg: { type: 'BN' } }, { inputTransform: null, numConvs: 2, kernelSize: 3, concatInput: true, dilation: 1 }, [2, 4, 6, K]],
    ['fcn_aux', { channels: 8, inFeatures: 'stage3', normCfg: { type: 'BN' } }, { inputTransform: null, numConvs: 1, kernelSize: 3, concatInput: false, dilation: 2 }, [2, 4, 6, K]],
    [
      'fcn_cat',
      { channels: 56, inIndex: [0, 1, 2, 3], normCfg: { type: 'GN', numGroups: 4 } },
      { inputTransform: 'resize_concat', numConvs: 1, kernelSize: 1, concatInput: false, dilation: 1 },
      [2, 15, 21, K],
    ],
  ];
  for (const [c, shared, extra, shape] of fcnCases) {
    it(`FCNHead ${c}`, () => {
      const head = new FCNHead({ inputs: STAGES, numClasses: K, losses: [ce()] }, { ...common(shared), ...extra });
      loadCase(head, fx, c);
      head.eval();
      const logits = head.forward(feats);
      expect(logits.shape).toEqual(shape);
      expectClose(logits, io4(fx, c, 'logits'), 1e-4, c);
    });
  }

  it('FPNHead on FPN outputs (scale heads with x2 bilinear upsampling, names scale_heads.i.j)', () => {
    const inputs: FeatureSpec[] = [2, 3, 4, 5].map((l) => ({ name: `p${l}`, channels: 8, stride: 2 ** l }));
    const head = new FPNHead({ inputs, numClasses: K, losses: [ce()] }, { ...common({ channels: 6, normCfg: { type: 'BN' } }), featureStrides: null });
    expect(head.featureStrides).toEqual([4, 8, 16, 32]);
    loadCase(head, fx, 'fpnhead');
    head.eval();
    const x = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `fpn_outputs.${i}`)));
    expectClose(head.forward(x), io4(fx, 'fpnhead', 'logits'), 1e-4, 'fpn head logits');
  });

  it('head losses: CE with ignored pixels at label resolution, Dice, names and prefixes', () => {
    const logits = io4(fx, 'uper', 'logits'); // [2, 15, 21, 5], upsampled x4 to the labels
    const labels = io(fx, 'loss', 'labels').cast('int32') as tf.Tensor3D; // [2, 60, 84]
    const make = (losses: SegLoss[]) => new UPerHead({ inputs: STAGES, numClasses: K, losses }, { ...common({ channels: 8 }), poolScales: [1, 2, 3, 6] });
    const terms = make([ce(), dice()]).loss(logits, labels);
    expect(Object.keys(terms).sort()).toEqual(['loss_ce', 'loss_dice']);
    expectClose(terms.loss_ce, scalar(fx, 'loss.io.ce'), 1e-5, 'loss_ce');
    expectClose(terms.loss_dice, scalar(fx, 'loss.io.dice'), 1e-5, 'loss_dice');

    const summed = make([ce(), ce(0.5)]).loss(logits, labels, 'decode.');
    expect(Object.keys(summed)).toEqual(['decode.loss_ce']);
    expectClose(summed['decode.loss_ce'], scalar(fx, 'loss.io.ce').mul(1.5), 1e-5, 'summed loss_ce');

    const weighted = make([dice({ smooth: 0.5, exponent: 3, lossWeight: 3, classWeight: [1, 0.5, 2, 1, 0.25] })]).loss(logits, labels, 'aux.');
    expectClose(weighted['aux.loss_dice'], scalar(fx, 'loss.io.dice_w'), 1e-5, 'weighted dice');
    const ignore0 = dice({ ignoreIndex: 0 }).forward(resizeBilinear(logits, [60, 84]), labels);
    expectClose(ignore0, scalar(fx, 'loss.io.dice_ignore0'), 1e-5, 'dice ignoring class 0');
  });

  it('DiceLoss builds from the losses registry inside a head spec', () => {
    expect(LOSSES.has('DiceLoss')).toBe(true);
    const config = { channels: 8, lossDecode: [{ type: 'CrossEntropyLoss' }, { type: 'DiceLoss', lossWeight: 3 }] };
    const head = uperHeadSpec.build(validateOptions(uperHeadSpec, config, 'UPerHead', 'h'), { inputs: STAGES, numClasses: K }, 'h');
    expect(head.losses.map((l) => l.name)).toEqual(['loss_ce', 'loss_dice']);
    expect(() => uperHeadSpec.build(validateOptions(uperHeadSpec, { channels: 8, inFeatures: 'stage9' }, 'UPerHead', 'h'), { inputs: STAGES, numClasses: K }, 'h')).toThrow(/stage9/);
  });
});

describe.each(TEST_BACKENDS)('FPN + UPerHead training step on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('gradients reach every trainable parameter; no tensor leak over two steps', () => {
    const fpn = new FPN(STAGES, { ...FPN_DEFAULTS, outChannels: 8, normCfg: { type: 'BN' }, actCfg: { type: 'ReLU' } });
    const head = new UPerHead({ inputs: fpn.outputSpecs, numClasses: K, losses: [ce(), dice()] }, { ...common({ channels: 8, normCfg: { type: 'BN' } }), poolScales: [1, 2, 3, 6] });
    const aux = new FCNHead(
      { inputs: fpn.outputSpecs, numClasses: K, losses: [ce(0.4)] },
      { ...common({ channels: 8, inFeatures: 'p4', normCfg: { type: 'BN' } }), inputTransform: null, numConvs: 1, kernelSize: 3, concatInput: false, dilation: 1 },
    );
    fpn.train();
    head.train();
    aux.train();
    const sizes: Array<[number, number]> = [
      [15, 21],
      [8, 11],
      [4, 6],
      [2, 3],
    ];
    const inputs = sizes.map(([h, w], i) => tf.randomNormal([2, h, w, IN_CHANNELS[i]], 0, 1, 'float32', 7 + i) as tf.Tensor4D);
    const labels = tf.tidy(() => {
      const l = tf.randomUniform([2, 60, 84], 0, K, 'int32', 3);
      return l.where(tf.randomUniform([2, 60, 84], 0, 1, 'float32', 4).greater(0.1), tf.fill([2, 60, 84], 255, 'int32')) as tf.Tensor3D;
    });
    const vars: Array<readonly [string, tf.Variable]> = [...fpn.trainableVariables().entries()].map(([n, v]) => [`neck.${n}`, v] as const);
    vars.push(...[...head.trainableVariables().entries()].map(([n, v]) => [`decode_head.${n}`, v] as const));
    vars.push(...[...aux.trainableVariables().entries()].map(([n, v]) => [`auxiliary_head.${n}`, v] as const));
    expect(vars.length).toBeGreaterThan(40);
    const runningBefore = (head.bottleneck.norm as BatchNorm2d).runningMean.dataSync().slice();

    const before = tf.memory().numTensors;
    for (let step = 0; step < 2; step++) {
      const { value, grads } = tf.variableGrads(
        () => {
          const pyramid = fpn.forward(inputs);
          const terms = { ...head.loss(head.forward(pyramid), labels, 'decode.'), ...aux.loss(aux.forward(pyramid), labels, 'aux.') };
          expect(Object.keys(terms).sort()).toEqual(['aux.loss_ce', 'decode.loss_ce', 'decode.loss_dice']);
          return tf.addN(Object.values(terms)) as tf.Scalar;
        },
        vars.map(([, v]) => v),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const [name, v] of vars) {
        const g = grads[v.name];
        expect(g, `gradient of ${name}`).toBeDefined();
        const data = g.dataSync();
        expect(data.every(Number.isFinite), `finite gradient of ${name}`).toBe(true);
        expect(
          data.some((d) => d !== 0),
          `non-zero gradient of ${name}`,
        ).toBe(true);
      }
      value.dispose();
      tf.dispose(grads);
      expect(tf.memory().numTensors, `tensors after step ${step + 1}`).toBe(before);
    }
    expect((head.bottleneck.norm as BatchNorm2d).numBatchesTracked.dataSync()[0]).toBe(2);
    expect((head.bottleneck.norm as BatchNorm2d).runningMean.dataSync()).not.toEqual(runningBefore);
    tf.dispose([...inputs, labels]);
    fpn.dispose();
    head.dispose();
    aux.dispose();
  });
});

/**
 * mmdetection 3.x's `FCOSHead` (mmdet/models/dense_heads/fcos_head.py on top of
 * anchor_free_head.py and base_dense_head.py, read at open-mmlab/mmdetection v3.1.0,
 * mirror eugene123tw/mmdet3.x @ f78af778), over NHWC maps.
 *
 * Targets are computed on the host by `fcosTargets` (src/models/task_modules/assigners); the
 * three losses run over all levels and images at once.
 */
import type { DetectionLoss } from '../../losses/loss.js';
import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { Module, ModuleList, type Parameter } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { ConvModule, parseNormCfg, type NormCfg } from '../../nn/layers/conv_module.js';
import { RANGES, type ComponentConfig, type OptionsSchema } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HeadContext } from '../../registry/registries.js';
import type { LossDict } from '../../structures/loss_dict.js';
import type { DataSample } from '../../structures/data_sample.js';
import type { DetPrediction } from '../../structures/prediction.js';
import { MlvlPointGenerator } from '../../models/task_modules/prior_generators/point_generator.js';
import { DistancePointBBoxCoder } from '../../models/task_modules/coders/distance_point_coder.js';
import { FCOS_INF, centernessTarget, fcosTargets, gatherRows } from '../../models/task_modules/assigners/fcos_targets.js';
import { FocalLoss } from '../../losses/focal_loss.js';
import { GIoULoss } from '../../losses/giou_loss.js';
import { bceWithLogitsElementwise } from '../../losses/bce_with_logits.js';
import { weightReduceLoss } from '../../losses/weight_reduce_loss.js';
import type { LevelPredictions } from '../../structures/bbox/nms.js';
import {
  DENSE_TEST_CFG_SCHEMA,
  DenseHead,
  biasInitWithProb,
  buildDetectionLoss,
  checkTestCfg,
  featmapSizes,
  flattenLevels,
  gtOf,
  initHeadConv,
  resolveStrides,
  sharedHeadInputs,
  withConfigPath,
  type DenseHeadOutputs,
  type DenseTestCfg,
} from './dense_head.js';
import { resolveHeadNumClasses } from '../num_classes.js';

const f32 = Math.fround;

/** mmcv's `Scale`: a learnable scalar multiplier (parameter `scale`, init 1). */
export class Scale extends Module {
  readonly scale: Parameter;

  constructor(init = 1) {
    super();
    this.scale = this.addParameter('scale', tf.scalar(init));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => x.mul(this.scale.value));
  }
}

/** mmdet's `loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)`, camelCase. */
export interface CenternessLossCfg {
  /** Only 'CrossEntropyLoss'. */
  type: string;
  /** Must be true (binary cross-entropy on logits). */
  useSigmoid: boolean;
  /** Multiplier. Default 1. */
  lossWeight: number;
}

/** Options of {@link FCOSHead}'s spec: mmdet's `FCOSHead` arguments in camelCase. */
export interface FCOSHeadOptions {
  /** Foreground classes; null takes the dataset's. Default null. */
  numClasses: number | null;
  /** Channels of the stacked convs. Default 256. */
  featChannels: number;
  /** 3×3 ConvModules per branch. Default 4. */
  stackedConvs: number;
  /** Strides of the levels (FCOS: `[8, 16, 32, 64, 128]`); null takes the input maps'. Default null. */
  strides: number[] | null;
  /** Inclusive range of max(l, t, r, b) per level. Default `[[-1, 64], [64, 128], [128, 256], [256, 512], [512, 1e8]]`. */
  regressRanges: number[][];
  /** Centre sampling. Default false. */
  centerSampling: boolean;
  /** Radius of centre sampling, in strides. Default 1.5. */
  centerSampleRadius: number;
  /** Regress distances divided by the stride (ReLU instead of exp). Default false. */
  normOnBbox: boolean;
  /** Centerness from the regression tower. Default false. */
  centernessOnReg: boolean;
  /** Bias of the stacked convs: 'auto' (only without norm), true or false. Default 'auto'. */
  convBias: boolean | string;
  /** Norm of the stacked convs. Default `{type: 'GN', numGroups: 32, requiresGrad: true}`. */
  normCfg: NormCfg | null;
  /** Classification loss (FocalLoss). */
  lossCls: ComponentConfig;
  /** Box loss on decoded boxes (GIoULoss). */
  lossBbox: ComponentConfig;
  /** Centerness loss: binary cross-entropy on logits. */
  lossCenterness: CenternessLossCfg;
  /** `{type: 'DistancePointBBoxCoder', clipBorder}`. */
  bboxCoder: { type: string; clipBorder: boolean };
  /** Unused by FCOS (mmdet passes none); accepted for config symmetry. Default null. */
  trainCfg: Record<string, unknown> | null;
  /** Test config. */
  testCfg: DenseTestCfg;
}

/** Everything {@link FCOSHead} is built from. */
export interface FCOSHeadInit {
  inputs: readonly FeatureSpec[];
  numClasses: number;
  featChannels: number;
  stackedConvs: number;
  strides: number[];
  regressRanges: Array<[number, number]>;
  centerSampling: boolean;
  centerSampleRadius: number;
  normOnBbox: boolean;
  centernessOnReg: boolean;
  convBias: boolean;
  normCfg: NormCfg | null;
  lossCls: DetectionLoss;
  lossBbox: DetectionLoss;
  centernessLossWeight: number;
  bboxCoder: DistancePointBBoxCoder;
  testCfg: DenseTestCfg;
}

/**
 * FCOS head (mmdet 3.x `FCOSHead`): classification and regression towers of
 * `stackedConvs` 3×3 ConvModules (GN + ReLU by default) shared across levels;
 * `conv_cls` → K logits (bias `−log(99)`), `conv_reg` → 4 distances scaled by the
 * level's learnable `Scale`, then `exp` (or, with `normOnBbox`, clamped at 0 and,
 * at test time, multiplied by the stride); `conv_centerness` → 1 logit, from the
 * classification tower (or the regression tower with `centernessOnReg`).
 *
 * Training (mmdet `FCOSHead.loss_by_feat`): focal loss over all points divided by
 * `max(#pos, 1)`; GIoU between the positives' decoded predictions and targets
 * weighted by the centerness targets and divided by their sum (≥ 1e−6); binary
 * cross-entropy of the positives' centerness divided by `max(#pos, 1)`. With
 * `normOnBbox` the predictions and targets are both in stride units and, as in
 * mmdet, decoded around the points in pixels.
 *
 * Test (mmdet `_predict_by_feat_single`): σ(cls) scores select the candidates,
 * σ(centerness) multiplies them before NMS.
 *
 * State-dict names (mmdet): `cls_convs.{i}.conv.*`/`.gn.*`, `reg_convs.{i}...`,
 * `conv_cls.*`, `conv_reg.*`, `conv_centerness.*`, `scales.{i}.scale`.
 */
export class FCOSHead extends DenseHead {
  readonly inputs: readonly FeatureSpec[];
  readonly numClasses: number;
  readonly testCfg: DenseTestCfg;
  readonly clsConvs: ModuleList<ConvModule>;
  readonly regConvs: ModuleList<ConvModule>;
  readonly convCls: Conv2d;
  readonly convReg: Conv2d;
  readonly convCenterness: Conv2d;
  readonly scales: ModuleList<Scale>;
  readonly strides: number[];
  readonly pointGenerator: MlvlPointGenerator;
  readonly bboxCoder: DistancePointBBoxCoder;
  readonly lossCls: DetectionLoss;
  readonly lossBbox: DetectionLoss;
  private readonly init: FCOSHeadInit;
  private pointCache: { key: string; levels: Float32Array[] } | null = null;

  constructor(init: FCOSHeadInit) {
    super();
    const { inChannels } = sharedHeadInputs(init.inputs, 'FCOSHead', 'FCOSHead');
    if (init.strides.length !== init.inputs.length || init.regressRanges.length !== init.inputs.length) {
      throw new ConfigError(`FCOSHead: ${init.inputs.length} inputs, ${init.strides.length} strides, ${init.regressRanges.length} regress ranges`);
    }
    this.init = init;
    this.inputs = init.inputs;
    this.numClasses = init.numClasses;
    this.testCfg = init.testCfg;
    this.strides = init.strides;
    this.pointGenerator = new MlvlPointGenerator({ strides: init.strides, offset: 0.5 });
    this.bboxCoder = init.bboxCoder;
    this.lossCls = init.lossCls;
    this.lossBbox = init.lossBbox;

    this.clsConvs = this.addModule('cls_convs', new ModuleList<ConvModule>());
    this.regConvs = this.addModule('reg_convs', new ModuleList<ConvModule>());
    for (let i = 0; i < init.stackedConvs; i++) {
      const ch = i === 0 ? inChannels : init.featChannels;
      const opts = { padding: 1, normCfg: init.normCfg, bias: init.convBias };
      this.clsConvs.push(new ConvModule(ch, init.featChannels, 3, opts));
      this.regConvs.push(new ConvModule(ch, init.featChannels, 3, opts));
    }
    const top = init.stackedConvs > 0 ? init.featChannels : inChannels;
    this.convCls = this.addModule('conv_cls', new Conv2d(top, this.numClasses, 3, { padding: 1 }));
    this.convReg = this.addModule('conv_reg', new Conv2d(top, 4, 3, { padding: 1 }));
    this.convCenterness = this.addModule('conv_centerness', new Conv2d(top, 1, 3, { padding: 1 }));
    this.scales = this.addModule('scales', new ModuleList<Scale>(init.strides.map(() => new Scale(1))));
    for (const m of [...this.clsConvs.items, ...this.regConvs.items]) initHeadConv(m.conv);
    initHeadConv(this.convCls, biasInitWithProb(0.01));
    initHeadConv(this.convReg);
    initHeadConv(this.convCenterness);
  }

  /**
   * One level: logits `[B, H, W, K]`, distances `[B, H, W, 4]` (pixels, or strides in
   * training with `normOnBbox`), centerness logits `[B, H, W, 1]`.
   */
  forwardSingle(x: tf.Tensor4D, level: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      let c = x;
      let r = x;
      for (const conv of this.clsConvs.items) c = conv.forward(c);
      for (const conv of this.regConvs.items) r = conv.forward(r);
      const cls = this.convCls.forward(c);
      const centerness = this.convCenterness.forward(this.init.centernessOnReg ? r : c);
      let reg = this.scales.items[level].forward(this.convReg.forward(r));
      if (this.init.normOnBbox) {
        // torch's clamp(min=0): the gradient passes where the value equals 0 (tf.maximum does the same).
        reg = tf.maximum(reg, 0);
        if (!this.training) reg = reg.mul(this.strides[level]);
      } else {
        reg = reg.exp();
      }
      return [cls, reg, centerness];
    });
  }

  forward(features: tf.Tensor4D[]): DenseHeadOutputs {
    this.checkFeatures(features);
    const cls: tf.Tensor4D[] = [];
    const reg: tf.Tensor4D[] = [];
    const centerness: tf.Tensor4D[] = [];
    features.forEach((f, l) => {
      const [c, r, ctr] = this.forwardSingle(f, l);
      cls.push(c);
      reg.push(r);
      centerness.push(ctr);
    });
    return { cls, reg, centerness };
  }

  /** Points of every level for these feature-map sizes (cached). */
  points(sizes: ReadonlyArray<readonly [number, number]>): Float32Array[] {
    const key = sizes.map(([h, w]) => `${h}x${w}`).join(',');
    if (this.pointCache?.key !== key) this.pointCache = { key, levels: this.pointGenerator.gridPointsAll(sizes) };
    return this.pointCache.levels;
  }

  /** `loss_cls`, `loss_bbox`, `loss_centerness` as mmdet 3.x's `FCOSHead.loss_by_feat`. */
  loss(features: tf.Tensor4D[], samples: readonly DataSample[]): LossDict {
    return tf.tidy(() => {
      const { cls, reg, centerness } = this.forward(features);
      const ctrMaps = centerness as tf.Tensor4D[];
      const levels = this.points(featmapSizes(cls));
      const n = levels.reduce((a, p) => a + p.length / 2, 0);
      const numImgs = samples.length;
      const labels = new Int32Array(numImgs * n);
      const posInds: number[] = [];
      const posTargets: Float32Array[] = [];
      const posPoints: Float32Array[] = [];
      const allPoints = new Float32Array(n * 2);
      let off = 0;
      for (const p of levels) {
        allPoints.set(p, off);
        off += p.length;
      }
      const { init } = this;
      for (let b = 0; b < numImgs; b++) {
        const t = fcosTargets(levels, gtOf(samples[b]), {
          numClasses: this.numClasses,
          strides: this.strides,
          regressRanges: init.regressRanges,
          centerSampling: init.centerSampling,
          centerSampleRadius: init.centerSampleRadius,
          normOnBbox: init.normOnBbox,
        });
        labels.set(t.labels, b * n);
        for (const i of t.posInds) posInds.push(b * n + i);
        posTargets.push(gatherRows(t.bboxTargets, t.posInds, 4));
        posPoints.push(gatherRows(allPoints, t.posInds, 2));
      }
      const p = posInds.length;
      const numPos = Math.max(p, 1);
      const k = this.numClasses;
      const logits = flattenLevels(cls, k).reshape([-1, k]) as tf.Tensor2D;
      const lossCls = this.lossCls.forward(logits, tf.tensor1d(labels, 'int32'), { avgFactor: numPos }) as tf.Scalar;
      const dists = flattenLevels(reg, 4).reshape([-1, 4]) as tf.Tensor2D;
      const ctr = flattenLevels(ctrMaps, 1).reshape([-1]) as tf.Tensor1D;
      if (p === 0) {
        return { loss_cls: lossCls, loss_bbox: dists.sum().mul(0) as tf.Scalar, loss_centerness: ctr.sum().mul(0) as tf.Scalar };
      }
      const targets = concat32(posTargets); // [P·4]
      const points = concat32(posPoints); // [P·2]
      const ctrTargets = centernessTarget(targets); // [P]
      let ctrSum = 0;
      for (const v of ctrTargets) ctrSum = f32(ctrSum + v);
      const denorm = Math.max(ctrSum, 1e-6);
      const idx = tf.tensor1d(posInds, 'int32');
      const posDists = tf.gather(dists, idx) as tf.Tensor2D; // [P, 4]
      const posCtr = tf.gather(ctr, idx) as tf.Tensor1D; // [P]
      const decodedPred = this.bboxCoder.decode(tf.tensor2d(points, [p, 2]), posDists); // no clipping, as mmdet
      const decodedTarget = new Float32Array(p * 4);
      for (let i = 0; i < p; i++) {
        const x = points[2 * i];
        const y = points[2 * i + 1];
        decodedTarget[4 * i] = f32(x - targets[4 * i]);
        decodedTarget[4 * i + 1] = f32(y - targets[4 * i + 1]);
        decodedTarget[4 * i + 2] = f32(x + targets[4 * i + 2]);
        decodedTarget[4 * i + 3] = f32(y + targets[4 * i + 3]);
      }
      const ctrT = tf.tensor1d(ctrTargets);
      const lossBbox = this.lossBbox.forward(decodedPred, tf.tensor2d(decodedTarget, [p, 4]), { weight: ctrT, avgFactor: denorm }) as tf.Scalar;
      const lossCenterness = weightReduceLoss(bceWithLogitsElementwise(posCtr, ctrT), null, 'mean', numPos).mul(init.centernessLossWeight) as tf.Scalar;
      return { loss_cls: lossCls, loss_bbox: lossBbox, loss_centerness: lossCenterness };
    });
  }

  async predict(features: tf.Tensor4D[], samples: readonly DataSample[]): Promise<DetPrediction[]> {
    const k = this.numClasses;
    const sizes = featmapSizes(features);
    const [scoresT, distsT, ctrT] = tf.tidy(() => {
      const { cls, reg, centerness } = this.forward(features);
      return [tf.sigmoid(flattenLevels(cls, k)), flattenLevels(reg, 4), tf.sigmoid(flattenLevels(centerness as tf.Tensor4D[], 1))];
    });
    let data: Float32Array[];
    try {
      data = (await Promise.all([scoresT.data(), distsT.data(), ctrT.data()])) as Float32Array[];
    } finally {
      tf.dispose([scoresT, distsT, ctrT]);
    }
    const [scores, dists, ctr] = data;
    const levels = this.points(sizes);
    const counts = levels.map((l) => l.length / 2);
    const n = counts.reduce((a, c) => a + c, 0);
    return samples.map((sample, b) => {
      let off = b * n;
      const perLevel: LevelPredictions[] = levels.map((priors, l) => {
        const c = counts[l];
        const level: LevelPredictions = {
          scores: scores.subarray(off * k, (off + c) * k),
          bboxPreds: dists.subarray(off * 4, (off + c) * 4),
          priors,
          scoreFactors: ctr.subarray(off, off + c),
        };
        off += c;
        return level;
      });
      const imgShape = sample.imgShape;
      return this.postprocess(perLevel, (p, d) => this.bboxCoder.decodeHost(p, d, imgShape), sample);
    });
  }
}

function concat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const FCOS_RANGES: number[][] = [
  [-1, 64],
  [64, 128],
  [128, 256],
  [256, 512],
  [512, FCOS_INF],
];

/** Registry entry of {@link FCOSHead}. */
export const fcosHeadSpec: ComponentSpec<FCOSHeadOptions, FCOSHead, HeadContext> = {
  name: 'FCOSHead',
  description: 'FCOS anchor-free dense head (mmdet 3.x): points, regress ranges, focal + GIoU + centerness losses',
  defaults: {
    numClasses: null,
    featChannels: 256,
    stackedConvs: 4,
    strides: null,
    regressRanges: FCOS_RANGES,
    centerSampling: false,
    centerSampleRadius: 1.5,
    normOnBbox: false,
    centernessOnReg: false,
    convBias: 'auto',
    normCfg: { type: 'GN', numGroups: 32, requiresGrad: true },
    lossCls: { type: 'FocalLoss', useSigmoid: true, gamma: 2, alpha: 0.25, lossWeight: 1 },
    lossBbox: { type: 'GIoULoss', lossWeight: 1 },
    lossCenterness: { type: 'CrossEntropyLoss', useSigmoid: true, lossWeight: 1 },
    bboxCoder: { type: 'DistancePointBBoxCoder', clipBorder: true },
    trainCfg: null,
    testCfg: DENSE_TEST_CFG_SCHEMA.defaults,
  },
  kinds: {
    numClasses: ['number', 'null'],
    strides: ['array', 'null'],
    convBias: ['boolean', 'string'],
    normCfg: ['object', 'null'],
    trainCfg: ['object', 'null'],
  },
  ranges: { numClasses: RANGES.positiveInt, featChannels: RANGES.positiveInt, stackedConvs: RANGES.nonNegativeInt, strides: RANGES.positiveInt, centerSampleRadius: RANGES.positive },
  children: { lossCls: { registry: 'losses' }, lossBbox: { registry: 'losses' } },
  sections: {
    lossCenterness: { defaults: { type: 'CrossEntropyLoss', useSigmoid: true, lossWeight: 1 } } as OptionsSchema<object>,
    bboxCoder: { defaults: { type: 'DistancePointBBoxCoder', clipBorder: true } } as OptionsSchema<object>,
    testCfg: DENSE_TEST_CFG_SCHEMA as OptionsSchema<object>,
  },
  docs: {
    numClasses: 'foreground classes (null: from the dataset)',
    featChannels: 'channels of the stacked convs',
    stackedConvs: 'stacked 3x3 ConvModules per branch',
    strides: "strides of the levels (null: the input maps')",
    regressRanges: 'inclusive [lo, hi] of max(l, t, r, b) per level',
    centerSampling: 'only points near a box centre are positives',
    centerSampleRadius: 'radius of centre sampling, in strides',
    normOnBbox: 'regress distances in stride units (ReLU instead of exp)',
    centernessOnReg: 'centerness from the regression tower',
    convBias: "bias of the stacked convs: 'auto' (only without norm) | true | false",
    normCfg: "norm of the stacked convs (default {type: 'GN', numGroups: 32}) or null",
    lossCls: "classification loss ({type: 'FocalLoss', ...})",
    lossBbox: "box loss on decoded boxes ({type: 'GIoULoss', ...})",
    lossCenterness: "{type: 'CrossEntropyLoss', useSigmoid: true, lossWeight}",
    bboxCoder: "{type: 'DistancePointBBoxCoder', clipBorder}",
    trainCfg: 'unused by FCOS (null)',
    testCfg: "{nmsPre, minBboxSize, scoreThr, nms: {type: 'nms', iouThreshold}, maxPerImg}",
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    if (!Number.isInteger(options.stackedConvs) || options.stackedConvs < 0) throw new ConfigError(`${path}.stackedConvs: expected an integer >= 0`);
    if (!Number.isInteger(options.featChannels) || options.featChannels < 1) throw new ConfigError(`${path}.featChannels: expected a positive integer`);
    sharedHeadInputs(context.inputs, 'FCOSHead', path);
    const strides = resolveStrides(options.strides, context.inputs, `${path}.strides`);
    const ranges = options.regressRanges;
    if (ranges.length !== strides.length || ranges.some((r) => !Array.isArray(r) || r.length !== 2 || r.some((v) => typeof v !== 'number'))) {
      throw new ConfigError(`${path}.regressRanges: expected ${strides.length} pairs [lo, hi], one per level`);
    }
    const ce = options.lossCenterness;
    if (ce.type !== 'CrossEntropyLoss' || ce.useSigmoid !== true) {
      throw new ConfigError(`${path}.lossCenterness: only {type: 'CrossEntropyLoss', useSigmoid: true} is supported`);
    }
    if (options.bboxCoder.type !== 'DistancePointBBoxCoder') throw new ConfigError(`${path}.bboxCoder.type: only 'DistancePointBBoxCoder' is supported`);
    const normCfg = parseNormCfg(options.normCfg, `${path}.normCfg`);
    let convBias: boolean;
    if (options.convBias === 'auto') convBias = normCfg === null;
    else if (typeof options.convBias === 'boolean') convBias = options.convBias;
    else throw new ConfigError(`${path}.convBias: expected 'auto', true or false, got '${options.convBias}'`);
    return withConfigPath(
      path,
      () =>
        new FCOSHead({
          inputs: context.inputs,
          numClasses,
          featChannels: options.featChannels,
          stackedConvs: options.stackedConvs,
          strides,
          regressRanges: ranges.map((r) => [r[0], r[1]] as [number, number]),
          centerSampling: options.centerSampling,
          centerSampleRadius: options.centerSampleRadius,
          normOnBbox: options.normOnBbox,
          centernessOnReg: options.centernessOnReg,
          convBias,
          normCfg,
          lossCls: buildDetectionLoss(options.lossCls, `${path}.lossCls`, 'sigmoid-labels', 'FCOSHead.lossCls'),
          lossBbox: buildDetectionLoss(options.lossBbox, `${path}.lossBbox`, 'boxes-xyxy', 'FCOSHead.lossBbox'),
          centernessLossWeight: ce.lossWeight,
          bboxCoder: new DistancePointBBoxCoder({ clipBorder: options.bboxCoder.clipBorder }),
          testCfg: checkTestCfg(options.testCfg, `${path}.testCfg`),
        }),
    );
  },
};

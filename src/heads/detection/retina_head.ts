/**
 * mmdetection 3.x's `RetinaHead` (mmdet/models/dense_heads/retina_head.py on top of
 * anchor_head.py and base_dense_head.py, read at open-mmlab/mmdetection v3.1.0,
 * mirror eugene123tw/mmdet3.x @ f78af778), over NHWC maps, on the shared
 * {@link DenseHead} base (dense_head.ts).
 *
 * Target assignment runs on the host with the building blocks of
 * src/models/task_modules (AnchorGenerator, MaxIoUAssigner, DeltaXYWHBBoxCoder);
 * the losses are one op chain over all levels and images at once.
 */
import type { DetectionLoss } from '../../losses/loss.js';
import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { ModuleList } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { ConvModule, parseNormCfg, type NormCfg } from '../../nn/layers/conv_module.js';
import { RANGES, type ComponentConfig, type OptionsSchema } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HeadContext } from '../../registry/registries.js';
import type { LossDict } from '../../structures/loss_dict.js';
import type { DataSample } from '../../structures/data_sample.js';
import type { DetPrediction } from '../../structures/prediction.js';
import { AnchorGenerator, type AnchorGeneratorOptions } from '../../models/task_modules/prior_generators/anchor_generator.js';
import { DeltaXYWHBBoxCoder, type Quad } from '../../models/task_modules/coders/delta_xywh_coder.js';
import { MaxIoUAssigner, RETINANET_ASSIGNER_OPTIONS } from '../../models/task_modules/assigners/max_iou_assigner.js';
import { FocalLoss } from '../../losses/focal_loss.js';
import { L1Loss, SmoothL1Loss } from '../../losses/smooth_l1_loss.js';
import type { LevelPredictions } from '../../structures/bbox/nms.js';
import { resolveHeadNumClasses } from '../num_classes.js';
import {
  DENSE_TEST_CFG_SCHEMA,
  DenseHead,
  biasInitWithProb,
  buildDetectionLoss,
  clsRegPerLevel,
  checkTestCfg,
  featmapSizes,
  flattenLevels,
  gtOf,
  initHeadConv,
  resolveStrides,
  sharedHeadInputs,
  withConfigPath,
  concatArrays,
  type DenseHeadOutputs,
  type DenseTestCfg,
} from './dense_head.js';

// ----------------------------------------------------------------------------- RetinaHead options

/** mmdet's `anchor_generator` dict, camelCase. */
export interface AnchorGeneratorCfg {
  /** Only 'AnchorGenerator'. */
  type: string;
  /** Strides of the levels (RetinaNet: `[8, 16, 32, 64, 128]`); null takes the input maps' strides. Default null. */
  strides: number[] | null;
  /** Height/width ratios. Default `[0.5, 1, 2]`. */
  ratios: number[];
  /** Explicit scales (then leave the octave settings null). Default null. */
  scales: number[] | null;
  /** Base size per level (null: the strides). Default null. */
  baseSizes: number[] | null;
  /** Scale-major base anchor order. Default true. */
  scaleMajor: boolean;
  /** Octave base scale; null (with `scales` null) means RetinaNet's 4. Default null. */
  octaveBaseScale: number | null;
  /** Scales per octave; null (with `scales` null) means RetinaNet's 3. Default null. */
  scalesPerOctave: number | null;
  /** Centre offset of the base anchors. Default 0. */
  centerOffset: number;
}

/** mmdet's `bbox_coder=dict(type='DeltaXYWHBBoxCoder', ...)`, camelCase. */
export interface DeltaCoderCfg {
  /** Only 'DeltaXYWHBBoxCoder'. */
  type: string;
  targetMeans: number[];
  targetStds: number[];
  clipBorder: boolean;
  addCtrClamp: boolean;
  ctrClamp: number;
}

/** mmdet's RetinaNet `train_cfg`, camelCase. */
export interface RetinaTrainCfg {
  /** `{type: 'MaxIoUAssigner', posIouThr, negIouThr, minPosIou, gtMaxAssignAll, ignoreIofThr, ignoreWrtCandidates, matchLowQuality}`. */
  assigner: {
    type: string;
    posIouThr: number;
    negIouThr: number | number[];
    minPosIou: number;
    gtMaxAssignAll: boolean;
    ignoreIofThr: number;
    ignoreWrtCandidates: boolean;
    matchLowQuality: boolean;
  };
  /** Only `{type: 'PseudoSampler'}` (focal loss uses every prior). */
  sampler: { type: string };
  /** Anchors further than this outside the (unpadded) image are not trained; −1 disables the check. Default −1. */
  allowedBorder: number;
  /** Classification weight of positives (≤ 0: 1). Default −1. */
  posWeight: number;
  /** Unused (mmdet's debug flag). Default false. */
  debug: boolean;
}

const ANCHOR_GENERATOR_SCHEMA: OptionsSchema<AnchorGeneratorCfg> = {
  defaults: {
    type: 'AnchorGenerator',
    strides: null,
    ratios: [0.5, 1, 2],
    scales: null,
    baseSizes: null,
    scaleMajor: true,
    octaveBaseScale: null,
    scalesPerOctave: null,
    centerOffset: 0,
  },
  kinds: {
    strides: ['array', 'null'],
    scales: ['array', 'null'],
    baseSizes: ['array', 'null'],
    octaveBaseScale: ['number', 'null'],
    scalesPerOctave: ['number', 'null'],
  },
};

const DELTA_CODER_SCHEMA: OptionsSchema<DeltaCoderCfg> = {
  defaults: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [1, 1, 1, 1], clipBorder: true, addCtrClamp: false, ctrClamp: 32 },
};

/** RetinaNet's assigner config (mmdet's retinanet_r50_fpn train_cfg.assigner). */
const RETINA_ASSIGNER_DEFAULTS = { type: 'MaxIoUAssigner', ...RETINANET_ASSIGNER_OPTIONS };

const RETINA_TRAIN_CFG_SCHEMA: OptionsSchema<RetinaTrainCfg> = {
  defaults: {
    assigner: RETINA_ASSIGNER_DEFAULTS,
    sampler: { type: 'PseudoSampler' },
    allowedBorder: -1,
    posWeight: -1,
    debug: false,
  },
  sections: {
    assigner: {
      defaults: RETINA_ASSIGNER_DEFAULTS,
      kinds: { negIouThr: ['number', 'array'] },
    } as OptionsSchema<object>,
    sampler: { defaults: { type: 'PseudoSampler' } } as OptionsSchema<object>,
  },
};

/** Options of {@link RetinaHead}'s spec: mmdet's `RetinaHead` arguments in camelCase. */
export interface RetinaHeadOptions {
  /** Foreground classes; null takes the dataset's. Default null. */
  numClasses: number | null;
  /** Channels of the stacked convs. Default 256. */
  featChannels: number;
  /** 3×3 convs (with ReLU) per branch before the predictors. Default 4. */
  stackedConvs: number;
  /** Norm of the stacked convs (e.g. GN), or null. Default null. */
  normCfg: NormCfg | null;
  /** Anchors. Default RetinaNet's (octave 4, 3 scales, ratios 0.5/1/2, strides 8–128). */
  anchorGenerator: AnchorGeneratorCfg;
  /** Box coder. Default DeltaXYWHBBoxCoder, means 0, stds 1. */
  bboxCoder: DeltaCoderCfg;
  /** Classification loss (FocalLoss). */
  lossCls: ComponentConfig;
  /** Regression loss on the deltas (L1Loss, mmdet 3.x's default; or SmoothL1Loss). */
  lossBbox: ComponentConfig;
  /** Training config (assigner ...). */
  trainCfg: RetinaTrainCfg;
  /** Test config. */
  testCfg: DenseTestCfg;
}

/** Everything {@link RetinaHead} is built from. */
export interface RetinaHeadInit {
  inputs: readonly FeatureSpec[];
  numClasses: number;
  featChannels: number;
  stackedConvs: number;
  normCfg: NormCfg | null;
  anchorGenerator: AnchorGenerator;
  bboxCoder: DeltaXYWHBBoxCoder;
  lossCls: DetectionLoss;
  lossBbox: DetectionLoss;
  assigner: MaxIoUAssigner;
  allowedBorder: number;
  posWeight: number;
  testCfg: DenseTestCfg;
}

/** Host-side targets of a batch (mmdet's `get_targets` with PseudoSampler). */
export interface RetinaTargets {
  /** `[B·N]` class per anchor (numClasses = background), image-major. */
  labels: Int32Array;
  /** `[B·N]` classification weight: 1 for positives and negatives, 0 for ignored or invalid anchors. */
  labelWeights: Float32Array;
  /** `[P]` indices (into B·N) of the positives. */
  posInds: Int32Array;
  /** `[P·4]` encoded regression targets of the positives. */
  posTargets: Float32Array;
  /** Σ over images of max(#positives, 1) (mmdet's avg_factor). */
  avgFactor: number;
}

// ----------------------------------------------------------------------------- RetinaHead

/**
 * RetinaNet's head (mmdet 3.x `RetinaHead`): two towers of `stackedConvs` 3×3
 * ConvModules (ReLU, optional norm) shared across levels, `retina_cls` → A·K logits
 * (bias `−log(99)`) and `retina_reg` → A·4 deltas.
 *
 * Training (mmdet `AnchorHead.loss_by_feat`): anchors of every level; per image the
 * anchors on cells inside its own padded shape are valid (and, with `allowedBorder ≥ 0`,
 * inside the unpadded image); MaxIoUAssigner; PseudoSampler; focal loss over
 * positives and negatives and the box loss over positives, both divided by
 * `avg_factor = Σ_images max(#pos, 1)`.
 *
 * State-dict names (mmdet): `cls_convs.{i}.conv.*`, `reg_convs.{i}.conv.*` (+ `.gn.*`),
 * `retina_cls.*`, `retina_reg.*`.
 */
export class RetinaHead extends DenseHead {
  readonly inputs: readonly FeatureSpec[];
  readonly numClasses: number;
  readonly testCfg: DenseTestCfg;
  readonly clsConvs: ModuleList<ConvModule>;
  readonly regConvs: ModuleList<ConvModule>;
  readonly retinaCls: Conv2d;
  readonly retinaReg: Conv2d;
  readonly anchorGenerator: AnchorGenerator;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly lossCls: DetectionLoss;
  readonly lossBbox: DetectionLoss;
  readonly assigner: MaxIoUAssigner;
  /** Base anchors per location (A). */
  readonly numBasePriors: number;
  private readonly allowedBorder: number;
  private readonly posWeight: number;
  private anchorCache: { key: string; levels: Float32Array[] } | null = null;

  constructor(init: RetinaHeadInit) {
    super();
    const { inChannels } = sharedHeadInputs(init.inputs, 'RetinaHead', 'RetinaHead');
    this.inputs = init.inputs;
    this.numClasses = init.numClasses;
    this.testCfg = init.testCfg;
    this.anchorGenerator = init.anchorGenerator;
    this.bboxCoder = init.bboxCoder;
    this.lossCls = init.lossCls;
    this.lossBbox = init.lossBbox;
    this.assigner = init.assigner;
    this.allowedBorder = init.allowedBorder;
    this.posWeight = init.posWeight;
    const numBase = new Set(this.anchorGenerator.numBaseAnchors);
    if (numBase.size !== 1) throw new ConfigError('RetinaHead: every level needs the same number of base anchors');
    this.numBasePriors = this.anchorGenerator.numBaseAnchors[0];
    if (this.anchorGenerator.numLevels !== init.inputs.length) {
      throw new ConfigError(`RetinaHead: ${this.anchorGenerator.numLevels} anchor levels for ${init.inputs.length} input maps`);
    }

    this.clsConvs = this.addModule('cls_convs', new ModuleList<ConvModule>());
    this.regConvs = this.addModule('reg_convs', new ModuleList<ConvModule>());
    let ch = inChannels;
    for (let i = 0; i < init.stackedConvs; i++) {
      this.clsConvs.push(new ConvModule(ch, init.featChannels, 3, { padding: 1, normCfg: init.normCfg }));
      this.regConvs.push(new ConvModule(ch, init.featChannels, 3, { padding: 1, normCfg: init.normCfg }));
      ch = init.featChannels;
    }
    this.retinaCls = this.addModule('retina_cls', new Conv2d(ch, this.numBasePriors * this.numClasses, 3, { padding: 1 }));
    this.retinaReg = this.addModule('retina_reg', new Conv2d(ch, this.numBasePriors * 4, 3, { padding: 1 }));
    for (const m of [...this.clsConvs.items, ...this.regConvs.items]) initHeadConv(m.conv);
    initHeadConv(this.retinaCls, biasInitWithProb(0.01));
    initHeadConv(this.retinaReg);
  }

  /** One level: `[B, H, W, C]` → logits `[B, H, W, A·K]` and deltas `[B, H, W, A·4]`. */
  forwardSingle(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      let c = x;
      let r = x;
      for (const conv of this.clsConvs.items) c = conv.forward(c);
      for (const conv of this.regConvs.items) r = conv.forward(r);
      return [this.retinaCls.forward(c), this.retinaReg.forward(r)];
    });
  }

  forward(features: tf.Tensor4D[]): DenseHeadOutputs {
    this.checkFeatures(features);
    return clsRegPerLevel(features, (f) => this.forwardSingle(f));
  }

  /** Anchors of every level for these feature-map sizes (cached). */
  anchors(sizes: ReadonlyArray<readonly [number, number]>): Float32Array[] {
    const key = sizes.map(([h, w]) => `${h}x${w}`).join(',');
    if (this.anchorCache?.key !== key) this.anchorCache = { key, levels: this.anchorGenerator.gridAnchorsAll(sizes) };
    return this.anchorCache.levels;
  }

  /**
   * mmdet's `get_targets` (PseudoSampler, `unmap_outputs=True`) on the host.
   * @param sizes feature-map sizes of the levels.
   */
  getTargets(sizes: ReadonlyArray<readonly [number, number]>, samples: readonly DataSample[]): RetinaTargets {
    const levels = this.anchors(sizes);
    const anchors = concatArrays(levels, (n) => new Float32Array(n));
    const n = anchors.length / 4;
    const numImgs = samples.length;
    const labels = new Int32Array(numImgs * n).fill(this.numClasses);
    const labelWeights = new Float32Array(numImgs * n);
    const posInds: number[] = [];
    const posPriors: number[] = [];
    const posGts: number[] = [];
    let avgFactor = 0;
    const posWeight = this.posWeight <= 0 ? 1 : this.posWeight;
    for (let b = 0; b < numImgs; b++) {
      const s = samples[b];
      const padShape = s.padShape ?? s.imgShape;
      const valid = concatArrays(this.anchorGenerator.validFlagsAll(sizes, padShape), (k) => new Uint8Array(k));
      const inside: number[] = [];
      const [ih, iw] = s.imgShape;
      const border = this.allowedBorder;
      for (let j = 0; j < n; j++) {
        if (valid[j] !== 1) continue;
        if (border >= 0 && !(anchors[4 * j] >= -border && anchors[4 * j + 1] >= -border && anchors[4 * j + 2] < iw + border && anchors[4 * j + 3] < ih + border)) {
          continue;
        }
        inside.push(j);
      }
      if (inside.length === 0) {
        throw new Error(
          `RetinaHead: no valid anchor inside the image ${s.imgPath || `#${b}`} (imgShape ${s.imgShape.join('x')}); ` + 'check the image size and anchor sizes, or set trainCfg.allowedBorder to -1',
        );
      }
      const priors = new Float32Array(inside.length * 4);
      inside.forEach((j, k) => priors.set(anchors.subarray(4 * j, 4 * j + 4), 4 * k));
      const gt = gtOf(s);
      const assign = this.assigner.assign(priors, gt, s.gtIgnoreBboxes !== undefined && s.gtIgnoreBboxes.length > 0 ? s.gtIgnoreBboxes : null);
      let numPos = 0;
      for (let k = 0; k < inside.length; k++) {
        const g = assign.gtInds[k];
        const idx = b * n + inside[k];
        if (g > 0) {
          numPos++;
          labels[idx] = assign.labels[k];
          labelWeights[idx] = posWeight;
          posInds.push(idx);
          for (let c = 0; c < 4; c++) {
            posPriors.push(priors[4 * k + c]);
            posGts.push(gt.bboxes[4 * (g - 1) + c]);
          }
        } else if (g === 0) {
          labelWeights[idx] = 1;
        }
      }
      avgFactor += Math.max(numPos, 1);
    }
    const posTargets = this.bboxCoder.encode(Float32Array.from(posPriors), Float32Array.from(posGts));
    return { labels, labelWeights, posInds: Int32Array.from(posInds), posTargets, avgFactor };
  }

  /** `loss_cls` (focal) and `loss_bbox` (L1 on the deltas), both averaged by mmdet's avg_factor. */
  loss(features: tf.Tensor4D[], samples: readonly DataSample[]): LossDict {
    return tf.tidy(() => {
      const { cls, reg } = this.forward(features);
      const targets = this.getTargets(featmapSizes(cls), samples);
      const k = this.numClasses;
      const logits = flattenLevels(cls, k).reshape([-1, k]) as tf.Tensor2D; // [B·N, K]
      const lossCls = this.lossCls.forward(logits, tf.tensor1d(targets.labels, 'int32'), {
        weight: tf.tensor1d(targets.labelWeights),
        avgFactor: targets.avgFactor,
      }) as tf.Scalar;
      const deltas = flattenLevels(reg, 4).reshape([-1, 4]) as tf.Tensor2D; // [B·N, 4]
      const p = targets.posInds.length;
      let lossBbox: tf.Scalar;
      if (p === 0) {
        lossBbox = deltas.sum().mul(0) as tf.Scalar;
      } else {
        const pred = tf.gather(deltas, tf.tensor1d(targets.posInds, 'int32')); // [P, 4]
        lossBbox = this.lossBbox.forward(pred, tf.tensor2d(targets.posTargets, [p, 4]), { avgFactor: targets.avgFactor }) as tf.Scalar;
      }
      return { loss_cls: lossCls, loss_bbox: lossBbox };
    });
  }

  async predict(features: tf.Tensor4D[], samples: readonly DataSample[]): Promise<DetPrediction[]> {
    const k = this.numClasses;
    const sizes = featmapSizes(features);
    const [scoresT, deltasT] = tf.tidy(() => {
      const { cls, reg } = this.forward(features);
      return [tf.sigmoid(flattenLevels(cls, k)), flattenLevels(reg, 4)];
    });
    let scores: Float32Array;
    let deltas: Float32Array;
    try {
      [scores, deltas] = (await Promise.all([scoresT.data(), deltasT.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([scoresT, deltasT]);
    }
    const levels = this.anchors(sizes);
    const counts = levels.map((l) => l.length / 4);
    const n = counts.reduce((a, c) => a + c, 0);
    return samples.map((sample, b) => {
      let off = b * n;
      const perLevel: LevelPredictions[] = levels.map((priors, l) => {
        const c = counts[l];
        const level = { scores: scores.subarray(off * k, (off + c) * k), bboxPreds: deltas.subarray(off * 4, (off + c) * 4), priors };
        off += c;
        return level;
      });
      const imgShape = sample.imgShape;
      return this.postprocess(perLevel, (p, d) => this.bboxCoder.decodeHost(p, d, imgShape), sample);
    });
  }
}

/** Resolves the anchor generator section. */
export function buildAnchorGenerator(cfg: AnchorGeneratorCfg, inputs: readonly FeatureSpec[], path: string): AnchorGenerator {
  if (cfg.type !== 'AnchorGenerator') throw new ConfigError(`${path}.type: only 'AnchorGenerator' is supported, got '${cfg.type}'`);
  const strides = resolveStrides(cfg.strides, inputs, `${path}.strides`);
  const options: Partial<AnchorGeneratorOptions> = {
    strides,
    ratios: cfg.ratios,
    baseSizes: cfg.baseSizes,
    scaleMajor: cfg.scaleMajor,
    centerOffset: cfg.centerOffset,
  };
  if (cfg.scales !== null) {
    options.scales = cfg.scales;
    if (cfg.octaveBaseScale !== null || cfg.scalesPerOctave !== null) {
      throw new ConfigError(`${path}: give either scales or octaveBaseScale with scalesPerOctave (set those to null), not both`);
    }
  } else {
    options.octaveBaseScale = cfg.octaveBaseScale ?? 4;
    options.scalesPerOctave = cfg.scalesPerOctave ?? 3;
  }
  return withConfigPath(path, () => new AnchorGenerator(options));
}

function quad(v: number[], path: string): Quad {
  if (v.length !== 4 || v.some((x) => typeof x !== 'number')) throw new ConfigError(`${path}: expected 4 numbers`);
  return [v[0], v[1], v[2], v[3]];
}

/** Registry entry of {@link RetinaHead}. */
export const retinaHeadSpec: ComponentSpec<RetinaHeadOptions, RetinaHead, HeadContext> = {
  name: 'RetinaHead',
  description: 'RetinaNet dense head (mmdet 3.x): anchors, MaxIoUAssigner, focal + L1 losses, class-aware NMS',
  defaults: {
    numClasses: null,
    featChannels: 256,
    stackedConvs: 4,
    normCfg: null,
    anchorGenerator: ANCHOR_GENERATOR_SCHEMA.defaults,
    bboxCoder: DELTA_CODER_SCHEMA.defaults,
    lossCls: { type: 'FocalLoss', useSigmoid: true, gamma: 2, alpha: 0.25, lossWeight: 1 },
    lossBbox: { type: 'L1Loss', lossWeight: 1 },
    trainCfg: RETINA_TRAIN_CFG_SCHEMA.defaults,
    testCfg: DENSE_TEST_CFG_SCHEMA.defaults,
  },
  kinds: { numClasses: ['number', 'null'], normCfg: ['object', 'null'] },
  ranges: { numClasses: RANGES.positiveInt, featChannels: RANGES.positiveInt, stackedConvs: RANGES.nonNegativeInt },
  children: { lossCls: { registry: 'losses' }, lossBbox: { registry: 'losses' } },
  sections: {
    anchorGenerator: ANCHOR_GENERATOR_SCHEMA as OptionsSchema<object>,
    bboxCoder: DELTA_CODER_SCHEMA as OptionsSchema<object>,
    trainCfg: RETINA_TRAIN_CFG_SCHEMA as OptionsSchema<object>,
    testCfg: DENSE_TEST_CFG_SCHEMA as OptionsSchema<object>,
  },
  docs: {
    numClasses: 'foreground classes (null: from the dataset)',
    featChannels: 'channels of the stacked convs',
    stackedConvs: 'stacked 3x3 convs per branch',
    normCfg: "norm of the stacked convs, e.g. {type: 'GN', numGroups: 32}, or null",
    anchorGenerator: "{type: 'AnchorGenerator', strides (null: the inputs'), ratios, scales | octaveBaseScale + scalesPerOctave, baseSizes, scaleMajor, centerOffset}",
    bboxCoder: "{type: 'DeltaXYWHBBoxCoder', targetMeans, targetStds, clipBorder, addCtrClamp, ctrClamp}",
    lossCls: "classification loss ({type: 'FocalLoss', ...})",
    lossBbox: "delta regression loss ({type: 'L1Loss'} or {type: 'SmoothL1Loss', beta})",
    trainCfg: "{assigner: {type: 'MaxIoUAssigner', posIouThr, negIouThr, minPosIou, ignoreIofThr, ...}, sampler: {type: 'PseudoSampler'}, allowedBorder, posWeight}",
    testCfg: "{nmsPre, minBboxSize, scoreThr, nms: {type: 'nms', iouThreshold}, maxPerImg}",
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    if (!Number.isInteger(options.stackedConvs) || options.stackedConvs < 0) throw new ConfigError(`${path}.stackedConvs: expected an integer >= 0`);
    if (!Number.isInteger(options.featChannels) || options.featChannels < 1) throw new ConfigError(`${path}.featChannels: expected a positive integer`);
    sharedHeadInputs(context.inputs, 'RetinaHead', path);
    const coderCfg = options.bboxCoder;
    if (coderCfg.type !== 'DeltaXYWHBBoxCoder') throw new ConfigError(`${path}.bboxCoder.type: only 'DeltaXYWHBBoxCoder' is supported`);
    const { assigner, sampler } = options.trainCfg;
    if (assigner.type !== 'MaxIoUAssigner') throw new ConfigError(`${path}.trainCfg.assigner.type: only 'MaxIoUAssigner' is supported`);
    if (sampler.type !== 'PseudoSampler') throw new ConfigError(`${path}.trainCfg.sampler.type: only 'PseudoSampler' is supported`);
    const negIouThr = assigner.negIouThr;
    if (Array.isArray(negIouThr) && negIouThr.length !== 2) throw new ConfigError(`${path}.trainCfg.assigner.negIouThr: a number or [lo, hi]`);
    return withConfigPath(
      path,
      () =>
        new RetinaHead({
          inputs: context.inputs,
          numClasses,
          featChannels: options.featChannels,
          stackedConvs: options.stackedConvs,
          normCfg: parseNormCfg(options.normCfg, `${path}.normCfg`),
          anchorGenerator: buildAnchorGenerator(options.anchorGenerator, context.inputs, `${path}.anchorGenerator`),
          bboxCoder: new DeltaXYWHBBoxCoder({
            targetMeans: quad(coderCfg.targetMeans, `${path}.bboxCoder.targetMeans`),
            targetStds: quad(coderCfg.targetStds, `${path}.bboxCoder.targetStds`),
            clipBorder: coderCfg.clipBorder,
            addCtrClamp: coderCfg.addCtrClamp,
            ctrClamp: coderCfg.ctrClamp,
          }),
          lossCls: buildDetectionLoss(options.lossCls, `${path}.lossCls`, 'sigmoid-labels', 'RetinaHead.lossCls'),
          lossBbox: buildDetectionLoss(options.lossBbox, `${path}.lossBbox`, 'box-deltas', 'RetinaHead.lossBbox'),
          assigner: new MaxIoUAssigner({
            posIouThr: assigner.posIouThr,
            negIouThr: Array.isArray(negIouThr) ? [negIouThr[0], negIouThr[1]] : negIouThr,
            minPosIou: assigner.minPosIou,
            gtMaxAssignAll: assigner.gtMaxAssignAll,
            ignoreIofThr: assigner.ignoreIofThr,
            ignoreWrtCandidates: assigner.ignoreWrtCandidates,
            matchLowQuality: assigner.matchLowQuality,
          }),
          allowedBorder: options.trainCfg.allowedBorder,
          posWeight: options.trainCfg.posWeight,
          testCfg: checkTestCfg(options.testCfg, `${path}.testCfg`),
        }),
    );
  },
};

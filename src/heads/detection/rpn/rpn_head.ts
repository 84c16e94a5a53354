/**
 * The region proposal network of two-stage detectors: mmdetection 3.x's `RPNHead`
 * (mmdet/models/dense_heads/rpn_head.py on anchor_head.py) with the option to follow
 * torchvision 0.14's `RegionProposalNetwork` (torchvision/models/detection/rpn.py) instead.
 *
 * Network (shared over the FPN levels, NHWC): a 3×3 conv (in → featChannels) + ReLU, then two 1×1
 * convs: `rpn_cls` → A objectness logits (sigmoid, one per anchor) and `rpn_reg` → A·4 deltas
 * (channel `a·4 + c`), A = ratios × scales anchors per location.
 *
 * Training (mmdet `AnchorHead.loss_by_feat` with sampling): every anchor of the level grids (mmdet:
 * those on cells inside the image's padded shape), `MaxIoUAssigner` (pos ≥ 0.7, neg < 0.3, low-quality
 * matches ≥ 0.3), `RandomSampler` (256 per image, ≤ 50 % positive), binary cross-entropy over the
 * sampled anchors and the box loss over the sampled positives, both divided by the number of sampled
 * anchors of the batch (mmdet's `avg_factor`; torchvision's mean over `sampled_inds`). mmdet's box loss
 * is `L1Loss`, torchvision's smooth L1 with β = 1/9 (`{type: 'SmoothL1Loss', beta: 1/9}`).
 *
 * torchvision's `Matcher` differs from mmdet's assigner in its low-quality matches: an anchor that is
 * some gt's best keeps its *own* best gt (mmdet gives it that gt, the later gt winning), with no minimum
 * IoU (mmdet: `minPosIou` 0.3): `trainCfg.assigner.lowQualityRule: 'torchvision'`.
 * Not reproduced from torchvision: its targets are encoded with centre `x1 + w/2` (ours `(x1 + x2)/2`,
 * a float32 rounding apart); its sampler draws with `torch.randperm` (ours: the seeded model generator).
 *
 * State-dict names (mmdet): `rpn_conv.*`, `rpn_cls.*`, `rpn_reg.*`; torchvision's `rpn.head.conv.0.0.*`,
 * `rpn.head.cls_logits.*`, `rpn.head.bbox_pred.*` convert to them (src/checkpoint/convert).
 */
import type { DetectionLoss } from '../../../losses/loss.js';
import { tf } from '../../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../../core/errors.js';
import { globalRng } from '../../../core/rng.js';
import type { FeatureSpec } from '../../../backbones/backbone.js';
import { Module } from '../../../nn/module.js';
import { Conv2d } from '../../../nn/layers/conv2d.js';
import type { ComponentConfig, OptionsSchema } from '../../../registry/options.js';
import type { ComponentSpec } from '../../../registry/registry.js';
import type { HeadContext } from '../../../registry/registries.js';
import type { LossDict } from '../../../structures/loss_dict.js';
import type { DataSample } from '../../../structures/data_sample.js';
import { AnchorGenerator } from '../../../models/task_modules/prior_generators/anchor_generator.js';
import { DeltaXYWHBBoxCoder } from '../../../models/task_modules/coders/delta_xywh_coder.js';
import { MaxIoUAssigner, RPN_ASSIGNER_OPTIONS } from '../../../models/task_modules/assigners/max_iou_assigner.js';
import { RandomSampler, RPN_SAMPLER_OPTIONS } from '../../../models/task_modules/samplers/random_sampler.js';
import { BCEWithLogitsLoss } from '../../../losses/bce_with_logits.js';
import { L1Loss, SmoothL1Loss } from '../../../losses/smooth_l1_loss.js';
import { buildDetectionLoss, clsRegPerLevel, concatArrays, featmapSizes, flattenLevels, gtOf, initHeadConv, sharedHeadInputs, withConfigPath } from '../dense_head.js';
import { buildAnchorGenerator, type AnchorGeneratorCfg, type DeltaCoderCfg } from '../retina_head.js';
import { MMDET_RPN_TEST_CFG, MMDET_RPN_TRAIN_PROPOSAL_CFG, generateProposals, type ProposalCfg, type ProposalLevel, type ProposalStyle, type Proposals } from './rpn_proposals.js';
import type { ProposalHead, RPNOutputs } from './proposal_head.js';

export type { RPNOutputs } from './proposal_head.js';

/** Host-side training targets of a batch (all levels, image-major: index `b·N + anchor`). */
export interface RPNTargets {
  /** `[B·N]` 1 for sampled positives, 0 elsewhere. */
  labels: Float32Array;
  /** `[B·N]` 1 for sampled positives and negatives, 0 elsewhere. */
  labelWeights: Float32Array;
  /** `[P]` indices of the sampled positives. */
  posInds: Int32Array;
  /** `[P·4]` encoded deltas of the positives' gt boxes. */
  posTargets: Float32Array;
  /** Number of sampled anchors of the batch (positives + negatives). */
  avgFactor: number;
}

/** mmdet's RPN `train_cfg.rpn`, camelCase. */
export interface RPNTrainCfg {
  /** `{type: 'MaxIoUAssigner', ...}`. Default pos 0.7, neg 0.3, minPosIou 0.3, low-quality matches, gtMaxAssignAll. */
  assigner: {
    type: string;
    posIouThr: number;
    negIouThr: number;
    minPosIou: number;
    gtMaxAssignAll: boolean;
    ignoreIofThr: number;
    ignoreWrtCandidates: boolean;
    matchLowQuality: boolean;
    /** 'mmdet' or 'torchvision' (its `Matcher`: a prior keeps its own best gt, no minPosIou). Default 'mmdet'. */
    lowQualityRule: 'mmdet' | 'torchvision';
  };
  /** `{type: 'RandomSampler', num, posFraction, negPosUb, addGtAsProposals}`. Default 256, 0.5, −1, false. */
  sampler: { type: string; num: number; posFraction: number; negPosUb: number; addGtAsProposals: boolean };
  /** Anchors further than this outside the unpadded image are not trained; −1 disables the check. Default −1. */
  allowedBorder: number;
  /** Classification weight of positives (≤ 0: 1). Default −1. */
  posWeight: number;
}

/** Options of {@link RPNHead}'s spec: mmdet's `RPNHead` arguments in camelCase, plus `style`. */
export interface RPNHeadOptions {
  /** Channels of the 3×3 conv. Default 256 (torchvision: the input channels). */
  featChannels: number;
  /** Anchors. Default mmdet's RPN: scales [8], ratios [0.5, 1, 2], strides of the inputs (4–64). */
  anchorGenerator: AnchorGeneratorCfg & { roundBaseAnchors: boolean };
  /** Box coder (style 'mmdet'). Default means 0, stds 1. */
  bboxCoder: DeltaCoderCfg;
  /** Objectness loss. Default `{type: 'BCEWithLogitsLoss', lossWeight: 1}`. */
  lossCls: ComponentConfig;
  /** Box loss on the deltas. Default `{type: 'L1Loss'}` (torchvision: `{type: 'SmoothL1Loss', beta: 1/9}`). */
  lossBbox: ComponentConfig;
  /** Assigner and sampler. */
  trainCfg: RPNTrainCfg;
  /** Proposals during training (mmdet `train_cfg.rpn_proposal`). Default nmsPre 2000, maxPerImg 1000, NMS 0.7. */
  proposalCfg: ProposalCfg;
  /** Proposals at test time (mmdet `test_cfg.rpn`). Default nmsPre 1000, maxPerImg 1000, NMS 0.7. */
  testCfg: ProposalCfg;
  /** Decoding / filtering rules of the proposals: 'mmdet' or 'torchvision' (see rpn_proposals.ts). Default 'mmdet'. */
  style: ProposalStyle;
}

/** Everything {@link RPNHead} is built from. */
export interface RPNHeadInit {
  inputs: readonly FeatureSpec[];
  featChannels: number;
  anchorGenerator: AnchorGenerator;
  bboxCoder: DeltaXYWHBBoxCoder;
  lossCls: DetectionLoss;
  lossBbox: DetectionLoss;
  assigner: MaxIoUAssigner;
  sampler: RandomSampler;
  allowedBorder: number;
  posWeight: number;
  proposalCfg: ProposalCfg;
  testCfg: ProposalCfg;
  style: ProposalStyle;
}

/** The first stage of a two-stage detector: objectness and deltas per anchor, proposals per image. */
export class RPNHead extends Module implements ProposalHead {
  /** Discriminates region proposal heads among the `HEADS` registry's components. */
  readonly headKind = 'rpn' as const;
  readonly inputs: readonly FeatureSpec[];
  readonly rpnConv: Conv2d;
  readonly rpnCls: Conv2d;
  readonly rpnReg: Conv2d;
  readonly anchorGenerator: AnchorGenerator;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly lossCls: DetectionLoss;
  readonly lossBbox: DetectionLoss;
  readonly assigner: MaxIoUAssigner;
  readonly sampler: RandomSampler;
  readonly proposalCfg: ProposalCfg;
  readonly testCfg: ProposalCfg;
  readonly style: ProposalStyle;
  /** Anchors per location (A). */
  readonly numBasePriors: number;
  private readonly allowedBorder: number;
  private readonly posWeight: number;
  private anchorCache: { key: string; levels: Float32Array[] } | null = null;

  constructor(init: RPNHeadInit) {
    super();
    const { inChannels } = sharedHeadInputs(init.inputs, 'RPNHead', 'RPNHead');
    this.inputs = init.inputs;
    this.anchorGenerator = init.anchorGenerator;
    this.bboxCoder = init.bboxCoder;
    this.lossCls = init.lossCls;
    this.lossBbox = init.lossBbox;
    this.assigner = init.assigner;
    this.sampler = init.sampler;
    this.allowedBorder = init.allowedBorder;
    this.posWeight = init.posWeight;
    this.proposalCfg = init.proposalCfg;
    this.testCfg = init.testCfg;
    this.style = init.style;
    const numBase = new Set(this.anchorGenerator.numBaseAnchors);
    if (numBase.size !== 1) throw new ConfigError('RPNHead: every level needs the same number of base anchors');
    this.numBasePriors = this.anchorGenerator.numBaseAnchors[0];
    if (this.anchorGenerator.numLevels !== init.inputs.length) {
      throw new ConfigError(`RPNHead: ${this.anchorGenerator.numLevels} anchor levels for ${init.inputs.length} input maps`);
    }
    this.rpnConv = this.addModule('rpn_conv', new Conv2d(inChannels, init.featChannels, 3, { padding: 1 }));
    this.rpnCls = this.addModule('rpn_cls', new Conv2d(init.featChannels, this.numBasePriors, 1));
    this.rpnReg = this.addModule('rpn_reg', new Conv2d(init.featChannels, this.numBasePriors * 4, 1));
    for (const conv of [this.rpnConv, this.rpnCls, this.rpnReg]) initHeadConv(conv);
  }

  /** One level: `[B, H, W, C]` → logits `[B, H, W, A]` and deltas `[B, H, W, A·4]`. */
  forwardSingle(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      const h = tf.relu(this.rpnConv.forward(x));
      return [this.rpnCls.forward(h), this.rpnReg.forward(h)];
    });
  }

  /** All levels. */
  forward(features: tf.Tensor4D[]): RPNOutputs {
    this.checkFeatures(features);
    return clsRegPerLevel(features, (f) => this.forwardSingle(f));
  }

  /**
   * Anchors of every level for these feature-map sizes (cached). Style 'torchvision' shifts level l
   * by torchvision's strides `padded size // feature size` per axis (the padded size being the first
   * level's map times its stride), which differ from the configured ones where the padded size is not
   * a multiple of the coarsest stride (e.g. P6 of an 800-pixel side: 800 // 13 = 61, not 64).
   */
  anchors(sizes: ReadonlyArray<readonly [number, number]>): Float32Array[] {
    const key = sizes.map(([h, w]) => `${h}x${w}`).join(',');
    if (this.anchorCache?.key !== key) {
      let levels: Float32Array[];
      if (this.style === 'torchvision' && sizes.length > 0) {
        if (sizes.length !== this.anchorGenerator.numLevels) throw new ShapeError(`RPNHead: ${sizes.length} feature maps for ${this.anchorGenerator.numLevels} anchor levels`);
        const s0 = this.anchorGenerator.options.strides[0];
        const [padH, padW] = [sizes[0][0] * s0, sizes[0][1] * s0];
        levels = sizes.map(([h, w], l) => this.anchorGenerator.gridAnchors(l, h, w, [Math.floor(padH / h), Math.floor(padW / w)]));
      } else {
        levels = this.anchorGenerator.gridAnchorsAll(sizes);
      }
      this.anchorCache = { key, levels };
    }
    return this.anchorCache.levels;
  }

  /**
   * Assignment and sampling on the host (mmdet `AnchorHead.get_targets`, `unmap_outputs=True`).
   * @param sizes feature-map sizes of the levels.
   */
  getTargets(sizes: ReadonlyArray<readonly [number, number]>, samples: readonly DataSample[]): RPNTargets {
    const anchors = concatArrays(this.anchors(sizes), (n) => new Float32Array(n));
    const n = anchors.length / 4;
    const labels = new Float32Array(samples.length * n);
    const labelWeights = new Float32Array(samples.length * n);
    const posInds: number[] = [];
    const posPriors: number[] = [];
    const posGts: number[] = [];
    let avgFactor = 0;
    const posWeight = this.posWeight <= 0 ? 1 : this.posWeight;
    samples.forEach((s, b) => {
      const inside = this.trainableAnchors(anchors, sizes, s, b);
      const priors = new Float32Array(inside.length * 4);
      inside.forEach((j, k) => priors.set(anchors.subarray(4 * j, 4 * j + 4), 4 * k));
      const gt = gtOf(s);
      const ignore = s.gtIgnoreBboxes !== undefined && s.gtIgnoreBboxes.length > 0 ? s.gtIgnoreBboxes : null;
      const assign = this.assigner.assign(priors, gt, ignore);
      const sampled = this.sampler.sample(assign, priors, gt);
      for (const k of sampled.posInds) {
        const idx = b * n + inside[k];
        labels[idx] = 1;
        labelWeights[idx] = posWeight;
        posInds.push(idx);
        for (let c = 0; c < 4; c++) posPriors.push(priors[4 * k + c]);
      }
      for (let p = 0; p < sampled.posGtBboxes.length; p++) posGts.push(sampled.posGtBboxes[p]);
      for (const k of sampled.negInds) labelWeights[b * n + inside[k]] = 1;
      avgFactor += sampled.posInds.length + sampled.negInds.length;
    });
    const posTargets = this.bboxCoder.encode(Float32Array.from(posPriors), Float32Array.from(posGts));
    return { labels, labelWeights, posInds: Int32Array.from(posInds), posTargets, avgFactor };
  }

  /** Indices (into all anchors) of the anchors trained for image `b`. */
  private trainableAnchors(anchors: Float32Array, sizes: ReadonlyArray<readonly [number, number]>, s: DataSample, b: number): number[] {
    const n = anchors.length / 4;
    const valid = concatArrays(this.anchorGenerator.validFlagsAll(sizes, s.padShape ?? s.imgShape), (k) => new Uint8Array(k));
    const [ih, iw] = s.imgShape;
    const border = this.allowedBorder;
    const inside: number[] = [];
    for (let j = 0; j < n; j++) {
      // torchvision trains every anchor of the padded batch; mmdet only those on cells of the image's padded shape.
      if (this.style === 'mmdet' && valid[j] !== 1) continue;
      if (border >= 0 && !(anchors[4 * j] >= -border && anchors[4 * j + 1] >= -border && anchors[4 * j + 2] < iw + border && anchors[4 * j + 3] < ih + border)) {
        continue;
      }
      inside.push(j);
    }
    if (inside.length === 0) {
      throw new Error(
        `RPNHead: no valid anchor inside the image ${s.imgPath || `#${b}`} (imgShape ${s.imgShape.join('x')}); ` + 'check the image size and anchor sizes, or set trainCfg.allowedBorder to -1',
      );
    }
    return inside;
  }

  /**
   * `loss_rpn_cls` and `loss_rpn_bbox` of raw outputs for given targets (both divided by
   * `targets.avgFactor`).
   */
  lossFromTargets(outputs: RPNOutputs, targets: RPNTargets): LossDict {
    return tf.tidy(() => {
      const logits = flattenLevels(outputs.cls, 1).reshape([-1]); // [B·N]
      if (logits.shape[0] !== targets.labels.length) {
        throw new ShapeError(`RPNHead: ${logits.shape[0]} anchors in the outputs but ${targets.labels.length} targets`);
      }
      const avgFactor = Math.max(targets.avgFactor, 1);
      const lossCls = this.lossCls.forward(logits, tf.tensor1d(targets.labels), { weight: tf.tensor1d(targets.labelWeights), avgFactor }) as tf.Scalar;
      const deltas = flattenLevels(outputs.reg, 4).reshape([-1, 4]) as tf.Tensor2D; // [B·N, 4]
      const p = targets.posInds.length;
      let lossBbox: tf.Scalar;
      if (p === 0) {
        lossBbox = deltas.sum().mul(0) as tf.Scalar;
      } else {
        const pred = tf.gather(deltas, tf.tensor1d(targets.posInds, 'int32')); // [P, 4]
        lossBbox = this.lossBbox.forward(pred, tf.tensor2d(targets.posTargets, [p, 4]), { avgFactor }) as tf.Scalar;
      }
      return { loss_rpn_cls: lossCls, loss_rpn_bbox: lossBbox };
    });
  }

  /** Training losses of a batch (samples need `gtInstances`). */
  loss(features: tf.Tensor4D[], samples: readonly DataSample[]): LossDict {
    return this.lossAndProposals(features, samples, false).losses;
  }

  /**
   * mmdet's `loss_and_predict`: the losses and, with `withProposals`, the training proposals
   * ({@link proposalCfg}) from the same forward pass.
   */
  lossAndProposals(features: tf.Tensor4D[], samples: readonly DataSample[], withProposals = true): { losses: LossDict; proposals: Proposals[] } {
    let proposals: Proposals[] = [];
    const losses = tf.tidy(() => {
      const outputs = this.forward(features);
      const targets = this.getTargets(featmapSizes(outputs.cls), samples);
      if (withProposals) proposals = this.proposalsFromOutputs(outputs, samples, this.proposalCfg);
      return this.lossFromTargets(outputs, targets);
    });
    return { losses, proposals };
  }

  /** Test-time proposals ({@link testCfg}) per sample, in the network input's frame (not rescaled). */
  predictProposals(features: tf.Tensor4D[], samples: readonly DataSample[]): Proposals[] {
    let proposals: Proposals[] = [];
    tf.tidy(() => {
      proposals = this.proposalsFromOutputs(this.forward(features), samples, this.testCfg);
    });
    return proposals;
  }

  /** Proposals from raw outputs (downloads them; does not dispose them). */
  proposalsFromOutputs(outputs: RPNOutputs, samples: readonly DataSample[], cfg: ProposalCfg): Proposals[] {
    const [logitsT, deltasT] = tf.tidy(() => [flattenLevels(outputs.cls, 1), flattenLevels(outputs.reg, 4)]);
    let logits: Float32Array;
    let deltas: Float32Array;
    try {
      logits = logitsT.dataSync() as Float32Array;
      deltas = deltasT.dataSync() as Float32Array;
    } finally {
      tf.dispose([logitsT, deltasT]);
    }
    const levels = this.anchors(featmapSizes(outputs.cls));
    const counts = levels.map((l) => l.length / 4);
    const n = counts.reduce((a, c) => a + c, 0);
    if (samples.length * n !== logits.length) {
      throw new ShapeError(`RPNHead: ${samples.length} samples for outputs of ${logits.length / n} images`);
    }
    return samples.map((s, b) => {
      let off = b * n;
      const perLevel: ProposalLevel[] = levels.map((anchors, l) => {
        const c = counts[l];
        const level = { logits: logits.subarray(off, off + c), deltas: deltas.subarray(4 * off, 4 * (off + c)), anchors };
        off += c;
        return level;
      });
      return generateProposals(perLevel, s.imgShape, cfg, this.style, this.bboxCoder);
    });
  }

  /** Checks that the inputs match this head (count, channels). */
  private checkFeatures(features: readonly tf.Tensor4D[]): void {
    if (features.length !== this.inputs.length) {
      throw new ShapeError(`RPNHead: expected ${this.inputs.length} feature maps (${this.inputs.map((s) => s.name).join(', ')}), got ${features.length}`);
    }
    features.forEach((f, i) => {
      if (f.rank !== 4 || f.shape[3] !== this.inputs[i].channels) {
        throw new ShapeError(`RPNHead: input ${this.inputs[i].name} should be NHWC with ${this.inputs[i].channels} channels, got ${formatShape(f.shape)}`);
      }
    });
  }
}

// ----------------------------------------------------------------------------- spec

const RPN_ANCHOR_DEFAULTS = {
  type: 'AnchorGenerator',
  strides: null,
  ratios: [0.5, 1, 2],
  scales: [8],
  baseSizes: null,
  scaleMajor: true,
  octaveBaseScale: null,
  scalesPerOctave: null,
  centerOffset: 0,
  roundBaseAnchors: false,
};

const RPN_ASSIGNER_DEFAULTS = { type: 'MaxIoUAssigner', ...RPN_ASSIGNER_OPTIONS, negIouThr: 0.3, lowQualityRule: 'mmdet' as const };
const RPN_SAMPLER_DEFAULTS = { type: 'RandomSampler', ...RPN_SAMPLER_OPTIONS };

const PROPOSAL_SCHEMA = (defaults: ProposalCfg): OptionsSchema<ProposalCfg> => ({
  defaults,
  sections: { nms: { defaults: defaults.nms } as OptionsSchema<object> },
  docs: {
    nmsPre: 'anchors kept per level before NMS (<= 0: all)',
    maxPerImg: 'proposals kept per image after NMS',
    nms: "{type: 'nms', iouThreshold}",
    minBboxSize: 'smallest box side kept (mmdet: > it, torchvision: >= it)',
    scoreThr: 'torchvision style only: drop proposals with probability below it',
  },
});

const RPN_TRAIN_CFG_SCHEMA: OptionsSchema<RPNTrainCfg> = {
  defaults: { assigner: RPN_ASSIGNER_DEFAULTS, sampler: RPN_SAMPLER_DEFAULTS, allowedBorder: -1, posWeight: -1 },
  sections: {
    assigner: { defaults: RPN_ASSIGNER_DEFAULTS, choices: { lowQualityRule: ['mmdet', 'torchvision'] } } as OptionsSchema<object>,
    sampler: { defaults: RPN_SAMPLER_DEFAULTS } as OptionsSchema<object>,
  },
};

function checkProposalCfg(cfg: ProposalCfg, path: string): ProposalCfg {
  if (cfg.nms.type !== 'nms') throw new ConfigError(`${path}.nms.type: only 'nms' is supported, got '${cfg.nms.type}'`);
  if (!(cfg.nms.iouThreshold >= 0 && cfg.nms.iouThreshold <= 1)) {
    throw new ConfigError(`${path}.nms.iouThreshold: expected a number in [0, 1], got ${cfg.nms.iouThreshold}`);
  }
  if (!Number.isInteger(cfg.maxPerImg) || cfg.maxPerImg < 1) throw new ConfigError(`${path}.maxPerImg: expected a positive integer, got ${cfg.maxPerImg}`);
  if (!Number.isInteger(cfg.nmsPre)) throw new ConfigError(`${path}.nmsPre: expected an integer, got ${cfg.nmsPre}`);
  return cfg;
}

/** Registry entry of {@link RPNHead}. */
export const rpnHeadSpec: ComponentSpec<RPNHeadOptions, RPNHead, HeadContext> = {
  name: 'RPNHead',
  description: 'region proposal network (mmdet 3.x RPNHead; torchvision RegionProposalNetwork rules with style: torchvision)',
  defaults: {
    featChannels: 256,
    anchorGenerator: RPN_ANCHOR_DEFAULTS,
    bboxCoder: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [1, 1, 1, 1], clipBorder: true, addCtrClamp: false, ctrClamp: 32 },
    lossCls: { type: 'BCEWithLogitsLoss', lossWeight: 1 },
    lossBbox: { type: 'L1Loss', lossWeight: 1 },
    trainCfg: RPN_TRAIN_CFG_SCHEMA.defaults,
    proposalCfg: MMDET_RPN_TRAIN_PROPOSAL_CFG,
    testCfg: MMDET_RPN_TEST_CFG,
    style: 'mmdet',
  },
  choices: { style: ['mmdet', 'torchvision'] },
  children: { lossCls: { registry: 'losses' }, lossBbox: { registry: 'losses' } },
  sections: {
    anchorGenerator: {
      defaults: RPN_ANCHOR_DEFAULTS,
      kinds: {
        strides: ['array', 'null'],
        scales: ['array', 'null'],
        baseSizes: ['array', 'null'],
        octaveBaseScale: ['number', 'null'],
        scalesPerOctave: ['number', 'null'],
      },
    } as OptionsSchema<object>,
    bboxCoder: {
      defaults: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [1, 1, 1, 1], clipBorder: true, addCtrClamp: false, ctrClamp: 32 },
    } as OptionsSchema<object>,
    trainCfg: RPN_TRAIN_CFG_SCHEMA as OptionsSchema<object>,
    proposalCfg: PROPOSAL_SCHEMA(MMDET_RPN_TRAIN_PROPOSAL_CFG) as OptionsSchema<object>,
    testCfg: PROPOSAL_SCHEMA(MMDET_RPN_TEST_CFG) as OptionsSchema<object>,
  },
  docs: {
    featChannels: 'channels of the 3x3 conv',
    anchorGenerator: "{type: 'AnchorGenerator', strides (null: the inputs'), ratios, scales, baseSizes, centerOffset, roundBaseAnchors (torchvision)}",
    bboxCoder: "{type: 'DeltaXYWHBBoxCoder', targetMeans, targetStds, clipBorder}",
    lossCls: "objectness loss ({type: 'BCEWithLogitsLoss'})",
    lossBbox: "delta loss ({type: 'L1Loss'} mmdet, {type: 'SmoothL1Loss', beta: 1/9} torchvision)",
    trainCfg: "{assigner: {type: 'MaxIoUAssigner', posIouThr, negIouThr, minPosIou, ...}, sampler: {type: 'RandomSampler', num, posFraction, negPosUb, addGtAsProposals}, allowedBorder, posWeight}",
    proposalCfg: 'proposals while training: {nmsPre, maxPerImg, nms, minBboxSize, scoreThr}',
    testCfg: 'proposals at test time: {nmsPre, maxPerImg, nms, minBboxSize, scoreThr}',
    style: "'mmdet' or 'torchvision' decoding and filtering of the proposals",
  },
  build(options, context, path) {
    if (!Number.isInteger(options.featChannels) || options.featChannels < 1) throw new ConfigError(`${path}.featChannels: expected a positive integer`);
    sharedHeadInputs(context.inputs, 'RPNHead', path);
    const coderCfg = options.bboxCoder;
    if (coderCfg.type !== 'DeltaXYWHBBoxCoder') throw new ConfigError(`${path}.bboxCoder.type: only 'DeltaXYWHBBoxCoder' is supported`);
    const { assigner, sampler } = options.trainCfg;
    if (assigner.type !== 'MaxIoUAssigner') throw new ConfigError(`${path}.trainCfg.assigner.type: only 'MaxIoUAssigner' is supported`);
    if (sampler.type !== 'RandomSampler') throw new ConfigError(`${path}.trainCfg.sampler.type: only 'RandomSampler' is supported`);
    const anchorCfg = options.anchorGenerator;
    return withConfigPath(path, () => {
      const generator = buildAnchorGenerator(anchorCfg, context.inputs, `${path}.anchorGenerator`);
      const anchorGenerator = anchorCfg.roundBaseAnchors ? new AnchorGenerator({ ...generator.options, roundBaseAnchors: true }) : generator;
      return new RPNHead({
        inputs: context.inputs,
        featChannels: options.featChannels,
        anchorGenerator,
        bboxCoder: new DeltaXYWHBBoxCoder({
          targetMeans: quad(coderCfg.targetMeans, `${path}.bboxCoder.targetMeans`),
          targetStds: quad(coderCfg.targetStds, `${path}.bboxCoder.targetStds`),
          clipBorder: coderCfg.clipBorder,
          addCtrClamp: coderCfg.addCtrClamp,
          ctrClamp: coderCfg.ctrClamp,
        }),
        lossCls: buildDetectionLoss(options.lossCls, `${path}.lossCls`, 'binary-logits', 'RPNHead.lossCls'),
        lossBbox: buildDetectionLoss(options.lossBbox, `${path}.lossBbox`, 'box-deltas', 'RPNHead.lossBbox'),
        assigner: new MaxIoUAssigner({
          posIouThr: assigner.posIouThr,
          negIouThr: assigner.negIouThr,
          minPosIou: assigner.minPosIou,
          gtMaxAssignAll: assigner.gtMaxAssignAll,
          ignoreIofThr: assigner.ignoreIofThr,
          ignoreWrtCandidates: assigner.ignoreWrtCandidates,
          matchLowQuality: assigner.matchLowQuality,
          lowQualityRule: assigner.lowQualityRule,
        }),
        sampler: new RandomSampler({ num: sampler.num, posFraction: sampler.posFraction, negPosUb: sampler.negPosUb, addGtAsProposals: sampler.addGtAsProposals }, globalRng()),
        allowedBorder: options.trainCfg.allowedBorder,
        posWeight: options.trainCfg.posWeight,
        proposalCfg: checkProposalCfg(options.proposalCfg, `${path}.proposalCfg`),
        testCfg: checkProposalCfg(options.testCfg, `${path}.testCfg`),
        style: options.style,
      });
    });
  },
};

function quad(v: number[], path: string): [number, number, number, number] {
  if (v.length !== 4 || v.some((x) => typeof x !== 'number')) throw new ConfigError(`${path}: expected 4 numbers`);
  return [v[0], v[1], v[2], v[3]];
}

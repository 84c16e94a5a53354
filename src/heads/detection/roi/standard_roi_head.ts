/**
 * mmdetection 3.x's `StandardRoIHead` (mmdet/models/roi_heads/standard_roi_head.py), the second
 * stage of Faster R-CNN (box branch only) and Mask R-CNN (box + mask branch), implementing
 * {@link RoIHead}.
 *
 * Training (`loss`): per image, the proposals are assigned to the gts ({@link MaxIoUAssigner},
 * mmdet's `train_cfg.rcnn.assigner`) and sampled ({@link RandomSampler}: 512 RoIs, 25 % positives,
 * gt boxes added as proposals); the box branch pools every sampled RoI (7×7) and computes
 * `loss_cls` + `loss_bbox`; the mask branch pools the positives (14×14) and computes `loss_mask`
 * against their gt masks cropped to 28×28.
 *
 * Inference (`predict`): the box branch scores and refines every proposal and
 * {@link rcnnPostprocess} keeps the detections; the mask branch predicts a mask for each kept box
 * and pastes it into the image (mmdet's `_do_paste_mask`).
 *
 * State-dict names (mmdet): `bbox_head.*`, `mask_head.*` (the RoI extractors have no weights).
 */
import { tf } from '../../../core/tf.js';
import { ConfigError } from '../../../core/errors.js';
import { globalRng } from '../../../core/rng.js';
import type { FeatureSpec } from '../../../backbones/backbone.js';
import { Module } from '../../../nn/module.js';
import type { ComponentConfig, OptionsSchema } from '../../../registry/options.js';
import type { ComponentSpec } from '../../../registry/registry.js';
import { HEADS, type HeadContext } from '../../../registry/registries.js';
import type { DataSample } from '../../../structures/data_sample.js';
import type { LossDict } from '../../../structures/loss_dict.js';
import { MaxIoUAssigner, RCNN_ASSIGNER_OPTIONS } from '../../../models/task_modules/assigners/max_iou_assigner.js';
import { RCNN_SAMPLER_OPTIONS, RandomSampler, type RandomSamplerOptions, type SamplingResult } from '../../../models/task_modules/samplers/random_sampler.js';
import { resolveHeadNumClasses } from '../../num_classes.js';
import { gtOf, withConfigPath } from '../dense_head.js';
import type { ImageProposals, InstancePrediction, RoIHead, RoIPredictOptions } from './roi_head.js';
import { SingleRoIExtractor, type SingleRoIExtractorOptions } from './single_roi_extractor.js';
import { Shared2FCBBoxHead, type BBoxHeadOutputs } from './shared2fc_bbox_head.js';
import { FCNMaskHead } from './fcn_mask_head.js';
import { maskTargets } from './mask_targets.js';
import { RCNN_TEST_CFG_SCHEMA, checkRCNNTestCfg, rcnnPostprocess, type RCNNTestCfg, type RoIDetections } from './bbox_postprocess.js';

const f32 = Math.fround;

/** mmdet's `train_cfg.rcnn`, camelCase. */
export interface RCNNTrainCfg {
  /** `{type: 'MaxIoUAssigner', posIouThr 0.5, negIouThr 0.5, minPosIou 0.5, matchLowQuality true (Mask R-CNN; Faster R-CNN false), ignoreIofThr −1, …}`. */
  assigner: {
    type: string;
    posIouThr: number;
    negIouThr: number;
    minPosIou: number;
    gtMaxAssignAll: boolean;
    ignoreIofThr: number;
    ignoreWrtCandidates: boolean;
    matchLowQuality: boolean;
  };
  /** `{type: 'RandomSampler', num 512, posFraction 0.25, negPosUb −1, addGtAsProposals true}`. */
  sampler: { type: string } & RandomSamplerOptions;
  /** Side of the mask targets. Default 28. */
  maskSize: number;
  /** Only −1 (positives weigh 1, mmdet's default). Default −1. */
  posWeight: number;
  /** Mask-target crop: mmdet's (aligned RoIAlign, binarised) or torchvision's (unaligned, soft). Default 'mmdet'. */
  maskTargetStyle: 'mmdet' | 'torchvision';
}

/** A RoI extractor section: mmdet's `bbox_roi_extractor` / `mask_roi_extractor`, camelCase. */
export interface RoIExtractorCfg {
  /** Only 'SingleRoIExtractor'. */
  type: string;
  /** `{type: 'RoIAlign', outputSize (7 box, 14 mask), samplingRatio (0 mmdet, 2 torchvision), aligned (true mmdet, false torchvision)}`. */
  roiLayer: { type: string; outputSize: number; samplingRatio: number; aligned: boolean };
  /** Channels of the pooled maps; must equal the inputs'. Default 256. */
  outChannels: number;
  /** Strides of the pooled levels (the first inputs). Default `[4, 8, 16, 32]`. */
  featmapStrides: number[];
  /** mmdet level mapping scale. Default 56. */
  finestScale: number;
  /** 'mmdet' or 'torchvision' (LevelMapper). Default 'mmdet'. */
  levelMapping: 'mmdet' | 'torchvision';
}

/** Everything {@link StandardRoIHead} is built from. */
export interface StandardRoIHeadInit {
  numClasses: number;
  bboxRoiExtractor: SingleRoIExtractor;
  bboxHead: Shared2FCBBoxHead;
  maskRoiExtractor: SingleRoIExtractor | null;
  maskHead: FCNMaskHead | null;
  assigner: MaxIoUAssigner;
  sampler: RandomSamplerOptions;
  maskSize: number;
  maskTargetStyle: 'mmdet' | 'torchvision';
  testCfg: RCNNTestCfg;
}

/** `[K, 5]` RoIs (batch index, x1, y1, x2, y2) of per-image boxes. */
function boxesToRois(perImage: readonly Float32Array[]): Float32Array {
  const total = perImage.reduce((a, b) => a + b.length / 4, 0);
  const rois = new Float32Array(total * 5);
  let k = 0;
  perImage.forEach((boxes, b) => {
    for (let i = 0; i < boxes.length / 4; i++, k++) rois.set([b, boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]], k * 5);
  });
  return rois;
}

/** Rows of a sampling result in training order: positives then negatives. */
function sampledBoxes(res: SamplingResult): Float32Array {
  const inds = [...res.posInds, ...res.negInds];
  const out = new Float32Array(inds.length * 4);
  inds.forEach((ind, j) => out.set(res.priors.subarray(ind * 4, ind * 4 + 4), j * 4));
  return out;
}

function positiveBoxes(res: SamplingResult): Float32Array {
  const out = new Float32Array(res.posInds.length * 4);
  res.posInds.forEach((ind, j) => out.set(res.priors.subarray(ind * 4, ind * 4 + 4), j * 4));
  return out;
}

function divideBoxes(boxes: Float32Array, [sx, sy]: readonly [number, number]): Float32Array {
  return Float32Array.from(boxes, (v, i) => f32(v / (i % 2 === 0 ? sx : sy)));
}

/** The R-CNN second stage; see the file comment. */
export class StandardRoIHead extends Module implements RoIHead {
  readonly headKind = 'roi' as const;
  readonly numClasses: number;
  readonly bboxRoiExtractor: SingleRoIExtractor;
  readonly bboxHead: Shared2FCBBoxHead;
  readonly maskRoiExtractor: SingleRoIExtractor | null;
  readonly maskHead: FCNMaskHead | null;
  readonly assigner: MaxIoUAssigner;
  readonly samplerOptions: RandomSamplerOptions;
  readonly maskSize: number;
  readonly maskTargetStyle: 'mmdet' | 'torchvision';
  readonly testCfg: RCNNTestCfg;

  constructor(init: StandardRoIHeadInit) {
    super();
    if (init.bboxHead.numClasses !== init.numClasses) {
      throw new ConfigError(`StandardRoIHead: bboxHead has ${init.bboxHead.numClasses} classes, the head ${init.numClasses}`);
    }
    if ((init.maskHead === null) !== (init.maskRoiExtractor === null)) {
      throw new ConfigError('StandardRoIHead: give both maskRoiExtractor and maskHead, or neither');
    }
    if (init.maskHead !== null && init.maskHead.numClasses !== init.numClasses) {
      throw new ConfigError(`StandardRoIHead: maskHead has ${init.maskHead.numClasses} classes, the head ${init.numClasses}`);
    }
    this.numClasses = init.numClasses;
    this.bboxRoiExtractor = init.bboxRoiExtractor;
    this.bboxHead = this.addModule('bbox_head', init.bboxHead);
    this.maskRoiExtractor = init.maskRoiExtractor;
    this.maskHead = init.maskHead === null ? null : this.addModule('mask_head', init.maskHead);
    this.assigner = init.assigner;
    this.samplerOptions = init.sampler;
    this.maskSize = init.maskSize;
    this.maskTargetStyle = init.maskTargetStyle;
    this.testCfg = init.testCfg;
  }

  get withMask(): boolean {
    return this.maskHead !== null;
  }

  /** Box branch on `[K, 5]` RoIs. */
  forwardBBox(features: readonly tf.Tensor4D[], rois: tf.Tensor2D): BBoxHeadOutputs {
    const pooled = this.bboxRoiExtractor.extract(features, rois); // [K, 7, 7, C]
    try {
      return this.bboxHead.forward(pooled);
    } finally {
      pooled.dispose();
    }
  }

  /** Mask branch on `[K, 5]` RoIs → `[K, 2S, 2S, K]` logits. */
  forwardMask(features: readonly tf.Tensor4D[], rois: tf.Tensor2D): tf.Tensor4D {
    const { maskHead, maskRoiExtractor } = this;
    if (maskHead === null || maskRoiExtractor === null) throw new Error('StandardRoIHead.forwardMask: this head has no mask branch');
    return tf.tidy(() => maskHead.forward(maskRoiExtractor.extract(features, rois)));
  }

  /** Assigns and samples each image's proposals (mmdet's loop at the top of `StandardRoIHead.loss`). */
  sample(proposals: readonly ImageProposals[], samples: readonly DataSample[]): SamplingResult[] {
    if (proposals.length !== samples.length) throw new Error(`StandardRoIHead: ${proposals.length} proposal sets for ${samples.length} samples`);
    const sampler = new RandomSampler(this.samplerOptions, globalRng());
    return samples.map((s, b) => {
      const gt = gtOf(s);
      const ignore = s.gtIgnoreBboxes !== undefined && s.gtIgnoreBboxes.length > 0 ? s.gtIgnoreBboxes : null;
      const assign = this.assigner.assign(proposals[b].bboxes, gt, ignore);
      return sampler.sample(assign, proposals[b].bboxes, gt);
    });
  }

  loss(features: tf.Tensor4D[], proposals: readonly ImageProposals[], samples: readonly DataSample[]): LossDict {
    return this.lossFromSampling(features, this.sample(proposals, samples), samples);
  }

  /**
   * The losses on given sampling results (the part after assignment and sampling; parity tests
   * feed torchvision's own samples here).
   * @param results one per image, in batch order.
   */
  lossFromSampling(features: readonly tf.Tensor4D[], results: readonly SamplingResult[], samples: readonly DataSample[]): LossDict {
    return tf.tidy(() => {
      const rois = boxesToRois(results.map(sampledBoxes));
      const out = this.forwardBBox(features, tf.tensor2d(rois, [rois.length / 5, 5]));
      const losses: LossDict = { ...this.bboxHead.loss(out, this.bboxHead.getTargets(results)) };
      if (this.maskHead !== null) losses.loss_mask = this.maskLoss(features, results, samples);
      return losses;
    });
  }

  private maskLoss(features: readonly tf.Tensor4D[], results: readonly SamplingResult[], samples: readonly DataSample[]): tf.Scalar {
    const head = this.maskHead as FCNMaskHead;
    const posBoxes = results.map(positiveBoxes);
    const posRois = boxesToRois(posBoxes);
    const p = posRois.length / 5;
    const labels = new Int32Array(p);
    let o = 0;
    for (const res of results) {
      labels.set(res.posGtLabels, o);
      o += res.posGtLabels.length;
    }
    if (p === 0) {
      // mmdet returns a zero loss connected to the mask branch's weights.
      return tf.tidy(() => head.convLogits.weight.value.sum().mul(0) as tf.Scalar);
    }
    const style = this.maskTargetStyle === 'torchvision' ? { aligned: false, binarize: false } : { aligned: true, binarize: true };
    return tf.tidy(() => {
      const targets = results.map((res, b) => {
        if (res.posInds.length === 0) return tf.zeros([0, this.maskSize, this.maskSize]) as tf.Tensor3D;
        const masks = samples[b].gtInstances?.masks;
        if (masks === undefined) {
          throw new Error(`StandardRoIHead: sample ${samples[b].imgPath || `#${b}`} has no gtInstances.masks, which the mask branch needs (load the dataset with masks)`);
        }
        return maskTargets(posBoxes[b], res.posAssignedGtInds, masks, this.maskSize, style);
      });
      const logits = this.forwardMask(features, tf.tensor2d(posRois, [p, 5]));
      return head.loss(logits, labels, tf.concat(targets, 0) as tf.Tensor3D);
    });
  }

  /**
   * The box branch of {@link predict}: detections per image in the input frame, or divided by
   * each sample's `scaleFactor` with `rescale`.
   */
  async predictBBoxes(features: readonly tf.Tensor4D[], proposals: readonly ImageProposals[], samples: readonly DataSample[], rescale: boolean): Promise<RoIDetections[]> {
    if (proposals.length !== samples.length) throw new Error(`StandardRoIHead: ${proposals.length} proposal sets for ${samples.length} samples`);
    const counts = proposals.map((p) => p.bboxes.length / 4);
    const rois = boxesToRois(proposals.map((p) => p.bboxes));
    const k = this.numClasses;
    const [probsT, deltasT] = tf.tidy(() => {
      const out = this.forwardBBox(features, tf.tensor2d(rois, [rois.length / 5, 5]));
      return [tf.softmax(out.clsScore, -1), out.bboxPred];
    });
    let probs: Float32Array;
    let deltas: Float32Array;
    try {
      [probs, deltas] = (await Promise.all([probsT.data(), deltasT.data()])) as [Float32Array, Float32Array];
    } finally {
      tf.dispose([probsT, deltasT]);
    }
    const cols = this.bboxHead.regColumns;
    let offset = 0;
    return samples.map((s, b) => {
      const n = counts[b];
      const d = rcnnPostprocess(
        proposals[b].bboxes,
        probs.subarray(offset * (k + 1), (offset + n) * (k + 1)),
        deltas.subarray(offset * cols, (offset + n) * cols),
        k,
        this.bboxHead.bboxCoder,
        s.imgShape,
        this.testCfg,
        rescale ? s.scaleFactor : null,
      );
      offset += n;
      return d;
    });
  }

  async predict(features: tf.Tensor4D[], proposals: readonly ImageProposals[], samples: readonly DataSample[], options: RoIPredictOptions = {}): Promise<InstancePrediction[]> {
    const rescale = options.rescale ?? true;
    // With a mask branch the boxes stay in the input frame until the masks are predicted (as mmdet).
    const dets = await this.predictBBoxes(features, proposals, samples, rescale && !this.withMask);
    if (this.maskHead === null) return dets.map((d) => ({ kind: 'det' as const, ...d }));

    const maskRois = boxesToRois(dets.map((d) => d.bboxes));
    const total = maskRois.length / 5;
    const logits = total === 0 ? null : tf.tidy(() => this.forwardMask(features, tf.tensor2d(maskRois, [total, 5])));
    try {
      let row = 0;
      const out: InstancePrediction[] = [];
      for (let b = 0; b < samples.length; b++) {
        const s = samples[b];
        const d = dets[b];
        const n = d.labels.length;
        const boxes = rescale ? divideBoxes(d.bboxes, s.scaleFactor) : d.bboxes;
        const frame = rescale ? s.oriShape : s.imgShape;
        let masks;
        if (n === 0 || logits === null) {
          masks = { data: new Uint8Array(0), count: 0, height: frame[0], width: frame[1] };
        } else {
          const mine = tf.slice(logits, [row, 0, 0, 0], [n, -1, -1, -1]);
          try {
            masks = await (this.maskHead as FCNMaskHead).predictMasks(mine, d.labels, boxes, frame, this.testCfg.maskThrBinary);
          } finally {
            mine.dispose();
          }
        }
        row += n;
        out.push({ kind: 'det', bboxes: boxes, scores: d.scores, labels: d.labels, masks });
      }
      return out;
    } finally {
      logits?.dispose();
    }
  }
}

// ----------------------------------------------------------------------------- config

const ROI_LAYER_DEFAULTS = { type: 'RoIAlign', outputSize: 7, samplingRatio: 0, aligned: true };

function extractorSchema(outputSize: number): OptionsSchema<RoIExtractorCfg> {
  return {
    defaults: {
      type: 'SingleRoIExtractor',
      roiLayer: { ...ROI_LAYER_DEFAULTS, outputSize },
      outChannels: 256,
      featmapStrides: [4, 8, 16, 32],
      finestScale: 56,
      levelMapping: 'mmdet',
    },
    sections: { roiLayer: { defaults: { ...ROI_LAYER_DEFAULTS, outputSize } } as OptionsSchema<object> },
    choices: { levelMapping: ['mmdet', 'torchvision'] },
  };
}

const BBOX_EXTRACTOR_SCHEMA = extractorSchema(7);
const MASK_EXTRACTOR_SCHEMA = extractorSchema(14);
const RCNN_ASSIGNER_DEFAULTS = { type: 'MaxIoUAssigner', ...RCNN_ASSIGNER_OPTIONS, negIouThr: 0.5, matchLowQuality: true };
const RCNN_SAMPLER_DEFAULTS = { type: 'RandomSampler', ...RCNN_SAMPLER_OPTIONS };

const RCNN_TRAIN_CFG_SCHEMA: OptionsSchema<RCNNTrainCfg> = {
  defaults: { assigner: RCNN_ASSIGNER_DEFAULTS, sampler: RCNN_SAMPLER_DEFAULTS, maskSize: 28, posWeight: -1, maskTargetStyle: 'mmdet' },
  sections: {
    assigner: { defaults: RCNN_ASSIGNER_DEFAULTS } as OptionsSchema<object>,
    sampler: { defaults: RCNN_SAMPLER_DEFAULTS } as OptionsSchema<object>,
  },
  choices: { maskTargetStyle: ['mmdet', 'torchvision'] },
  ranges: { maskSize: { integer: true, min: 1 } },
};

/** Options of {@link StandardRoIHead}'s spec: mmdet's `roi_head` plus its `train_cfg.rcnn` / `test_cfg.rcnn`, camelCase. */
export interface StandardRoIHeadOptions {
  /** Foreground classes, passed to both heads; null takes the dataset's. Default null. */
  numClasses: number | null;
  /** Box RoI extractor (7×7). */
  bboxRoiExtractor: RoIExtractorCfg;
  /** Box head. Default `{type: 'Shared2FCBBoxHead'}`. */
  bboxHead: ComponentConfig;
  /** Mask RoI extractor (14×14), or null for Faster R-CNN. Default null. */
  maskRoiExtractor: RoIExtractorCfg | null;
  /** Mask head (`{type: 'FCNMaskHead'}`), or null for Faster R-CNN. Default null. */
  maskHead: ComponentConfig | null;
  /** `train_cfg.rcnn`. */
  trainCfg: RCNNTrainCfg;
  /** `test_cfg.rcnn`. */
  testCfg: RCNNTestCfg;
}

function buildExtractor(cfg: RoIExtractorCfg, inputs: readonly FeatureSpec[], path: string): SingleRoIExtractor {
  if (cfg.type !== 'SingleRoIExtractor') throw new ConfigError(`${path}.type: only 'SingleRoIExtractor' is supported, got '${cfg.type}'`);
  if (cfg.roiLayer.type !== 'RoIAlign') throw new ConfigError(`${path}.roiLayer.type: only 'RoIAlign' is supported, got '${cfg.roiLayer.type}'`);
  const n = cfg.featmapStrides.length;
  if (inputs.length < n) {
    throw new ConfigError(`${path}.featmapStrides: ${n} levels [${cfg.featmapStrides.join(', ')}] but the head receives ${inputs.length} feature maps`);
  }
  inputs.slice(0, n).forEach((spec, i) => {
    if (spec.stride !== cfg.featmapStrides[i]) {
      throw new ConfigError(`${path}.featmapStrides: [${cfg.featmapStrides.join(', ')}] do not match the inputs (${inputs.map((s) => `${s.name} stride ${s.stride}`).join(', ')})`);
    }
    if (spec.channels !== cfg.outChannels) {
      throw new ConfigError(`${path}.outChannels: ${cfg.outChannels}, but input ${spec.name} has ${spec.channels} channels`);
    }
  });
  const options: Partial<SingleRoIExtractorOptions> = {
    featmapStrides: cfg.featmapStrides,
    outputSize: cfg.roiLayer.outputSize,
    samplingRatio: cfg.roiLayer.samplingRatio,
    aligned: cfg.roiLayer.aligned,
    finestScale: cfg.finestScale,
    levelMapping: cfg.levelMapping,
  };
  return withConfigPath(path, () => new SingleRoIExtractor(options));
}

/** Registry entry of {@link StandardRoIHead}. */
export const standardRoIHeadSpec: ComponentSpec<StandardRoIHeadOptions, StandardRoIHead, HeadContext> = {
  name: 'StandardRoIHead',
  description: 'Faster / Mask R-CNN second stage (mmdet 3.x): RoIAlign extractors, Shared2FCBBoxHead, optional FCNMaskHead',
  defaults: {
    numClasses: null,
    bboxRoiExtractor: BBOX_EXTRACTOR_SCHEMA.defaults,
    bboxHead: { type: 'Shared2FCBBoxHead' },
    maskRoiExtractor: null,
    maskHead: null,
    trainCfg: RCNN_TRAIN_CFG_SCHEMA.defaults,
    testCfg: RCNN_TEST_CFG_SCHEMA.defaults,
  },
  kinds: { numClasses: ['number', 'null'], maskRoiExtractor: ['object', 'null'], maskHead: ['object', 'null'] },
  children: { bboxHead: { registry: 'heads' }, maskHead: { registry: 'heads' } },
  sections: {
    bboxRoiExtractor: BBOX_EXTRACTOR_SCHEMA as OptionsSchema<object>,
    maskRoiExtractor: MASK_EXTRACTOR_SCHEMA as OptionsSchema<object>,
    trainCfg: RCNN_TRAIN_CFG_SCHEMA as OptionsSchema<object>,
    testCfg: RCNN_TEST_CFG_SCHEMA as OptionsSchema<object>,
  },
  docs: {
    numClasses: 'foreground classes of both heads (null: from the dataset)',
    bboxRoiExtractor: "{type: 'SingleRoIExtractor', roiLayer: {type: 'RoIAlign', outputSize: 7, samplingRatio, aligned}, outChannels, featmapStrides, finestScale, levelMapping}",
    bboxHead: "{type: 'Shared2FCBBoxHead', ...}",
    maskRoiExtractor: 'as bboxRoiExtractor with outputSize 14, or null (no mask branch)',
    maskHead: "{type: 'FCNMaskHead', ...} or null (no mask branch)",
    trainCfg: "{assigner: {type: 'MaxIoUAssigner', ...}, sampler: {type: 'RandomSampler', num, posFraction, negPosUb, addGtAsProposals}, maskSize, posWeight, maskTargetStyle}",
    testCfg: "{scoreThr, nms: {type: 'nms', iouThreshold}, maxPerImg, minBboxSize, maskThrBinary}",
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    const childContext: HeadContext = { inputs: context.inputs, numClasses };
    const bboxHead = HEADS.build({ numClasses, ...options.bboxHead }, childContext, `${path}.bboxHead`);
    if (!(bboxHead instanceof Shared2FCBBoxHead)) throw new ConfigError(`${path}.bboxHead: StandardRoIHead supports Shared2FCBBoxHead, got '${options.bboxHead.type}'`);
    const withMask = options.maskHead !== null || options.maskRoiExtractor !== null;
    if (withMask && (options.maskHead === null || options.maskRoiExtractor === null)) {
      throw new ConfigError(`${path}: give both maskRoiExtractor and maskHead (Mask R-CNN), or set both to null (Faster R-CNN)`);
    }
    let maskHead: FCNMaskHead | null = null;
    if (options.maskHead !== null) {
      const built = HEADS.build({ numClasses, ...options.maskHead }, childContext, `${path}.maskHead`);
      if (!(built instanceof FCNMaskHead)) throw new ConfigError(`${path}.maskHead: StandardRoIHead supports FCNMaskHead, got '${options.maskHead.type}'`);
      maskHead = built;
    }
    const bboxRoiExtractor = buildExtractor(options.bboxRoiExtractor, context.inputs, `${path}.bboxRoiExtractor`);
    if (bboxRoiExtractor.options.outputSize !== bboxHead.roiFeatSize) {
      throw new ConfigError(`${path}.bboxRoiExtractor.roiLayer.outputSize: ${bboxRoiExtractor.options.outputSize}, but bboxHead.roiFeatSize is ${bboxHead.roiFeatSize}`);
    }
    const maskRoiExtractor = options.maskRoiExtractor === null ? null : buildExtractor(options.maskRoiExtractor, context.inputs, `${path}.maskRoiExtractor`);
    if (maskRoiExtractor !== null && maskHead !== null && maskRoiExtractor.options.outputSize !== maskHead.roiFeatSize) {
      throw new ConfigError(`${path}.maskRoiExtractor.roiLayer.outputSize: ${maskRoiExtractor.options.outputSize}, but maskHead.roiFeatSize is ${maskHead.roiFeatSize}`);
    }
    if (maskHead !== null && options.trainCfg.maskSize !== 2 * maskHead.roiFeatSize) {
      throw new ConfigError(`${path}.trainCfg.maskSize: ${options.trainCfg.maskSize}, but the mask head predicts ${2 * maskHead.roiFeatSize}x${2 * maskHead.roiFeatSize} masks`);
    }
    const { assigner, sampler } = options.trainCfg;
    const tpath = `${path}.trainCfg`;
    if (assigner.type !== 'MaxIoUAssigner') throw new ConfigError(`${tpath}.assigner.type: only 'MaxIoUAssigner' is supported, got '${assigner.type}'`);
    if (sampler.type !== 'RandomSampler') throw new ConfigError(`${tpath}.sampler.type: only 'RandomSampler' is supported, got '${sampler.type}'`);
    if (options.trainCfg.posWeight > 0 && options.trainCfg.posWeight !== 1) throw new ConfigError(`${tpath}.posWeight: only -1 (weight 1) is supported, got ${options.trainCfg.posWeight}`);
    return withConfigPath(path, () => {
      // Built inside so that RandomSampler's RangeErrors become ConfigErrors naming the path.
      void new RandomSampler(sampler, globalRng());
      return new StandardRoIHead({
        numClasses,
        bboxRoiExtractor,
        bboxHead,
        maskRoiExtractor,
        maskHead,
        assigner: new MaxIoUAssigner({
          posIouThr: assigner.posIouThr,
          negIouThr: assigner.negIouThr,
          minPosIou: assigner.minPosIou,
          gtMaxAssignAll: assigner.gtMaxAssignAll,
          ignoreIofThr: assigner.ignoreIofThr,
          ignoreWrtCandidates: assigner.ignoreWrtCandidates,
          matchLowQuality: assigner.matchLowQuality,
        }),
        sampler: { num: sampler.num, posFraction: sampler.posFraction, negPosUb: sampler.negPosUb, addGtAsProposals: sampler.addGtAsProposals },
        maskSize: options.trainCfg.maskSize,
        maskTargetStyle: options.trainCfg.maskTargetStyle,
        testCfg: checkRCNNTestCfg(options.testCfg, `${path}.testCfg`),
      });
    });
  },
};

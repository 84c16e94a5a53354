/**
 * Two-stage detectors as mmdetection 3.x's `TwoStageDetector`
 * (mmdet/models/detectors/two_stage.py; `FasterRCNN` and `MaskRCNN` are the same class under
 * other names): backbone → neck → RPN head (proposals) → RoI head (boxes, classes, masks).
 *
 * The first stage is anything implementing {@link ProposalHead} (src/heads/detection/rpn/proposal_head.ts,
 * e.g. `RPNHead`), the second anything implementing {@link RoIHead} (src/heads/detection/roi/roi_head.ts,
 * e.g. `StandardRoIHead`), both checked by their declared members.
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import type { Backbone, FeatureSpec } from '../backbones/backbone.js';
import type { Neck } from '../necks/neck.js';
import type { ComponentConfig } from '../registry/options.js';
import { isPlainObject } from '../registry/options.js';
import type { ComponentSpec } from '../registry/registry.js';
import { BACKBONES, HEADS, NECKS, type ModelContext } from '../registry/registries.js';
import type { Batch } from '../structures/data_sample.js';
import { isProposalHead, type ProposalHead } from '../heads/detection/rpn/proposal_head.js';
import { isRoIHead, type InstancePrediction, type RoIHead } from '../heads/detection/roi/roi_head.js';
import { Model, type LossDict } from './base_model.js';

/**
 * Backbone → (neck) → RPN → RoI head, mmdet's `TwoStageDetector`.
 *
 * - `loss`: the RPN's `loss_rpn_cls` / `loss_rpn_bbox` and its training proposals (`RPNHead`'s
 *   `proposalCfg`, mmdet's `train_cfg.rpn_proposal`; host arrays, so no gradient flows through
 *   them, as mmdet detaches them), then the RoI head's losses on those proposals.
 * - `predict`: the RPN's test proposals (`testCfg`), then the RoI head's detections (and masks)
 *   in each sample's original image.
 * - `forwardRaw`: the RPN's raw maps (every level's objectness, then deltas); the RoI head's raw
 *   outputs depend on proposals, so they are not part of it.
 *
 * State-dict names (mmdet): `backbone.*`, `neck.*`, `rpn_head.*`, `roi_head.*`.
 */
export class TwoStageDetector extends Model {
  readonly task = 'detection' as const;

  constructor(
    readonly backbone: Backbone,
    readonly neck: Neck | null,
    readonly rpnHead: ProposalHead,
    readonly roiHead: RoIHead,
  ) {
    super();
    this.addModule('backbone', backbone);
    if (neck !== null) this.addModule('neck', neck);
    this.addModule('rpn_head', rpnHead);
    this.addModule('roi_head', roiHead);
  }

  /** Backbone and neck features of `[B, H, W, 3]` images (mmdet `extract_feat`). */
  extractFeat(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const feats = this.backbone.forward(images);
      return this.neck === null ? feats : this.neck.forward(feats);
    });
  }

  forwardRaw(images: tf.Tensor4D): tf.Tensor[] {
    return tf.tidy(() => {
      const out = this.rpnHead.forward(this.extractFeat(images));
      return [...out.cls, ...out.reg];
    });
  }

  loss(batch: Batch): LossDict {
    batch.samples.forEach((s, i) => {
      if (s.gtInstances === undefined) throw new Error(`${this.constructor.name}.loss: sample ${i} (${s.imgPath}) has no gtInstances`);
    });
    return tf.tidy(() => {
      const feats = this.extractFeat(batch.inputs);
      const rpn = this.rpnHead.lossAndProposals(feats, batch.samples);
      const roi = this.roiHead.loss(feats, rpn.proposals, batch.samples);
      const clash = Object.keys(roi).find((k) => k in rpn.losses);
      if (clash !== undefined) throw new Error(`${this.constructor.name}.loss: the RPN and the RoI head both return '${clash}'`);
      return { ...rpn.losses, ...roi };
    });
  }

  async predict(batch: Batch): Promise<InstancePrediction[]> {
    const feats = this.extractFeat(batch.inputs);
    try {
      const proposals = this.rpnHead.predictProposals(feats, batch.samples);
      return await this.roiHead.predict(feats, proposals, batch.samples, { rescale: true });
    } finally {
      tf.dispose(feats);
    }
  }
}

/** mmdet's name of a Faster R-CNN (`TwoStageDetector` whose RoI head has no mask branch). */
export class FasterRCNN extends TwoStageDetector {}

/** mmdet's name of a Mask R-CNN (`TwoStageDetector` whose RoI head has a mask branch). */
export class MaskRCNN extends TwoStageDetector {}

/** mmdet's model-level `train_cfg` of a two-stage detector, camelCase. */
export interface TwoStageTrainCfg {
  /** Replaces the RPN head's `trainCfg` (assigner, sampler, allowedBorder, posWeight). */
  rpn?: Record<string, unknown>;
  /** Replaces the RPN head's `proposalCfg` (mmdet `rpn_proposal`: nmsPre, maxPerImg, nms, minBboxSize). */
  rpnProposal?: Record<string, unknown>;
  /** Replaces the RoI head's `trainCfg`. */
  rcnn?: Record<string, unknown>;
}

/** mmdet's model-level `test_cfg` of a two-stage detector, camelCase. */
export interface TwoStageTestCfg {
  /** Replaces the RPN head's `testCfg`. */
  rpn?: Record<string, unknown>;
  /** Replaces the RoI head's `testCfg`. */
  rcnn?: Record<string, unknown>;
}

/** Options of the two-stage detector specs (mmdet's `TwoStageDetector` arguments in camelCase). */
export interface TwoStageDetectorOptions {
  /** Backbone config. Required. */
  backbone: ComponentConfig | null;
  /** Neck config (FPN), or null. Default null. */
  neck: ComponentConfig | null;
  /** RPN head config (`{type: 'RPNHead', ...}`), built from the neck's outputs. Required. */
  rpnHead: ComponentConfig | null;
  /** RoI head config (e.g. `{type: 'StandardRoIHead', ...}`), built from the neck's outputs. Required. */
  roiHead: ComponentConfig | null;
  /** Model-level train config handed to the heads (see {@link TwoStageTrainCfg}). Default null. */
  trainCfg: TwoStageTrainCfg | null;
  /** Model-level test config handed to the heads (see {@link TwoStageTestCfg}). Default null. */
  testCfg: TwoStageTestCfg | null;
}

type TwoStageCtor = new (backbone: Backbone, neck: Neck | null, rpn: ProposalHead, roi: RoIHead) => TwoStageDetector;

const SECTION_KEYS: Record<'trainCfg' | 'testCfg', readonly string[]> = { trainCfg: ['rpn', 'rpnProposal', 'rcnn'], testCfg: ['rpn', 'rcnn'] };

function checkSections(cfg: Record<string, unknown> | null, which: 'trainCfg' | 'testCfg', path: string): void {
  if (cfg === null) return;
  for (const [k, v] of Object.entries(cfg)) {
    if (!SECTION_KEYS[which].includes(k)) throw new ConfigError(`${path}.${which}.${k}: unknown section; expected ${SECTION_KEYS[which].join(', ')}`);
    if (!isPlainObject(v)) throw new ConfigError(`${path}.${which}.${k}: expected an object`);
  }
}

function twoStageSpec(name: string, ctor: TwoStageCtor, description: string, withMask: boolean | null): ComponentSpec<TwoStageDetectorOptions, TwoStageDetector, ModelContext> {
  return {
    name,
    description,
    defaults: { backbone: null, neck: null, rpnHead: null, roiHead: null, trainCfg: null, testCfg: null },
    kinds: { trainCfg: ['object', 'null'], testCfg: ['object', 'null'] },
    children: { backbone: { registry: 'backbones' }, neck: { registry: 'necks' }, rpnHead: { registry: 'heads' }, roiHead: { registry: 'heads' } },
    required: ['backbone', 'rpnHead', 'roiHead'],
    docs: {
      backbone: 'backbone config',
      neck: 'neck config (e.g. FPN), or null',
      rpnHead: "region proposal head ({type: 'RPNHead', ...}); built from the neck outputs",
      roiHead: "second stage ({type: 'StandardRoIHead', ...}); built from the neck outputs",
      trainCfg: 'model-level train_cfg: {rpn → rpnHead.trainCfg, rpnProposal → rpnHead.proposalCfg, rcnn → roiHead.trainCfg}',
      testCfg: 'model-level test_cfg: {rpn → rpnHead.testCfg, rcnn → roiHead.testCfg}',
    },
    build(options, context, path) {
      checkSections(options.trainCfg as Record<string, unknown> | null, 'trainCfg', path);
      checkSections(options.testCfg as Record<string, unknown> | null, 'testCfg', path);
      const backbone = BACKBONES.build(options.backbone, {}, `${path}.backbone`);
      let inputs: readonly FeatureSpec[] = backbone.outputSpecs;
      let neck: Neck | null = null;
      if (options.neck !== null) {
        neck = NECKS.build(options.neck, { inputs }, `${path}.neck`);
        inputs = neck.outputSpecs;
      }
      if (!isPlainObject(options.rpnHead)) throw new ConfigError(`${path}.rpnHead: expected a head config`);
      if (!isPlainObject(options.roiHead)) throw new ConfigError(`${path}.roiHead: expected a head config`);
      // mmdet: rpn_head.update(train_cfg=train_cfg.rpn, test_cfg=test_cfg.rpn); roi_head.update(train_cfg=train_cfg.rcnn, test_cfg=test_cfg.rcnn)
      const rpnCfg: Record<string, unknown> = { ...options.rpnHead };
      const roiCfg: Record<string, unknown> = { ...options.roiHead };
      const train = options.trainCfg ?? {};
      const test = options.testCfg ?? {};
      if (train.rpn !== undefined) rpnCfg.trainCfg = train.rpn;
      if (train.rpnProposal !== undefined) rpnCfg.proposalCfg = train.rpnProposal;
      if (test.rpn !== undefined) rpnCfg.testCfg = test.rpn;
      if (train.rcnn !== undefined) roiCfg.trainCfg = train.rcnn;
      if (test.rcnn !== undefined) roiCfg.testCfg = test.rcnn;
      const rpn = HEADS.build(rpnCfg, { inputs, numClasses: null }, `${path}.rpnHead`);
      if (!isProposalHead(rpn)) {
        throw new ConfigError(
          `${path}.rpnHead: ${name} needs a region proposal head (headKind 'rpn', forward, lossAndProposals, predictProposals; e.g. 'RPNHead'), got '${String(options.rpnHead.type)}'`,
        );
      }
      const roi = HEADS.build(roiCfg, { inputs, numClasses: context.numClasses }, `${path}.roiHead`);
      if (!isRoIHead(roi)) {
        throw new ConfigError(`${path}.roiHead: ${name} needs a RoI head (headKind 'roi', numClasses, withMask, loss, predict), got '${String(options.roiHead.type)}'`);
      }
      if (withMask !== null && roi.withMask !== withMask) {
        throw new ConfigError(
          `${path}.roiHead: ${name} expects a RoI head ${withMask ? 'with' : 'without'} a mask branch` + ` (use type '${withMask ? 'FasterRCNN' : 'MaskRCNN'}' or 'TwoStageDetector')`,
        );
      }
      return new ctor(backbone, neck, rpn, roi);
    },
  };
}

/** Registry entry of the generic {@link TwoStageDetector}. */
export const twoStageDetectorSpec = twoStageSpec('TwoStageDetector', TwoStageDetector, 'backbone + neck + RPNHead + RoI head (mmdet TwoStageDetector)', null);
/** Registry entry of {@link FasterRCNN}. */
export const fasterRCNNSpec = twoStageSpec('FasterRCNN', FasterRCNN, 'Faster R-CNN: backbone + FPN + RPNHead + box RoI head (mmdet TwoStageDetector)', false);
/** Registry entry of {@link MaskRCNN}. */
export const maskRCNNSpec = twoStageSpec('MaskRCNN', MaskRCNN, 'Mask R-CNN: backbone + FPN + RPNHead + box and mask RoI head (mmdet TwoStageDetector)', true);

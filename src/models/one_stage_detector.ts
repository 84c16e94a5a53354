/**
 * One-stage detectors as mmdetection 3.x's `SingleStageDetector`
 * (mmdet/models/detectors/single_stage.py; `RetinaNet` and `FCOS` are the same
 * class under other names): backbone → neck → dense head.
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import type { Backbone, FeatureSpec } from '../backbones/backbone.js';
import type { Neck } from '../necks/neck.js';
import type { ComponentConfig, OptionsSchema } from '../registry/options.js';
import { isPlainObject } from '../registry/options.js';
import type { ComponentSpec } from '../registry/registry.js';
import { BACKBONES, HEADS, NECKS, type ModelContext } from '../registry/registries.js';
import type { Batch } from '../structures/data_sample.js';
import type { DetPrediction } from '../structures/prediction.js';
import { DENSE_TEST_CFG_SCHEMA, DenseHead } from '../heads/detection/dense_head.js';
import { RetinaHead } from '../heads/detection/retina_head.js';
import { FCOSHead } from '../heads/detection/fcos_head.js';
import { Model, type LossDict } from './base_model.js';

/**
 * Backbone → (neck) → dense head, mmdet's `SingleStageDetector`.
 *
 * - `loss`: the head's losses on the batch's targets (`gtInstances`, `gtIgnoreBboxes`,
 *   `imgShape`, `padShape` of each sample).
 * - `predict`: detections in each sample's original image (boxes divided by
 *   `scaleFactor`, clipped to `oriShape`), in eval mode.
 * - `forwardRaw`: the head's raw maps (every level's logits, then regressions, then
 *   centerness for FCOS).
 *
 * State-dict names (mmdet): `backbone.*`, `neck.*`, `bbox_head.*`, so a converted mmdet
 * checkpoint (Swin backbone keys converted, neck and head keys as they are) loads as is.
 */
export class SingleStageDetector extends Model {
  readonly task = 'detection' as const;

  constructor(
    readonly backbone: Backbone,
    readonly neck: Neck | null,
    readonly bboxHead: DenseHead,
  ) {
    super();
    this.addModule('backbone', backbone);
    if (neck !== null) this.addModule('neck', neck);
    this.addModule('bbox_head', bboxHead);
  }

  /** Backbone and neck features of `[B, H, W, 3]` images (mmdet `extract_feat`). */
  extractFeat(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const feats = this.backbone.forward(images);
      return this.neck === null ? feats : this.neck.forward(feats);
    });
  }

  forwardRaw(images: tf.Tensor4D): tf.Tensor[] {
    return tf.tidy(() => this.bboxHead.forwardRaw(this.extractFeat(images)));
  }

  loss(batch: Batch): LossDict {
    batch.samples.forEach((s, i) => {
      if (s.gtInstances === undefined) throw new Error(`${this.constructor.name}.loss: sample ${i} (${s.imgPath}) has no gtInstances`);
    });
    return tf.tidy(() => this.bboxHead.loss(this.extractFeat(batch.inputs), batch.samples));
  }

  async predict(batch: Batch): Promise<DetPrediction[]> {
    const feats = this.extractFeat(batch.inputs);
    try {
      return await this.bboxHead.predict(feats, batch.samples);
    } finally {
      tf.dispose(feats);
    }
  }
}

/** mmdet's name of a RetinaNet (`SingleStageDetector`). */
export class RetinaNet extends SingleStageDetector {}

/** mmdet's name of an FCOS detector (`SingleStageDetector`). */
export class FCOS extends SingleStageDetector {}

/** Options of the detector specs (mmdet's `SingleStageDetector` arguments in camelCase). */
export interface SingleStageDetectorOptions {
  /** Backbone config. */
  backbone: ComponentConfig | null;
  /** Neck config (FPN), or null to feed the backbone outputs to the head. */
  neck: ComponentConfig | null;
  /** Dense head config; its inputs are the neck's declared outputs. */
  bboxHead: ComponentConfig | null;
  /** mmdet's model-level `train_cfg`, passed to the head (replacing the head's own). Default null. */
  trainCfg: Record<string, unknown> | null;
  /** mmdet's model-level `test_cfg`, passed to the head (replacing the head's own). Default null. */
  testCfg: Record<string, unknown> | null;
}

type DetectorCtor = new (backbone: Backbone, neck: Neck | null, head: DenseHead) => SingleStageDetector;

function detectorSpec(
  name: string,
  ctor: DetectorCtor,
  description: string,
  headClass: (abstract new (...args: never[]) => DenseHead) | null,
): ComponentSpec<SingleStageDetectorOptions, SingleStageDetector, ModelContext> {
  return {
    name,
    description,
    defaults: { backbone: null, neck: null, bboxHead: null, trainCfg: null, testCfg: null },
    kinds: { trainCfg: ['object', 'null'], testCfg: ['object', 'null'] },
    children: { backbone: { registry: 'backbones' }, neck: { registry: 'necks' }, bboxHead: { registry: 'heads' } },
    sections: { testCfg: DENSE_TEST_CFG_SCHEMA as OptionsSchema<object> },
    required: ['backbone', 'bboxHead'],
    docs: {
      backbone: 'backbone config',
      neck: 'neck config (e.g. FPN), or null',
      bboxHead: 'dense head config (RetinaHead, FCOSHead); built from the neck outputs',
      trainCfg: "model-level train_cfg handed to the head (e.g. {assigner: {type: 'MaxIoUAssigner', ...}, allowedBorder, posWeight})",
      testCfg: "model-level test_cfg handed to the head: {nmsPre, minBboxSize, scoreThr, nms: {type: 'nms', iouThreshold}, maxPerImg}",
    },
    build(options, context, path) {
      const backbone = BACKBONES.build(options.backbone, {}, `${path}.backbone`);
      let inputs: readonly FeatureSpec[] = backbone.outputSpecs;
      let neck: Neck | null = null;
      if (options.neck !== null) {
        neck = NECKS.build(options.neck, { inputs }, `${path}.neck`);
        inputs = neck.outputSpecs;
      }
      if (!isPlainObject(options.bboxHead)) throw new ConfigError(`${path}.bboxHead: expected a head config`);
      const headCfg: Record<string, unknown> = { ...options.bboxHead };
      // mmdet: bbox_head.update(train_cfg=train_cfg); bbox_head.update(test_cfg=test_cfg)
      if (options.trainCfg !== null) headCfg.trainCfg = options.trainCfg;
      if (options.testCfg !== null) headCfg.testCfg = options.testCfg;
      const head = HEADS.build(headCfg, { inputs, numClasses: context.numClasses }, `${path}.bboxHead`);
      if (!(head instanceof DenseHead)) throw new ConfigError(`${path}.bboxHead: ${name} needs a dense detection head (RetinaHead, FCOSHead)`);
      if (headClass !== null && !(head instanceof headClass)) {
        const got = (head as DenseHead).constructor.name;
        throw new ConfigError(`${path}.bboxHead: ${name} expects a ${headClass.name}, got ${got} (use type 'SingleStageDetector' for other pairings)`);
      }
      return new ctor(backbone, neck, head);
    },
  };
}

/** Registry entry of {@link RetinaNet}. */
export const retinaNetSpec = detectorSpec('RetinaNet', RetinaNet, 'RetinaNet: backbone + FPN + RetinaHead (mmdet SingleStageDetector)', RetinaHead);
/** Registry entry of {@link FCOS}. */
export const fcosSpec = detectorSpec('FCOS', FCOS, 'FCOS: backbone + FPN + FCOSHead (mmdet SingleStageDetector)', FCOSHead);
/** Registry entry of the generic {@link SingleStageDetector}. */
export const singleStageDetectorSpec = detectorSpec('SingleStageDetector', SingleStageDetector, 'one-stage detector: backbone + neck + any dense head (mmdet SingleStageDetector)', null);

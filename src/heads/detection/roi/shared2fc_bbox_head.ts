/**
 * mmdetection 3.x's `Shared2FCBBoxHead` (mmdet/models/roi_heads/bbox_heads/convfc_bbox_head.py on
 * bbox_head.py): the box head of Faster / Mask R-CNN. Each RoI's pooled `[S, S, C]` features are
 * flattened in PyTorch's `(C, S, S)` order, pass two shared fully connected layers with ReLU
 * (`shared_fcs.0`, `shared_fcs.1`), then `fc_cls` → `numClasses + 1` logits (background last) and
 * `fc_reg` → `4·numClasses` class-specific deltas (or 4 with `regClassAgnostic`).
 *
 * torchvision's `TwoMLPHead` + `FastRCNNPredictor` is the same network: `fc6`/`fc7` are the shared
 * layers and its predictor puts the background first and regresses it too (the converter reorders).
 */
import { tf } from '../../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../../core/errors.js';
import { Module, ModuleList, type Parameter } from '../../../nn/module.js';
import { Linear } from '../../../nn/layers/linear.js';
import { normal, xavierUniform, zeros } from '../../../nn/init.js';
import type { ComponentConfig } from '../../../registry/options.js';
import type { ComponentSpec } from '../../../registry/registry.js';
import type { HeadContext } from '../../../registry/registries.js';
import type { DetectionLoss, LogitLoss } from '../../../losses/loss.js';
import { DeltaXYWHBBoxCoder, type Quad } from '../../../models/task_modules/coders/delta_xywh_coder.js';
import type { SamplingResult } from '../../../models/task_modules/samplers/random_sampler.js';
import { resolveHeadNumClasses } from '../../num_classes.js';
import { buildDetectionLoss, buildLogitLoss, withConfigPath } from '../dense_head.js';

/** mmdet's R-CNN box coder: means 0, stds (0.1, 0.1, 0.2, 0.2) (= torchvision's weights 10, 10, 5, 5). */
export const RCNN_CODER_OPTIONS = {
  targetMeans: [0, 0, 0, 0] as Quad,
  targetStds: [0.1, 0.1, 0.2, 0.2] as Quad,
  clipBorder: true,
  addCtrClamp: false,
  ctrClamp: 32,
};

/** Raw outputs of the box head for `R` RoIs. */
export interface BBoxHeadOutputs {
  /** `[R, numClasses + 1]` logits, background last. */
  clsScore: tf.Tensor2D;
  /** `[R, 4·numClasses]` (or `[R, 4]` class-agnostic) normalised deltas. */
  bboxPred: tf.Tensor2D;
}

/** Host-side targets of the sampled RoIs of a batch, image-major, positives first per image (mmdet's `get_targets`). */
export interface BBoxTargets {
  /** `[R]` class per RoI, `numClasses` for background. */
  labels: Int32Array;
  /** `[P]` rows (into R) of the positives. */
  posRows: Int32Array;
  /** `[P·4]` encoded regression targets of the positives. */
  posTargets: Float32Array;
}

/** Everything {@link Shared2FCBBoxHead} is built from. */
export interface Shared2FCBBoxHeadInit {
  /** Channels `C` of the pooled features. Default 256. */
  inChannels: number;
  /** Side `S` of the pooled features. Default 7. */
  roiFeatSize: number;
  /** Width of the shared layers. Default 1024. */
  fcOutChannels: number;
  /** Foreground classes `K`. */
  numClasses: number;
  /** One box for all classes instead of one per class. Default false. */
  regClassAgnostic: boolean;
  bboxCoder: DeltaXYWHBBoxCoder;
  lossCls: LogitLoss;
  lossBbox: DetectionLoss;
}

/** The two-fc box head. State-dict names (mmdet): `shared_fcs.{0,1}.*`, `fc_cls.*`, `fc_reg.*`. */
export class Shared2FCBBoxHead extends Module {
  readonly inChannels: number;
  readonly roiFeatSize: number;
  readonly numClasses: number;
  readonly regClassAgnostic: boolean;
  readonly sharedFcs: ModuleList<Linear>;
  readonly fcCls: Linear;
  readonly fcReg: Linear;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly lossCls: LogitLoss;
  readonly lossBbox: DetectionLoss;

  constructor(init: Shared2FCBBoxHeadInit) {
    super();
    this.inChannels = init.inChannels;
    this.roiFeatSize = init.roiFeatSize;
    this.numClasses = init.numClasses;
    this.regClassAgnostic = init.regClassAgnostic;
    this.bboxCoder = init.bboxCoder;
    this.lossCls = init.lossCls;
    this.lossBbox = init.lossBbox;
    const flat = init.inChannels * init.roiFeatSize * init.roiFeatSize;
    this.sharedFcs = this.addModule('shared_fcs', new ModuleList<Linear>());
    this.sharedFcs.push(new Linear(flat, init.fcOutChannels));
    this.sharedFcs.push(new Linear(init.fcOutChannels, init.fcOutChannels));
    this.fcCls = this.addModule('fc_cls', new Linear(init.fcOutChannels, init.numClasses + 1));
    this.fcReg = this.addModule('fc_reg', new Linear(init.fcOutChannels, init.regClassAgnostic ? 4 : 4 * init.numClasses));
    // mmdet's init_cfg: Xavier-uniform shared fcs, Normal(0.01) fc_cls, Normal(0.001) fc_reg, zero biases.
    for (const fc of this.sharedFcs.items) initLinear(fc, xavierUniform(fc.weight.shape));
    initLinear(this.fcCls, normal(this.fcCls.weight.shape, 0, 0.01));
    initLinear(this.fcReg, normal(this.fcReg.weight.shape, 0, 0.001));
  }

  /** Deltas per RoI: 4·K, or 4 when class-agnostic. */
  get regColumns(): number {
    return this.regClassAgnostic ? 4 : 4 * this.numClasses;
  }

  /** `[R, S, S, C]` pooled RoI features → logits and deltas. */
  forward(roiFeats: tf.Tensor4D): BBoxHeadOutputs {
    const [r, h, w, c] = roiFeats.shape;
    if (h !== this.roiFeatSize || w !== this.roiFeatSize || c !== this.inChannels) {
      throw new ShapeError(`Shared2FCBBoxHead: expected RoI features [R, ${this.roiFeatSize}, ${this.roiFeatSize}, ${this.inChannels}], got ${formatShape(roiFeats.shape)}`);
    }
    return tf.tidy(() => {
      let x: tf.Tensor = roiFeats.transpose([0, 3, 1, 2]).reshape([r, c * h * w]); // [R, C·S·S] in PyTorch's flatten order
      for (const fc of this.sharedFcs.items) x = tf.relu(fc.forward(x));
      return { clsScore: this.fcCls.forward(x) as tf.Tensor2D, bboxPred: this.fcReg.forward(x) as tf.Tensor2D };
    });
  }

  /**
   * mmdet's `get_targets` for sampled RoIs (positives then negatives per image, `pos_weight` 1).
   * @param results one sampling result per image, in batch order.
   */
  getTargets(results: readonly SamplingResult[]): BBoxTargets {
    const labels: number[] = [];
    const posRows: number[] = [];
    const posPriors: number[] = [];
    const posGts: number[] = [];
    for (const res of results) {
      res.posInds.forEach((ind, j) => {
        posRows.push(labels.length);
        labels.push(res.posGtLabels[j]);
        for (let c = 0; c < 4; c++) posPriors.push(res.priors[ind * 4 + c]);
      });
      posGts.push(...res.posGtBboxes);
      for (let j = 0; j < res.negInds.length; j++) labels.push(this.numClasses);
    }
    return {
      labels: Int32Array.from(labels),
      posRows: Int32Array.from(posRows),
      posTargets: this.bboxCoder.encode(Float32Array.from(posPriors), Float32Array.from(posGts)),
    };
  }

  /**
   * mmdet's `BBoxHead.loss`: cross-entropy over every sampled RoI, and the box loss on the
   * positives' deltas of their gt class, averaged over all `R` RoIs.
   * @returns `loss_cls`, `loss_bbox`.
   */
  loss(out: BBoxHeadOutputs, targets: BBoxTargets): { loss_cls: tf.Scalar; loss_bbox: tf.Scalar } {
    const r = targets.labels.length;
    if (out.clsScore.shape[0] !== r) throw new ShapeError(`Shared2FCBBoxHead.loss: ${out.clsScore.shape[0]} RoIs scored but ${r} targets`);
    return tf.tidy(() => {
      const lossCls = this.lossCls.forward(out.clsScore, tf.tensor1d(targets.labels, 'int32'));
      const p = targets.posRows.length;
      let lossBbox: tf.Scalar;
      if (p === 0) {
        lossBbox = out.bboxPred.sum().mul(0) as tf.Scalar;
      } else {
        const perRoi = this.regClassAgnostic ? 1 : this.numClasses;
        const flatRows = new Int32Array(p);
        targets.posRows.forEach((row, j) => (flatRows[j] = row * perRoi + (this.regClassAgnostic ? 0 : targets.labels[row])));
        const pred = tf.gather(out.bboxPred.reshape([r * perRoi, 4]), tf.tensor1d(flatRows, 'int32')); // [P, 4]
        lossBbox = this.lossBbox.forward(pred, tf.tensor2d(targets.posTargets, [p, 4]), { avgFactor: r }) as tf.Scalar;
      }
      return { loss_cls: lossCls, loss_bbox: lossBbox };
    });
  }
}

function initLinear(fc: Linear, weight: tf.Tensor): void {
  fc.weight.variable.assign(weight);
  weight.dispose();
  if (fc.bias !== null) {
    const b = zeros((fc.bias as Parameter).shape);
    fc.bias.variable.assign(b);
    b.dispose();
  }
}

/** mmdet's `bbox_coder=dict(type='DeltaXYWHBBoxCoder', ...)` of the R-CNN head, camelCase. */
export interface RCNNCoderCfg {
  /** Only 'DeltaXYWHBBoxCoder'. */
  type: string;
  /** Default `[0, 0, 0, 0]`. */
  targetMeans: number[];
  /** Default `[0.1, 0.1, 0.2, 0.2]`. */
  targetStds: number[];
  /** Clip decoded boxes to the image. Default true. */
  clipBorder: boolean;
}

/** Options of {@link Shared2FCBBoxHead}'s spec: mmdet's names in camelCase. */
export interface Shared2FCBBoxHeadOptions {
  /** Pooled feature channels; null takes the inputs'. Default null. */
  inChannels: number | null;
  /** Pooled feature side. Default 7. */
  roiFeatSize: number;
  /** Width of the two shared layers. Default 1024. */
  fcOutChannels: number;
  /** Foreground classes; null takes the dataset's. Default null. */
  numClasses: number | null;
  /** One box for all classes. Default false. */
  regClassAgnostic: boolean;
  /** Box coder. Default means 0, stds (0.1, 0.1, 0.2, 0.2). */
  bboxCoder: RCNNCoderCfg;
  /** Classification loss. Default `{type: 'CrossEntropyLoss'}` (softmax, mean over RoIs). */
  lossCls: ComponentConfig;
  /** Regression loss. Default `{type: 'L1Loss'}` (mmdet 3.x); torchvision: `{type: 'SmoothL1Loss', beta: 1/9}`. */
  lossBbox: ComponentConfig;
}

function quad(v: number[], path: string): Quad {
  if (v.length !== 4 || v.some((x) => typeof x !== 'number')) throw new ConfigError(`${path}: expected 4 numbers, got ${JSON.stringify(v)}`);
  return [v[0], v[1], v[2], v[3]];
}

/** Registry entry of {@link Shared2FCBBoxHead}. */
export const shared2FCBBoxHeadSpec: ComponentSpec<Shared2FCBBoxHeadOptions, Shared2FCBBoxHead, HeadContext> = {
  name: 'Shared2FCBBoxHead',
  description: 'R-CNN box head (mmdet 3.x): 2 shared fcs, softmax classes + class-specific deltas',
  defaults: {
    inChannels: null,
    roiFeatSize: 7,
    fcOutChannels: 1024,
    numClasses: null,
    regClassAgnostic: false,
    bboxCoder: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [0.1, 0.1, 0.2, 0.2], clipBorder: true },
    lossCls: { type: 'CrossEntropyLoss', lossWeight: 1, lossName: 'loss_cls' },
    lossBbox: { type: 'L1Loss', lossWeight: 1 },
  },
  kinds: { inChannels: ['number', 'null'], numClasses: ['number', 'null'] },
  children: { lossCls: { registry: 'losses' }, lossBbox: { registry: 'losses' } },
  sections: {
    bboxCoder: { defaults: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [0.1, 0.1, 0.2, 0.2], clipBorder: true } },
  },
  ranges: { roiFeatSize: { integer: true, min: 1 }, fcOutChannels: { integer: true, min: 1 } },
  docs: {
    inChannels: 'pooled feature channels (null: the inputs)',
    roiFeatSize: 'pooled feature side (the box RoI extractor output size)',
    fcOutChannels: 'width of the two shared fully connected layers',
    numClasses: 'foreground classes (null: from the dataset)',
    regClassAgnostic: 'one box for all classes',
    bboxCoder: "{type: 'DeltaXYWHBBoxCoder', targetMeans, targetStds, clipBorder}",
    lossCls: "{type: 'CrossEntropyLoss'}",
    lossBbox: "{type: 'L1Loss'} or {type: 'SmoothL1Loss', beta}",
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    const inChannels = options.inChannels ?? context.inputs[0]?.channels;
    if (inChannels === undefined || !(Number.isInteger(inChannels) && inChannels > 0)) {
      throw new ConfigError(`${path}.inChannels: expected a positive integer (or null with input feature specs), got ${String(inChannels)}`);
    }
    if (options.bboxCoder.type !== 'DeltaXYWHBBoxCoder') throw new ConfigError(`${path}.bboxCoder.type: only 'DeltaXYWHBBoxCoder' is supported`);
    return withConfigPath(
      path,
      () =>
        new Shared2FCBBoxHead({
          inChannels,
          roiFeatSize: options.roiFeatSize,
          fcOutChannels: options.fcOutChannels,
          numClasses,
          regClassAgnostic: options.regClassAgnostic,
          bboxCoder: new DeltaXYWHBBoxCoder({
            ...RCNN_CODER_OPTIONS,
            targetMeans: quad(options.bboxCoder.targetMeans, `${path}.bboxCoder.targetMeans`),
            targetStds: quad(options.bboxCoder.targetStds, `${path}.bboxCoder.targetStds`),
            clipBorder: options.bboxCoder.clipBorder,
          }),
          lossCls: buildLogitLoss(options.lossCls, `${path}.lossCls`, 'labels', 'Shared2FCBBoxHead.lossCls'),
          lossBbox: buildDetectionLoss(options.lossBbox, `${path}.lossBbox`, 'box-deltas', 'Shared2FCBBoxHead.lossBbox'),
        }),
    );
  },
};

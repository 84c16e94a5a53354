/**
 * Generalized-IoU loss `1 − GIoU(pred, target)` on aligned x1,y1,x2,y2 boxes, as
 * mmdetection's `GIoULoss` (mmdet/models/losses/iou_loss.py with
 * `bbox_overlaps(mode='giou', is_aligned=True)`, mmdet 3.x): the union and the
 * enclosing area are clamped to at least `eps`.
 */
import type { DetectionLoss, DetectionLossKind } from './loss.js';
import { tf } from '../core/tf.js';
import type { ComponentSpec } from '../registry/registry.js';
import { LOSS_REDUCTIONS, assertSameShape, checkReduction, weightReduceLoss, type LossCallOptions, type LossReduction } from './weight_reduce_loss.js';
import { RANGES } from '../registry/options.js';

function cols(boxes: tf.Tensor2D): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  const [x1, y1, x2, y2] = tf.split(boxes, 4, 1);
  return [x1.reshape([-1]), y1.reshape([-1]), x2.reshape([-1]), y2.reshape([-1])];
}

/**
 * Element-wise GIoU loss.
 * @param pred `[N, 4]` predicted boxes (FCOS: decoded from the positives' distances).
 * @param target `[N, 4]` target boxes.
 * @param eps lower bound of the union and the enclosing area. Default 1e-6 (mmdet `GIoULoss`).
 * @returns `[N]` `1 − GIoU`, in [0, 2].
 */
export function giouLossElementwise(pred: tf.Tensor2D, target: tf.Tensor2D, eps = 1e-6): tf.Tensor1D {
  assertSameShape('giouLoss', pred, target);
  return tf.tidy(() => {
    const [px1, py1, px2, py2] = cols(pred);
    const [tx1, ty1, tx2, ty2] = cols(target);
    const area1 = px2.sub(px1).mul(py2.sub(py1));
    const area2 = tx2.sub(tx1).mul(ty2.sub(ty1));
    // tf.maximum passes the gradient at equality, like torch's clamp(min=0).
    const w = tf.maximum(tf.minimum(px2, tx2).sub(tf.maximum(px1, tx1)), 0);
    const h = tf.maximum(tf.minimum(py2, ty2).sub(tf.maximum(py1, ty1)), 0);
    const overlap = w.mul(h);
    const union = tf.maximum(area1.add(area2).sub(overlap), eps);
    const ious = overlap.div(union);
    const ew = tf.maximum(tf.maximum(px2, tx2).sub(tf.minimum(px1, tx1)), 0);
    const eh = tf.maximum(tf.maximum(py2, ty2).sub(tf.minimum(py1, ty1)), 0);
    const enclose = tf.maximum(ew.mul(eh), eps);
    const gious = ious.sub(enclose.sub(union).div(enclose));
    return tf.scalar(1).sub(gious) as tf.Tensor1D;
  });
}

/**
 * GIoU loss summed over the boxes. mmdet's FCOS weights each box by its
 * centerness target and divides by their sum: do that in the caller, or use
 * {@link GIoULoss} with `weight` and `avgFactor`.
 * @returns scalar sum of `1 − GIoU`.
 */
export function giouLoss(pred: tf.Tensor2D, target: tf.Tensor2D, eps = 1e-6): tf.Scalar {
  return tf.tidy(() => giouLossElementwise(pred, target, eps).sum() as tf.Scalar);
}

/** Options of {@link GIoULoss}; mmdet's arguments in camelCase. */
export interface GIoULossOptions {
  /** Lower bound of the union and the enclosing area. Default 1e-6. */
  eps: number;
  /** Reduction of the weighted loss. Default 'mean'. */
  reduction: LossReduction;
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
}

/** mmdet's `GIoULoss`. */
export class GIoULoss implements DetectionLoss {
  /** What it computes (see DetectionLossKind). */
  readonly detectionKinds: readonly DetectionLossKind[] = ['boxes-xyxy'];

  /** @param options resolved options (see {@link giouLossSpec}). */
  constructor(readonly options: GIoULossOptions) {
    checkReduction('GIoULoss', options.reduction);
  }

  /**
   * @param pred `[N, 4]` boxes.
   * @param target `[N, 4]` boxes.
   * @param call `weight` `[N]` (or `[N, 4]`, averaged over the last axis as mmdet does),
   *   `avgFactor` (FCOS: the sum of the positives' centerness targets).
   * @returns scalar (or `[N]` for 'none'), times `lossWeight`. When a weight is
   *   given and none is > 0 it returns `Σ pred·weight` (zero, but connected to
   *   `pred`), as mmdet does.
   */
  forward(pred: tf.Tensor2D, target: tf.Tensor2D, call: LossCallOptions = {}): tf.Tensor {
    const reduction = call.reductionOverride ?? this.options.reduction;
    let weight = call.weight ?? null;
    if (weight !== null && !anyPositive(weight)) {
      const w = weight;
      return tf.tidy(() => pred.mul(w.rank === 1 ? w.reshape([-1, 1]) : w).sum());
    }
    return tf.tidy(() => {
      if (weight !== null && weight.rank > 1) weight = weight.mean(-1);
      const loss = giouLossElementwise(pred, target, this.options.eps);
      return weightReduceLoss(loss, weight, reduction, call.avgFactor ?? null).mul(this.options.lossWeight);
    });
  }
}

function anyPositive(weight: tf.Tensor): boolean {
  const data = weight.dataSync();
  for (let i = 0; i < data.length; i++) if (data[i] > 0) return true;
  return false;
}

/** Registry entry of {@link GIoULoss}. */
export const giouLossSpec: ComponentSpec<GIoULossOptions, GIoULoss, unknown> = {
  name: 'GIoULoss',
  description: 'generalized-IoU box loss on x1,y1,x2,y2 boxes, mmdet semantics',
  defaults: { eps: 1e-6, reduction: 'mean', lossWeight: 1 },
  ranges: { eps: RANGES.positive, lossWeight: RANGES.nonNegative },
  docs: {
    eps: 'lower bound of the union and the enclosing area',
    reduction: `reduction of the weighted loss: ${LOSS_REDUCTIONS.join(' | ')}`,
    lossWeight: 'multiplier of the loss',
  },
  build: (options) => new GIoULoss(options),
};

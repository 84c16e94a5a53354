/**
 * Binary cross-entropy on logits, as `torch.nn.functional.binary_cross_entropy_with_logits`
 * (what mmdet's `CrossEntropyLoss(use_sigmoid=True)` computes, e.g. FCOS's
 * centerness loss).
 */
import type { DetectionLoss, DetectionLossKind } from './loss.js';
import { tf } from '../core/tf.js';
import { RANGES } from '../registry/options.js';
import type { ComponentSpec } from '../registry/registry.js';
import { assertSameShape, weightReduceLoss, type LossCallOptions } from './weight_reduce_loss.js';

/**
 * `max(x, 0) − x·t + log(1 + e^−|x|)` with PyTorch's gradients
 * (`σ(x) − t` for the logits, `−x` for the targets), exact at x = 0 too.
 */
const bceKernel = tf.customGrad((x, t, save) => {
  const logits = x as tf.Tensor;
  const targets = t as tf.Tensor;
  (save as tf.GradSaveFunc)([logits, targets]);
  const value = tf
    .relu(logits)
    .sub(logits.mul(targets))
    .add(tf.log1p(tf.exp(tf.abs(logits).neg())));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ts] = saved;
      return [dy.mul(tf.sigmoid(xs).sub(ts)), dy.mul(xs.neg())];
    },
  };
});

/**
 * Element-wise binary cross-entropy with logits.
 * @param logits any shape.
 * @param targets same shape as `logits`, values in [0, 1] (soft targets allowed).
 * @returns loss shaped like `logits`.
 */
export function bceWithLogitsElementwise(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  assertSameShape('bceWithLogits', logits, targets);
  return bceKernel(logits, targets.cast('float32'));
}

/**
 * Binary cross-entropy with logits, summed over all elements. mmdet's FCOS
 * divides its centerness loss by the number of positives (`avg_factor=num_pos`):
 * do that in the caller, or use {@link bceWithLogitsElementwise} with
 * `weightReduceLoss(loss, null, 'mean', numPos)`.
 * @param logits any shape (FCOS: `[P]` centerness logits of the positives).
 * @param targets same shape, in [0, 1] (FCOS: the centerness targets).
 * @returns scalar sum.
 */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => bceWithLogitsElementwise(logits, targets).sum() as tf.Scalar);
}

/** Options of {@link BCEWithLogitsLoss}. */
export interface BCEWithLogitsLossOptions {
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
}

/**
 * Binary cross-entropy on logits with element weights and mmdet's `avg_factor`: mmdet's
 * `CrossEntropyLoss(use_sigmoid=True)` (the RPN's objectness loss, one logit per anchor) and
 * torchvision's `F.binary_cross_entropy_with_logits` (mean) on the sampled anchors.
 */
export class BCEWithLogitsLoss implements DetectionLoss {
  /** What it computes (see DetectionLossKind). */
  readonly detectionKinds: readonly DetectionLossKind[] = ['binary-logits'];

  constructor(readonly options: BCEWithLogitsLossOptions) {}

  /**
   * @param logits any shape (RPN: `[B·N]` objectness logits).
   * @param targets same shape, in [0, 1] (RPN: 1 for positive anchors, 0 else).
   * @param call `weight` (RPN: 1 on sampled anchors, 0 elsewhere) and `avgFactor` (RPN: the
   *   number of sampled anchors); without `avgFactor`, the (weighted) mean over all elements.
   * @returns scalar.
   */
  forward(logits: tf.Tensor, targets: tf.Tensor, call: LossCallOptions = {}): tf.Scalar {
    return tf.tidy(() => weightReduceLoss(bceWithLogitsElementwise(logits, targets), call.weight ?? null, 'mean', call.avgFactor ?? null).mul(this.options.lossWeight) as tf.Scalar);
  }
}

/** Registry entry of {@link BCEWithLogitsLoss}. */
export const bceWithLogitsLossSpec: ComponentSpec<BCEWithLogitsLossOptions, BCEWithLogitsLoss, unknown> = {
  name: 'BCEWithLogitsLoss',
  description: "binary cross-entropy on logits (mmdet's CrossEntropyLoss with use_sigmoid=True), element weights, avg_factor",
  defaults: { lossWeight: 1 },
  ranges: { lossWeight: RANGES.nonNegative },
  docs: { lossWeight: 'multiplier of the loss' },
  build: (options) => new BCEWithLogitsLoss(options),
};

/**
 * Sigmoid focal loss (Lin et al., RetinaNet), as torchvision's
 * `sigmoid_focal_loss` / mmcv's `sigmoid_focal_loss` / mmdet's
 * `py_sigmoid_focal_loss` (all equal): with p = σ(x) and one-hot targets t,
 *   `loss = α_t · (1 − p_t)^γ · BCE(x, t)`,
 *   `p_t = p·t + (1 − p)(1 − t)`, `α_t = α·t + (1 − α)(1 − t)`;
 * and mmdet's `FocalLoss` module (mmdet/models/losses/focal_loss.py, 3.x).
 */
import type { DetectionLoss, DetectionLossKind } from './loss.js';
import { tf } from '../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import { bceWithLogitsElementwise } from './bce_with_logits.js';
import { LOSS_REDUCTIONS, checkReduction, weightReduceLoss, type LossCallOptions, type LossReduction } from './weight_reduce_loss.js';
import { RANGES } from '../registry/options.js';

/** α and γ of the focal loss. */
export interface FocalParams {
  /** Weight of the positive class, or < 0 to disable class weighting. Default 0.25. */
  alpha?: number;
  /** Focusing exponent. Default 2. */
  gamma?: number;
}

/**
 * Element-wise sigmoid focal loss.
 * @param logits `[N, K]` class logits (no background column).
 * @param targets `[N, K]` one-hot (or soft) targets; a background prior is all zeros.
 * @returns `[N, K]` loss.
 */
export function sigmoidFocalLossElementwise(logits: tf.Tensor2D, targets: tf.Tensor2D, params: FocalParams = {}): tf.Tensor2D {
  const alpha = params.alpha ?? 0.25;
  const gamma = params.gamma ?? 2;
  return tf.tidy(() => {
    const t = targets.cast('float32');
    const p = tf.sigmoid(logits);
    const ce = bceWithLogitsElementwise(logits, t);
    const pt = p.mul(t).add(tf.scalar(1).sub(p).mul(tf.scalar(1).sub(t)));
    const oneMinusPt = tf.scalar(1).sub(pt);
    const modulator = gamma === 2 ? oneMinusPt.square() : gamma === 1 ? oneMinusPt : tf.pow(oneMinusPt, gamma);
    let loss = ce.mul(modulator);
    if (alpha >= 0)
      loss = loss.mul(
        t.mul(alpha).add(
          tf
            .scalar(1)
            .sub(t)
            .mul(1 - alpha),
        ),
      );
    return loss as tf.Tensor2D;
  });
}

/**
 * Sigmoid focal loss summed over all priors and classes (torchvision's
 * `reduction='sum'`). mmdet divides it by the number of positive priors
 * (RetinaNet: `avg_factor = num_pos`; FCOS: `max(num_pos, 1)`): the caller does that.
 * @param logits `[N, K]`.
 * @param targets `[N, K]` one-hot, all-zero rows for background.
 * @returns scalar sum.
 */
export function sigmoidFocalLoss(logits: tf.Tensor2D, targets: tf.Tensor2D, params: FocalParams = {}): tf.Scalar {
  return tf.tidy(() => sigmoidFocalLossElementwise(logits, targets, params).sum() as tf.Scalar);
}

/**
 * One-hot targets `[N, K]` from class indices in `[0, K]`, index K (background)
 * giving an all-zero row (mmdet's `one_hot(target, K + 1)[:, :K]`).
 * @param labels `[N]` int32.
 * @param numClasses K.
 */
export function labelsToOneHot(labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.tidy(
    () =>
      tf
        .oneHot(labels.cast('int32'), numClasses + 1)
        .slice([0, 0], [-1, numClasses])
        .cast('float32') as tf.Tensor2D,
  );
}

/** Options of {@link FocalLoss}; mmdet's `FocalLoss` arguments in camelCase. */
export interface FocalLossOptions {
  /** Sigmoid (not softmax) classification; only true is supported, as in mmdet. Default true. */
  useSigmoid: boolean;
  /** Focusing exponent γ. Default 2. */
  gamma: number;
  /** Positive-class weight α. Default 0.25. */
  alpha: number;
  /** Reduction of the weighted element-wise loss. Default 'mean'. */
  reduction: LossReduction;
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
}

/** mmdet's `FocalLoss` (sigmoid), with per-prior weights and `avgFactor`. */
export class FocalLoss implements DetectionLoss {
  /** What it computes (see DetectionLossKind). */
  readonly detectionKinds: readonly DetectionLossKind[] = ['sigmoid-labels'];

  /** @param options resolved options (see {@link focalLossSpec} for defaults). */
  constructor(readonly options: FocalLossOptions) {
    if (!options.useSigmoid) throw new ConfigError('FocalLoss: only useSigmoid = true is supported');
    checkReduction('FocalLoss', options.reduction);
  }

  /**
   * @param pred `[N, K]` logits.
   * @param target `[N]` int32 labels in `[0, K]` (K = background) or `[N, K]` one-hot targets.
   * @param call `weight` `[N]` (per prior) or `[N, K]`; `avgFactor` (RetinaNet: number of positives).
   * @returns scalar (or `[N, K]` for reduction 'none'), times `lossWeight`.
   */
  forward(pred: tf.Tensor2D, target: tf.Tensor1D | tf.Tensor2D, call: LossCallOptions = {}): tf.Tensor {
    const [n, k] = pred.shape;
    if (target.shape[0] !== n || (target.rank === 2 && target.shape[1] !== k)) {
      throw new ShapeError(`FocalLoss: logits ${formatShape(pred.shape)} but target ${formatShape(target.shape)}`);
    }
    const reduction = call.reductionOverride ?? this.options.reduction;
    return tf.tidy(() => {
      const onehot = target.rank === 1 ? labelsToOneHot(target as tf.Tensor1D, k) : (target as tf.Tensor2D);
      const loss = sigmoidFocalLossElementwise(pred, onehot, this.options);
      let weight = call.weight ?? null;
      if (weight !== null && weight.rank === 1 && weight.shape[0] === n) weight = weight.reshape([n, 1]);
      else if (weight !== null && weight.size === n * k) weight = weight.reshape([n, k]);
      return weightReduceLoss(loss, weight, reduction, call.avgFactor ?? null).mul(this.options.lossWeight);
    });
  }
}

/** Registry entry of {@link FocalLoss}. */
export const focalLossSpec: ComponentSpec<FocalLossOptions, FocalLoss, unknown> = {
  name: 'FocalLoss',
  description: 'sigmoid focal loss (RetinaNet/FCOS classification), mmdet semantics',
  defaults: { useSigmoid: true, gamma: 2, alpha: 0.25, reduction: 'mean', lossWeight: 1 },
  ranges: { gamma: RANGES.nonNegative, alpha: RANGES.ratio, lossWeight: RANGES.nonNegative },
  docs: {
    useSigmoid: 'sigmoid classification (only true is supported)',
    gamma: 'focusing exponent γ',
    alpha: 'positive-class weight α',
    reduction: `reduction of the weighted loss: ${LOSS_REDUCTIONS.join(' | ')}`,
    lossWeight: 'multiplier of the loss',
  },
  build: (options) => new FocalLoss(options),
};

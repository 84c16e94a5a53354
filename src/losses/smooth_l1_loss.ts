/**
 * L1 and smooth-L1 regression losses, as mmdetection's `L1Loss` / `SmoothL1Loss`
 * (mmdet/models/losses/smooth_l1_loss.py, mmdet 3.x) and torch's
 * `l1_loss` / `smooth_l1_loss(beta)`.
 *
 * RetinaNet in mmdet 3.x regresses its deltas with `L1Loss` (loss_weight 1);
 * `SmoothL1Loss`'s default beta is 1.0 (the old Detectron RetinaNet used 0.11 ≈ 1/9).
 */
import type { DetectionLoss, DetectionLossKind } from './loss.js';
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import { LOSS_REDUCTIONS, absWithTorchGrad, checkReduction, assertSameShape, weightReduceLoss, type LossCallOptions, type LossReduction } from './weight_reduce_loss.js';
import { RANGES } from '../registry/options.js';

/**
 * Element-wise |pred − target|.
 * @param pred any shape (RetinaNet: `[P, 4]` deltas of the positives).
 * @param target same shape.
 * @returns loss shaped like `pred`.
 */
export function l1LossElementwise(pred: tf.Tensor, target: tf.Tensor): tf.Tensor {
  assertSameShape('l1Loss', pred, target);
  return tf.tidy(() => absWithTorchGrad(pred.sub(target)));
}

/**
 * Element-wise smooth L1: `0.5·d²/β` where `d = |pred − target| < β`, else `d − 0.5·β`.
 * @param beta threshold β > 0. Default 1 (mmdet's default).
 * @returns loss shaped like `pred`.
 */
export function smoothL1LossElementwise(pred: tf.Tensor, target: tf.Tensor, beta = 1): tf.Tensor {
  assertSameShape('smoothL1Loss', pred, target);
  if (!(beta > 0)) throw new RangeError(`smoothL1Loss: beta must be > 0, got ${beta}`);
  return tf.tidy(() => {
    // 0.5·m²/β + (d − m) with m = min(d, β): the same value and gradient as
    // torch's `where(d < β, 0.5·d²/β, d − 0.5·β)`, without a comparison on the tape.
    const d = absWithTorchGrad(pred.sub(target));
    const m = tf.minimum(d, beta);
    return m
      .square()
      .mul(0.5 / beta)
      .add(d.sub(m));
  });
}

/** Σ |pred − target| (torch `l1_loss(reduction='sum')`); mmdet averages by `avg_factor` in the caller. */
export function l1Loss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => l1LossElementwise(pred, target).sum() as tf.Scalar);
}

/** Σ smooth-L1(pred − target; β) (torch `smooth_l1_loss(beta, reduction='sum')`). Default β = 1. */
export function smoothL1Loss(pred: tf.Tensor, target: tf.Tensor, beta = 1): tf.Scalar {
  return tf.tidy(() => smoothL1LossElementwise(pred, target, beta).sum() as tf.Scalar);
}

/** Options of {@link L1Loss}. */
export interface L1LossOptions {
  /** Reduction of the weighted element-wise loss. Default 'mean'. */
  reduction: LossReduction;
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
}

/** Options of {@link SmoothL1Loss}. */
export interface SmoothL1LossOptions extends L1LossOptions {
  /** Threshold β between the quadratic and linear parts. Default 1. */
  beta: number;
}

/** Shared `forward` of the two modules. */
function forwardReduced(elementwise: tf.Tensor, options: L1LossOptions, call: LossCallOptions): tf.Tensor {
  const reduction = call.reductionOverride ?? options.reduction;
  return weightReduceLoss(elementwise, call.weight ?? null, reduction, call.avgFactor ?? null).mul(options.lossWeight);
}

/** mmdet's `L1Loss`. */
export class L1Loss implements DetectionLoss {
  /** What it computes (see DetectionLossKind). */
  readonly detectionKinds: readonly DetectionLossKind[] = ['box-deltas'];

  /** @param options resolved options (see {@link l1LossSpec}). */
  constructor(readonly options: L1LossOptions) {
    checkReduction('L1Loss', options.reduction);
  }

  /**
   * @param pred `[N, 4]` (any shape).
   * @param target same shape.
   * @param call `weight` (same shape, e.g. bbox weights `[N, 4]`), `avgFactor` (RetinaNet: number of positives).
   * @returns scalar (or the element-wise loss for 'none'), times `lossWeight`.
   */
  forward(pred: tf.Tensor, target: tf.Tensor, call: LossCallOptions = {}): tf.Tensor {
    return tf.tidy(() => forwardReduced(l1LossElementwise(pred, target), this.options, call));
  }
}

/** mmdet's `SmoothL1Loss`. */
export class SmoothL1Loss implements DetectionLoss {
  /** What it computes (see DetectionLossKind). */
  readonly detectionKinds: readonly DetectionLossKind[] = ['box-deltas'];

  /** @param options resolved options (see {@link smoothL1LossSpec}). */
  constructor(readonly options: SmoothL1LossOptions) {
    if (!(options.beta > 0)) throw new ConfigError(`SmoothL1Loss: beta must be > 0, got ${options.beta}`);
    checkReduction('SmoothL1Loss', options.reduction);
  }

  /** As {@link L1Loss.forward}. */
  forward(pred: tf.Tensor, target: tf.Tensor, call: LossCallOptions = {}): tf.Tensor {
    return tf.tidy(() => forwardReduced(smoothL1LossElementwise(pred, target, this.options.beta), this.options, call));
  }
}

const REDUCTION_DOC = `reduction of the weighted loss: ${LOSS_REDUCTIONS.join(' | ')}`;

/** Registry entry of {@link L1Loss}. */
export const l1LossSpec: ComponentSpec<L1LossOptions, L1Loss, unknown> = {
  name: 'L1Loss',
  description: 'L1 regression loss (RetinaNet box deltas), mmdet semantics',
  defaults: { reduction: 'mean', lossWeight: 1 },
  ranges: { lossWeight: RANGES.nonNegative },
  docs: { reduction: REDUCTION_DOC, lossWeight: 'multiplier of the loss' },
  build: (options) => new L1Loss(options),
};

/** Registry entry of {@link SmoothL1Loss}. */
export const smoothL1LossSpec: ComponentSpec<SmoothL1LossOptions, SmoothL1Loss, unknown> = {
  name: 'SmoothL1Loss',
  description: 'smooth-L1 regression loss with threshold beta, mmdet semantics',
  defaults: { beta: 1, reduction: 'mean', lossWeight: 1 },
  ranges: { beta: RANGES.positive, lossWeight: RANGES.nonNegative },
  docs: { beta: 'threshold β > 0 of the quadratic part', reduction: REDUCTION_DOC, lossWeight: 'multiplier of the loss' },
  build: (options) => new SmoothL1Loss(options),
};

/**
 * The weighting and reduction shared by mmdetection's losses
 * (`weight_reduce_loss` in mmdet/models/losses/utils.py, mmdet 3.x).
 */
import { tf } from '../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../core/errors.js';

/** How an element-wise loss becomes the returned value. */
export type LossReduction = 'none' | 'mean' | 'sum';

/** The reductions, for option validation. */
export const LOSS_REDUCTIONS: readonly LossReduction[] = ['none', 'mean', 'sum'];

/** `torch.finfo(torch.float32).eps`, added to `avgFactor` by mmdet. */
export const FLOAT32_EPS = 1.1920928955078125e-7;

/**
 * Throws a ConfigError unless `reduction` is one of {@link LOSS_REDUCTIONS}.
 * @param owner the loss, for the message.
 */
export function checkReduction(owner: string, reduction: string): void {
  if (!(LOSS_REDUCTIONS as readonly string[]).includes(reduction)) {
    throw new ConfigError(`${owner}: reduction must be one of ${LOSS_REDUCTIONS.join(', ')}, got '${reduction}'`);
  }
}

/** Per-call arguments of the mmdet-style loss classes (`forward(pred, target, …)`). */
export interface LossCallOptions {
  /** Element weights, broadcastable to the element-wise loss, or null. Default null. */
  weight?: tf.Tensor | null;
  /** Divide the weighted sum by `avgFactor + ε` instead of the element count (reduction 'mean' only), or null. Default null. */
  avgFactor?: number | null;
  /** Reduction for this call instead of the configured one, or null. Default null. */
  reductionOverride?: LossReduction | null;
}

/**
 * Multiplies by `weight`, then reduces:
 *   - no `avgFactor`: 'mean' → mean, 'sum' → sum, 'none' → the weighted loss;
 *   - with `avgFactor`: 'mean' → `Σ loss / (avgFactor + ε)`, 'none' → the weighted loss,
 *     'sum' → error (as mmdet).
 * @param loss element-wise loss, any shape.
 * @param weight broadcastable to `loss`, or null.
 * @returns a scalar, or a tensor shaped like `loss` for 'none'.
 */
export function weightReduceLoss(loss: tf.Tensor, weight: tf.Tensor | null, reduction: LossReduction, avgFactor: number | null): tf.Tensor {
  return tf.tidy(() => {
    const weighted = weight === null ? loss : loss.mul(weight);
    if (avgFactor === null) {
      if (reduction === 'mean') return weighted.size === 0 ? weighted.sum().mul(0) : weighted.mean();
      if (reduction === 'sum') return weighted.sum();
      return weighted.clone();
    }
    if (reduction === 'mean') return weighted.sum().div(avgFactor + FLOAT32_EPS);
    if (reduction === 'none') return weighted.clone();
    throw new RangeError('weightReduceLoss: avgFactor cannot be used with reduction "sum"');
  });
}

/** Throws unless `a` and `b` have the same shape. */
export function assertSameShape(what: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${what}: prediction ${formatShape(a.shape)} but target ${formatShape(b.shape)}`);
  }
}

/**
 * |x| with PyTorch's gradient `sign(x)` (0 at 0; tfjs's `abs` gives −1 there).
 * @returns a tensor shaped like `x`.
 */
export function absWithTorchGrad(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => x.mul(tf.sign(x)));
}

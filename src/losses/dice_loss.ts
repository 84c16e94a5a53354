import { tf } from '../core/tf.js';
import { ShapeError, formatShape } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { LogitLoss, LogitTarget } from './loss.js';
import { RANGES } from '../registry/options.js';

/** Options of {@link DiceLoss}. */
export interface DiceLossOptions {
  /** Added to numerator and denominator. Default 1. */
  smooth: number;
  /** Exponent of the denominator terms `Σp^e + Σt^e`. Default 2. */
  exponent: number;
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
  /** Per-class weights `[K]`, or null. Default null. */
  classWeight: number[] | null;
  /**
   * Label value marking ignored pixels (their numerator terms are masked), or null.
   * As in mmseg, this option — not the head's `ignoreIndex` — is what the loss uses. Default 255.
   */
  ignoreIndex: number | null;
  /** Name of the loss term in logs. Default 'loss_dice'. */
  lossName: string;
}

/**
 * mmsegmentation 1.x's `DiceLoss` (`mmseg/models/losses/dice_loss.py`, the V-Net
 * form with `smooth` and `exponent`, reduction `'mean'`):
 *
 * with `p = softmax(logits)` and `t = onehot(clamp(label, 0, K−1))` per pixel,
 * for each image b and class k:
 * `d[b,k] = 1 − (2·Σ p·t·valid + smooth) / (Σ (p^e + t^e) + smooth)`
 * where `valid = label ≠ ignoreIndex` masks only the numerator (ignored pixels still
 * count in the denominator, as a one-hot of class K−1 after clamping — mmseg's
 * behaviour). The loss is `lossWeight · (1/K) · Σ_{k ≠ ignoreIndex} w_k · mean_b d[b,k]`.
 */
export class DiceLoss implements LogitLoss {
  readonly targets: readonly LogitTarget[] = ['pixels'];

  constructor(readonly options: DiceLossOptions) {}

  /** Name of the term in loss dicts. */
  get name(): string {
    return this.options.lossName;
  }

  /**
   * @param logits `[B, H, W, K]` unnormalised scores.
   * @param labels `[B, H, W]` int32 class indices (the option `ignoreIndex` marks ignored pixels;
   *   a per-call ignore index is not used, as in mmseg).
   * @returns scalar loss.
   */
  forward(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
    if (logits.rank !== 4) throw new ShapeError(`DiceLoss: logits must be [B, H, W, K], got ${formatShape(logits.shape)}`);
    const [b, h, w, k] = logits.shape;
    if (labels.rank !== 3 || labels.shape[0] !== b || labels.shape[1] !== h || labels.shape[2] !== w) {
      throw new ShapeError(`DiceLoss: logits ${formatShape(logits.shape)} and labels ${formatShape(labels.shape)} differ in [B, H, W]`);
    }
    const { smooth, exponent, lossWeight, classWeight, ignoreIndex } = this.options;
    if (classWeight !== null && classWeight.length !== k) {
      throw new ShapeError(`DiceLoss: classWeight has ${classWeight.length} entries for ${k} classes`);
    }
    return tf.tidy(() => {
      const probs = tf.softmax(logits.reshape([b, h * w, k]), -1); // [B, N, K]
      const flatLabels = labels.reshape([b, h * w]).cast('int32'); // [B, N]
      // maximum/minimum, not clipByValue: the wasm backend's clipByValue ignores the bounds on int32 (tfjs 4.22).
      const clamped = flatLabels.maximum(tf.scalar(0, 'int32')).minimum(tf.scalar(k - 1, 'int32')); // [B, N]
      const onehot = tf.oneHot(clamped, k).cast('float32'); // [B, N, K]
      const valid = ignoreIndex === null ? tf.onesLike(flatLabels).cast('float32') : flatLabels.notEqual(tf.scalar(ignoreIndex, 'int32')).cast('float32'); // [B, N]
      const num = probs.mul(onehot).mul(valid.expandDims(-1)).sum(1).mul(2).add(smooth); // [B, K]
      const probPow = exponent === 2 ? probs.square() : probs.pow(exponent);
      const targetPow = exponent === 0 ? tf.onesLike(onehot) : onehot; // t ∈ {0, 1}: t^e = t for e > 0
      const den = probPow.add(targetPow).sum(1).add(smooth); // [B, K]
      const perClass = tf.onesLike(num).sub(num.div(den)).mean(0); // [K], mean over the batch
      const weights = new Float32Array(k);
      for (let c = 0; c < k; c++) weights[c] = c === ignoreIndex ? 0 : (classWeight?.[c] ?? 1);
      return perClass.mul(tf.tensor1d(weights)).sum().div(k).mul(lossWeight) as tf.Scalar;
    });
  }
}

/** Registry entry of {@link DiceLoss}. */
export const diceLossSpec: ComponentSpec<DiceLossOptions, DiceLoss, unknown> = {
  name: 'DiceLoss',
  description: 'mmseg 1.x soft Dice loss on softmax probabilities (smooth, exponent, ignore index)',
  defaults: { smooth: 1, exponent: 2, lossWeight: 1, classWeight: null, ignoreIndex: 255, lossName: 'loss_dice' },
  kinds: { classWeight: ['array', 'null'], ignoreIndex: ['number', 'null'] },
  ranges: { smooth: RANGES.nonNegative, exponent: RANGES.positive, lossWeight: RANGES.nonNegative, classWeight: RANGES.nonNegative, ignoreIndex: RANGES.integer },
  docs: {
    smooth: 'added to numerator and denominator',
    exponent: 'exponent of the denominator terms',
    lossWeight: 'multiplier of the loss',
    classWeight: 'per-class weights',
    ignoreIndex: "label value of ignored pixels (the loss's own, as in mmseg)",
    lossName: 'name of the term in logs',
  },
  build: (options) => new DiceLoss(options),
};

import { RANGES } from '../registry/options.js';
import { tf } from '../core/tf.js';
import { ShapeError, formatShape } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';

/** Options of {@link CrossEntropyLoss}. */
export interface CrossEntropyLossOptions {
  /** Multiplier of the loss. Default 1. */
  lossWeight: number;
  /** Label smoothing ε: target = (1−ε)·onehot + ε/K. Default 0. */
  labelSmoothing: number;
  /** Per-class weights `[K]`, or null. Default null. */
  classWeight: number[] | null;
  /** Name of the loss term in logs. Default 'loss_ce'. */
  lossName: string;
}

/**
 * Softmax cross-entropy over the last axis, averaged over the targets that are
 * not ignored (mmsegmentation's `avg_non_ignore=True`): with class weights w,
 * `Σ w[y]·ce / #non-ignored`.
 */
export class CrossEntropyLoss {
  constructor(readonly options: CrossEntropyLossOptions) {}

  /** Name of the term in loss dicts. */
  get name(): string {
    return this.options.lossName;
  }

  /**
   * @param logits `[N, K]`
   * @param labels `[N]` int32 class indices; entries equal to `ignoreIndex` are skipped.
   * @param ignoreIndex label value to skip, or null. Default null.
   * @returns scalar loss (0 when every target is ignored).
   */
  forward(logits: tf.Tensor2D, labels: tf.Tensor1D, ignoreIndex: number | null = null): tf.Scalar {
    const [n, k] = logits.shape;
    if (labels.shape[0] !== n) {
      throw new ShapeError(`CrossEntropyLoss: ${n} logits rows but labels ${formatShape(labels.shape)}`);
    }
    const { labelSmoothing: eps, classWeight, lossWeight } = this.options;
    if (classWeight !== null && classWeight.length !== k) {
      throw new ShapeError(`CrossEntropyLoss: classWeight has ${classWeight.length} entries for ${k} classes`);
    }
    return tf.tidy(() => {
      const valid = ignoreIndex === null ? tf.onesLike(labels).cast('float32') : labels.notEqual(ignoreIndex).cast('float32'); // [N]
      const safeLabels = ignoreIndex === null ? labels : labels.mul(valid.cast('int32')); // ignored → class 0
      const logp = tf.logSoftmax(logits, -1); // [N, K]
      const onehot = tf.oneHot(safeLabels.cast('int32'), k).cast('float32'); // [N, K]
      let perSample = logp.mul(onehot).sum(-1).neg(); // [N]
      if (eps > 0) perSample = perSample.mul(1 - eps).add(logp.mean(-1).neg().mul(eps));
      if (classWeight !== null) perSample = perSample.mul(onehot.mul(tf.tensor1d(classWeight)).sum(-1));
      const count = valid.sum().maximum(1);
      return perSample.mul(valid).sum().div(count).mul(lossWeight) as tf.Scalar;
    });
  }
}

/** Registry entry of {@link CrossEntropyLoss}. */
export const crossEntropyLossSpec: ComponentSpec<CrossEntropyLossOptions, CrossEntropyLoss, unknown> = {
  name: 'CrossEntropyLoss',
  description: 'softmax cross-entropy with label smoothing, class weights and an ignore index',
  defaults: { lossWeight: 1, labelSmoothing: 0, classWeight: null, lossName: 'loss_ce' },
  kinds: { classWeight: ['array', 'null'] },
  ranges: { lossWeight: RANGES.nonNegative, labelSmoothing: { min: 0, max: 1, maxExclusive: true }, classWeight: RANGES.nonNegative },
  docs: {
    lossWeight: 'multiplier of the loss',
    labelSmoothing: 'ε of label smoothing',
    classWeight: 'per-class weights',
    lossName: 'name of the term in logs',
  },
  build: (options) => new CrossEntropyLoss(options),
};

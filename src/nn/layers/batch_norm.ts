import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { ones, zeros } from '../init.js';
import { isRecomputing } from '../checkpoint.js';
import { normalizeAffine } from '../functional/normalize.js';

/** Options of {@link BatchNorm2d}. */
export interface BatchNorm2dOptions {
  /** Added to the variance. Default 1e-5 (PyTorch's). */
  eps?: number;
  /**
   * Weight of the current batch in the running statistics,
   * `running = (1 − momentum)·running + momentum·batch`. Default 0.1.
   * `null` uses a cumulative average (factor `1/num_batches_tracked`), as PyTorch does.
   */
  momentum?: number | null;
  /** Learn a per-channel scale and shift. Default `true`. */
  affine?: boolean;
}

/**
 * Batch normalisation over NHWC maps, as `torch.nn.BatchNorm2d(C)` (and mmcv's
 * `SyncBN` on one device).
 *
 * Parameters: `weight` `[C]` (init 1), `bias` `[C]` (init 0).
 * Buffers: `running_mean` `[C]` (init 0), `running_var` `[C]` (init 1),
 * `num_batches_tracked` `[]` int32 (PyTorch: int64).
 *
 * - Training: normalises with the batch mean and the *biased* batch variance over
 *   `B·H·W` values, and updates the running statistics with the batch mean and the
 *   *unbiased* variance (`· n/(n−1)`), incrementing `num_batches_tracked`.
 * - Eval, and whenever the module is frozen ({@link Module.freeze}): normalises with
 *   the running statistics.
 */
export class BatchNorm2d extends Module {
  /** `[C]`, or `null` without affine. */
  readonly weight: Parameter | null;
  /** `[C]`, or `null` without affine. */
  readonly bias: Parameter | null;
  /** `[C]`. */
  readonly runningMean: tf.Variable;
  /** `[C]`. */
  readonly runningVar: tf.Variable;
  /** `[]` int32. */
  readonly numBatchesTracked: tf.Variable;
  /** Added to the variance. */
  readonly eps: number;
  /** Running-statistics momentum (`null`: cumulative average). */
  readonly momentum: number | null;

  constructor(
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.addParameter('bias', zeros([numFeatures])) : null;
    this.runningMean = this.addBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.addBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.addBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
  }

  /** `x` `[B, H, W, C]` → same shape. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm2d(${this.numFeatures}): expected NHWC input with ${this.numFeatures} channels, got ${formatShape(x.shape)}`);
    }
    return this.training ? this.forwardTrain(x) : this.forwardEval(x);
  }

  private forwardEval(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let scale: tf.Tensor = this.runningVar.add(this.eps).rsqrt(); // [C]
      if (this.weight !== null) scale = scale.mul(this.weight.value);
      let shift: tf.Tensor = this.runningMean.mul(scale).neg(); // [C]
      if (this.bias !== null) shift = shift.add(this.bias.value);
      return x.mul(scale).add(shift) as tf.Tensor4D;
    });
  }

  private forwardTrain(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w] = x.shape;
    const n = b * h * w;
    if (n <= 1) {
      throw new ShapeError(
        `BatchNorm2d(${this.numFeatures}): expected more than 1 value per channel when training, got input ${formatShape(x.shape)} ` + '(use a larger batch, GroupNorm, or eval mode)',
      );
    }
    const c = this.numFeatures;
    return tf.tidy(
      () =>
        normalizeAffine(
          x,
          [0, 1, 2],
          this.weight?.value ?? null,
          this.bias?.value ?? null,
          this.eps,
          (mean, variance) => this.updateRunningStats(mean.reshape([c]), variance.reshape([c]), n), // [1, 1, 1, C] -> [C]
        ) as tf.Tensor4D,
    );
  }

  /** PyTorch's update: exponential (or cumulative) average with the unbiased batch variance. */
  private updateRunningStats(mean: tf.Tensor, biasedVar: tf.Tensor, n: number): void {
    if (isRecomputing()) return; // a checkpointed block's backward re-run: the forward already updated them
    tf.tidy(() => {
      const tracked = this.numBatchesTracked.add(tf.scalar(1, 'int32'));
      const factor = this.momentum ?? 1 / (tracked.dataSync()[0] as number);
      const unbiased = biasedVar.mul(n / (n - 1));
      this.runningMean.assign(this.runningMean.mul(1 - factor).add(mean.mul(factor)));
      this.runningVar.assign(this.runningVar.mul(1 - factor).add(unbiased.mul(factor)));
      this.numBatchesTracked.assign(tracked);
    });
  }
}

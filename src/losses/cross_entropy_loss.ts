import { RANGES } from '../registry/options.js';
import { tf } from '../core/tf.js';
import { ShapeError, formatShape } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { LogitLoss, LogitLossCall, LogitTarget } from './loss.js';

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
 * `Σ w[y]·ce / #non-ignored`. Label smoothing is timm's
 * `LabelSmoothingCrossEntropy`: `(1−ε)·ce + ε·mean_k(−log p_k)`.
 *
 * Soft targets `[N, K]` (mixup/cutmix, which already carry their smoothing) give
 * timm's `SoftTargetCrossEntropy`, `mean_n Σ_k −t·log p` (times `w_k` with class
 * weights); label smoothing and the ignore index do not apply to them.
 */
export class CrossEntropyLoss implements LogitLoss {
  readonly targets: readonly LogitTarget[] = ['labels', 'soft', 'pixels'];

  constructor(readonly options: CrossEntropyLossOptions) {}

  /** Name of the term in loss dicts. */
  get name(): string {
    return this.options.lossName;
  }

  /**
   * @param logits `[N, K]`, or `[B, H, W, K]` with pixel labels `[B, H, W]`.
   * @param target `[N]` (or `[B, H, W]`) int32 class indices, entries equal to `call.ignoreIndex`
   *   skipped; or `[N, K]` float32 soft targets.
   * @returns scalar loss (0 when every target is ignored).
   */
  forward(logits: tf.Tensor, target: tf.Tensor, call: LogitLossCall = {}): tf.Scalar {
    if (logits.rank === 4 && target.rank === 3) {
      const k = logits.shape[3] as number;
      return tf.tidy(() => this.forwardLabels(logits.reshape([-1, k]), target.reshape([-1]) as tf.Tensor1D, call.ignoreIndex ?? null)); // [B*H*W, K] vs [B*H*W]
    }
    if (logits.rank !== 2) {
      throw new ShapeError(`CrossEntropyLoss: logits must be [N, K] or [B, H, W, K], got ${formatShape(logits.shape)}`);
    }
    if (target.rank === 2) return softTargetCrossEntropy(logits as tf.Tensor2D, target as tf.Tensor2D, this.options.classWeight, this.options.lossWeight);
    if (target.rank !== 1) {
      throw new ShapeError(`CrossEntropyLoss: target must be [N] labels or [N, K] soft targets for logits ${formatShape(logits.shape)}, got ${formatShape(target.shape)}`);
    }
    return this.forwardLabels(logits as tf.Tensor2D, target as tf.Tensor1D, call.ignoreIndex ?? null);
  }

  private forwardLabels(logits: tf.Tensor2D, labels: tf.Tensor1D, ignoreIndex: number | null): tf.Scalar {
    const [n, k] = logits.shape;
    if (labels.shape[0] !== n) {
      throw new ShapeError(`CrossEntropyLoss: ${n} logits rows but labels ${formatShape(labels.shape)}`);
    }
    const { labelSmoothing: eps, classWeight, lossWeight } = this.options;
    if (classWeight !== null && classWeight.length !== k) {
      throw new ShapeError(`CrossEntropyLoss: classWeight has ${classWeight.length} entries for ${k} classes`);
    }
    // One custom-gradient op over the logits: the backward keeps the logits and a per-row
    // coefficient (as PyTorch keeps its log-softmax), not the log-probabilities, one-hot targets and
    // products an op-by-op tape would keep, and computes c_n·(softmax − (1−ε)·onehot − ε/K).
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const z = args[0] as tf.Tensor2D;
      const save = args[1] as tf.GradSaveFunc;
      const valid = ignoreIndex === null ? tf.onesLike(labels).cast('float32') : labels.notEqual(ignoreIndex).cast('float32'); // [N]
      const safeLabels = (ignoreIndex === null ? labels : labels.mul(valid.cast('int32'))).cast('int32'); // ignored → class 0
      const logp = tf.logSoftmax(z, -1); // [N, K]
      const onehot = tf.oneHot(safeLabels, k).cast('float32'); // [N, K]
      let perSample = logp.mul(onehot).sum(-1).neg(); // [N]
      if (eps > 0) perSample = perSample.mul(1 - eps).add(logp.mean(-1).neg().mul(eps));
      let rowWeight: tf.Tensor = valid; // [N]
      if (classWeight !== null) {
        const w = onehot.mul(tf.tensor1d(classWeight)).sum(-1); // [N]
        perSample = perSample.mul(w);
        rowWeight = rowWeight.mul(w);
      }
      const count = valid.sum().maximum(1);
      const coefficient = rowWeight.div(count).mul(lossWeight); // [N]: d loss / d per-row CE
      save([z, safeLabels, coefficient]);
      return {
        value: perSample.mul(valid).sum().div(count).mul(lossWeight) as tf.Scalar,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [zs, ys, c] = saved;
            let target = tf.oneHot(ys as tf.Tensor1D, k).cast('float32'); // [N, K]
            if (eps > 0) target = target.mul(1 - eps).add(eps / k);
            return tf.softmax(zs, -1).sub(target).mul(c.mul(dy).expandDims(1)); // [N, K]
          }),
      };
    });
    return tf.tidy(() => op(logits) as tf.Scalar);
  }
}

/**
 * timm's `SoftTargetCrossEntropy`: `mean_n Σ_k −t[n,k]·log softmax(logits)[n,k]`, times
 * per-class weights `w_k` when given, times `lossWeight`.
 * @param logits `[N, K]`; @param target `[N, K]` float32 distributions.
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor2D, classWeight: number[] | null = null, lossWeight = 1): tf.Scalar {
  const [n, k] = logits.shape;
  if (target.rank !== 2 || target.shape[0] !== n || target.shape[1] !== k) {
    throw new ShapeError(`soft-target cross-entropy: logits ${formatShape(logits.shape)} but target ${formatShape(target.shape)} (expected the same [N, K])`);
  }
  if (classWeight !== null && classWeight.length !== k) {
    throw new ShapeError(`soft-target cross-entropy: classWeight has ${classWeight.length} entries for ${k} classes`);
  }
  return tf.tidy(() => {
    let perElem = target.cast('float32').mul(tf.logSoftmax(logits, -1)).neg(); // [N, K]
    if (classWeight !== null) perElem = perElem.mul(tf.tensor1d(classWeight));
    return perElem.sum(-1).mean().mul(lossWeight) as tf.Scalar;
  });
}

/** Registry entry of {@link CrossEntropyLoss}. */
export const crossEntropyLossSpec: ComponentSpec<CrossEntropyLossOptions, CrossEntropyLoss, unknown> = {
  name: 'CrossEntropyLoss',
  description: 'softmax cross-entropy with label smoothing, class weights, an ignore index and soft targets (mixup/cutmix)',
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

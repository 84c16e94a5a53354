/** The contract between an `ImageClassifier` and its head. */
import type { tf } from '../../core/tf.js';
import type { Module } from '../../nn/module.js';
import type { LogitLoss } from '../../losses/loss.js';

/** Training-time logits of a head (see {@link ClsHead.forwardTrain}). */
export interface ClsHeadTrainLogits {
  /** `[B, K]` class logits. */
  cls: tf.Tensor2D;
  /** `[B, K]` logits of a distillation head (DeiT), or null. */
  dist: tf.Tensor2D | null;
}

/**
 * A classification head: backbone feature maps in, class logits out, and its
 * loss. Any module with these members plugs into `ImageClassifier` by config.
 */
export interface ClsHead extends Module {
  /** Discriminates classification heads among the `HEADS` registry's components. */
  readonly headKind: 'classification';
  /** Number of classes `K`. */
  readonly numClasses: number;
  /** The loss of {@link loss}; its `name` keys the loss dict. Takes at least `'labels'` targets. */
  readonly lossFn: LogitLoss;
  /**
   * @param features every backbone output in declared order, NHWC `[B, h_i, w_i, C_i]`
   *   (token outputs as `[B, 1, T, C]`).
   * @returns logits `[B, K]` (for inference).
   */
  forward(features: tf.Tensor4D[]): tf.Tensor2D;
  /** Optional: training logits, with a distillation head's own logits; default `{cls: forward(features), dist: null}`. */
  forwardTrain?(features: tf.Tensor4D[]): ClsHeadTrainLogits;
  /**
   * @param logits `[B, K]`.
   * @param target `[B]` int32 labels, or `[B, K]` float32 soft targets (mixup/cutmix) when `lossFn.targets` has `'soft'`.
   * @returns scalar loss.
   */
  loss(logits: tf.Tensor2D, target: tf.Tensor1D | tf.Tensor2D): tf.Scalar;
}

/** Whether a built head is a {@link ClsHead} (checked by its declared members, not its class). */
export function isClsHead(head: Module): head is ClsHead {
  const h = head as unknown as Partial<ClsHead>;
  return h.headKind === 'classification' && typeof h.forward === 'function' && typeof h.loss === 'function' && typeof h.numClasses === 'number';
}

/**
 * The contract between a two-stage detector (Faster / Mask R-CNN) and its second stage: the
 * RoI head takes the neck's feature pyramid and the first stage's proposals, and returns either
 * the training losses or the final detections (mmdet 3.x `StandardRoIHead.loss` / `.predict`).
 * Any module with these members plugs into a two-stage detector by config.
 */
import type { tf } from '../../../core/tf.js';
import type { Module } from '../../../nn/module.js';
import type { BitmapMasks, DataSample } from '../../../structures/data_sample.js';
import type { LossDict } from '../../../structures/loss_dict.js';
import type { DetPrediction } from '../../../structures/prediction.js';

/** One image's proposals (the RPN's `rpn_results_list` entry), in the frame of the network input. */
export interface ImageProposals {
  /** `[N·4]` x1, y1, x2, y2 in input pixels (the resized image, before batch padding). */
  bboxes: Float32Array;
  /** `[N]` objectness scores, when known. Not used by {@link RoIHead}s that re-score boxes. */
  scores?: Float32Array;
}

/** A detection of an instance-segmentation model: boxes, scores, labels and, with a mask head, masks. */
export interface InstancePrediction extends DetPrediction {
  /**
   * `N` binary masks aligned with `bboxes`, pasted into the output frame (the original image with
   * `rescale`, else the input image); absent when the head has no mask branch.
   */
  masks?: BitmapMasks;
}

/** Options of {@link RoIHead.predict}. */
export interface RoIPredictOptions {
  /**
   * Return boxes (and masks) in the original image frame, dividing by each sample's
   * `scaleFactor` (mmdet's `rescale=True`). Default true.
   */
  rescale?: boolean;
}

/**
 * The second stage of a two-stage detector.
 *
 * Feature maps are NHWC, finest first, as the neck returns them (FPN P2–P6: `[B, H/4, W/4, 256]`, …);
 * heads use the levels their RoI extractors are configured for. Proposals and samples are
 * per image, in batch order.
 */
export interface RoIHead extends Module {
  /** Discriminates RoI heads among the `HEADS` registry's components. */
  readonly headKind: 'roi';
  /** Foreground classes `K` (labels are `0 … K−1`). */
  readonly numClasses: number;
  /** Whether {@link predict} returns masks and {@link loss} has `loss_mask`. */
  readonly withMask: boolean;
  /**
   * Training losses: assigns and samples the proposals against each sample's `gtInstances`
   * (mmdet adds the gt boxes as proposals), then the box head's classification and regression
   * losses on the sampled RoIs and, with a mask branch, the mask loss on the positive RoIs.
   * @param features the pyramid, each `[B, H_l, W_l, C]`.
   * @param proposals `B` entries, one per image.
   * @param samples `B` entries with `gtInstances` (boxes and labels; `masks` with a mask branch).
   * @returns named scalar terms, e.g. `loss_cls`, `loss_bbox`, `loss_mask`; the runner sums every
   *   term, so only losses belong here (mmdet's `acc` is not returned).
   */
  loss(features: tf.Tensor4D[], proposals: readonly ImageProposals[], samples: readonly DataSample[]): LossDict;
  /**
   * Inference: the box head re-scores and refines the proposals, per-class NMS keeps the final
   * boxes, and a mask branch predicts and pastes one mask per kept box.
   * @param features the pyramid, each `[B, H_l, W_l, C]`.
   * @param proposals `B` entries, one per image.
   * @param samples `B` entries (`imgShape` for clipping; `scaleFactor` and `oriShape` for `rescale`).
   * @returns `B` predictions, scores descending.
   */
  predict(features: tf.Tensor4D[], proposals: readonly ImageProposals[], samples: readonly DataSample[], options?: RoIPredictOptions): Promise<InstancePrediction[]>;
}

/** Whether a built head is a {@link RoIHead} (checked by its declared members, not its class). */
export function isRoIHead(head: Module): head is RoIHead {
  const h = head as unknown as Partial<RoIHead>;
  return h.headKind === 'roi' && typeof h.numClasses === 'number' && typeof h.withMask === 'boolean' && typeof h.loss === 'function' && typeof h.predict === 'function';
}

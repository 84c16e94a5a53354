/**
 * Test-time post-processing of the R-CNN box head for one image, as mmdet 3.x's
 * `BBoxHead._predict_by_feat_single` + `multiclass_nms` and torchvision 0.14's
 * `RoIHeads.postprocess_detections`:
 *   1. softmax over the `K + 1` logits; the background column is dropped;
 *   2. each RoI's class-specific deltas decoded against it and clipped to the image;
 *   3. with `scaleFactor`, boxes divided by it (mmdet's `rescale`, before NMS);
 *   4. every (RoI, class) pair with score `> scoreThr` is a candidate, RoI-major then class order;
 *   5. with `minBboxSize > 0`, candidates narrower or lower than it are dropped (torchvision's
 *      `remove_small_boxes(1e-2)`; mmdet has no such step);
 *   6. class-aware NMS ({@link batchedNms}: IoU `> iouThreshold` suppresses), by descending score,
 *      and the best `maxPerImg` kept.
 *
 * Settings: mmdet `test_cfg.rcnn = {score_thr: 0.05, nms: {iou_threshold: 0.5}, max_per_img: 100}`;
 * torchvision `box_score_thresh 0.05, box_nms_thresh 0.5, box_detections_per_img 100` plus the
 * 1e-2 minimum size. Known difference kept from mmdet: the decoder clamps `dw, dh` to
 * `±log(1000/16)`, torchvision only from above; the two differ only for deltas below −4.1.
 */
import { tf } from '../../../core/tf.js';
import { ConfigError } from '../../../core/errors.js';
import type { OptionsSchema } from '../../../registry/options.js';
import { batchedNms } from '../../../structures/bbox/nms.js';
import type { DeltaXYWHBBoxCoder } from '../../../models/task_modules/coders/delta_xywh_coder.js';

const f32 = Math.fround;

/** mmdet's `test_cfg.rcnn`, camelCase. */
export interface RCNNTestCfg {
  /** Candidates need a score above this. Default 0.05. */
  scoreThr: number;
  /** Class-aware NMS; only `type: 'nms'`. Default `{type: 'nms', iouThreshold: 0.5}`. */
  nms: { type: string; iouThreshold: number };
  /** Detections kept per image. Default 100. */
  maxPerImg: number;
  /** Drop candidates whose width or height is below this (torchvision: 0.01); ≤ 0 keeps all. Default 0. */
  minBboxSize: number;
  /** Mask probability threshold of the binary masks (mmdet's `mask_thr_binary`). Default 0.5. */
  maskThrBinary: number;
}

/** Schema of {@link RCNNTestCfg}. */
export const RCNN_TEST_CFG_SCHEMA: OptionsSchema<RCNNTestCfg> = {
  defaults: { scoreThr: 0.05, nms: { type: 'nms', iouThreshold: 0.5 }, maxPerImg: 100, minBboxSize: 0, maskThrBinary: 0.5 },
  sections: { nms: { defaults: { type: 'nms', iouThreshold: 0.5 } } as OptionsSchema<object> },
  docs: {
    scoreThr: 'score threshold of the (RoI, class) candidates',
    nms: "{type: 'nms', iouThreshold}",
    maxPerImg: 'detections kept per image',
    minBboxSize: 'drop boxes narrower or lower than this (torchvision 0.01; <= 0: off)',
    maskThrBinary: 'threshold of the mask probabilities',
  },
};

/** Checks a resolved {@link RCNNTestCfg}. */
export function checkRCNNTestCfg(cfg: RCNNTestCfg, path: string): RCNNTestCfg {
  if (cfg.nms.type !== 'nms') throw new ConfigError(`${path}.nms.type: only 'nms' is supported, got '${cfg.nms.type}'`);
  if (!(cfg.nms.iouThreshold >= 0 && cfg.nms.iouThreshold <= 1)) {
    throw new ConfigError(`${path}.nms.iouThreshold: expected a number in [0, 1], got ${cfg.nms.iouThreshold}`);
  }
  if (!Number.isInteger(cfg.maxPerImg) || cfg.maxPerImg < 1) throw new ConfigError(`${path}.maxPerImg: expected a positive integer, got ${cfg.maxPerImg}`);
  if (!(cfg.maskThrBinary >= 0 && cfg.maskThrBinary <= 1)) throw new ConfigError(`${path}.maskThrBinary: expected a number in [0, 1], got ${cfg.maskThrBinary}`);
  return cfg;
}

/** Detections of one image on the host. */
export interface RoIDetections {
  /** `[D·4]` x1, y1, x2, y2. */
  bboxes: Float32Array;
  /** `[D]` descending. */
  scores: Float32Array;
  /** `[D]` class indices `0 … K−1`. */
  labels: Int32Array;
}

/**
 * @param rois `[R·4]` the image's RoIs (proposals), x1, y1, x2, y2.
 * @param probs `[R·(K+1)]` softmax scores, background last.
 * @param deltas `[R·4K]` (or `[R·4]` class-agnostic) predicted deltas.
 * @param numClasses `K`.
 * @param coder the head's box coder.
 * @param imgShape `[h, w]` to clip to.
 * @param cfg the test config.
 * @param scaleFactor `[sx, sy]` to divide the boxes by, or null (no rescale).
 */
export function rcnnPostprocess(
  rois: Float32Array,
  probs: Float32Array,
  deltas: Float32Array,
  numClasses: number,
  coder: DeltaXYWHBBoxCoder,
  imgShape: readonly [number, number],
  cfg: RCNNTestCfg,
  scaleFactor: readonly [number, number] | null,
): RoIDetections {
  const r = rois.length / 4;
  const k = numClasses;
  if (probs.length !== r * (k + 1)) throw new RangeError(`rcnnPostprocess: ${r} RoIs but ${probs.length} scores (expected R·${k + 1})`);
  const agnostic = deltas.length === r * 4 && k !== 1;
  if (!agnostic && deltas.length !== r * 4 * k) throw new RangeError(`rcnnPostprocess: ${r} RoIs but ${deltas.length} deltas (expected R·${4 * k})`);
  if (r === 0) return { bboxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) };
  const decoded = tf.tidy(() => coder.decode(tf.tensor2d(rois, [r, 4]), tf.tensor2d(deltas, [r, agnostic ? 4 : 4 * k]), imgShape).dataSync() as Float32Array);
  const boxCols = agnostic ? 1 : k;
  const cand: number[] = [];
  for (let i = 0; i < r; i++) {
    for (let c = 0; c < k; c++) if (probs[i * (k + 1) + c] > cfg.scoreThr) cand.push(i * k + c);
  }
  const [sx, sy] = scaleFactor ?? [1, 1];
  const boxes: number[] = [];
  const scores: number[] = [];
  const labels: number[] = [];
  for (const idx of cand) {
    const i = Math.floor(idx / k);
    const c = idx % k;
    const o = (i * boxCols + (agnostic ? 0 : c)) * 4;
    let b = [decoded[o], decoded[o + 1], decoded[o + 2], decoded[o + 3]];
    if (scaleFactor !== null) b = [f32(b[0] / sx), f32(b[1] / sy), f32(b[2] / sx), f32(b[3] / sy)];
    if (cfg.minBboxSize > 0 && !(f32(b[2] - b[0]) >= cfg.minBboxSize && f32(b[3] - b[1]) >= cfg.minBboxSize)) continue;
    boxes.push(...b);
    scores.push(probs[i * (k + 1) + c]);
    labels.push(c);
  }
  const b32 = Float32Array.from(boxes);
  const s32 = Float32Array.from(scores);
  const l32 = Int32Array.from(labels);
  const keep = batchedNms(b32, s32, l32, cfg.nms.iouThreshold).subarray(0, cfg.maxPerImg);
  const out: RoIDetections = {
    bboxes: new Float32Array(keep.length * 4),
    scores: new Float32Array(keep.length),
    labels: new Int32Array(keep.length),
  };
  keep.forEach((j, d) => {
    out.bboxes.set(b32.subarray(j * 4, j * 4 + 4), d * 4);
    out.scores[d] = s32[j];
    out.labels[d] = l32[j];
  });
  return out;
}

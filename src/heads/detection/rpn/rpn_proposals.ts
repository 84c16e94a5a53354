/**
 * Proposal generation of a region proposal network, on the host, for one image, with either
 * mmdetection 3.x's or torchvision 0.14's rules.
 *
 * Both do, per image:
 *   1. per level, the `nmsPre` anchors of highest objectness (mmdet `RPNHead._predict_by_feat_single`:
 *      `scores.sort(descending=True)[:nms_pre]`; torchvision `RegionProposalNetwork._get_top_n_idx`:
 *      `topk(pre_nms_top_n)`);
 *   2. decode the deltas of those anchors and clip the boxes to the (unpadded) image;
 *   3. drop small boxes;
 *   4. NMS per level (levels as classes of a batched NMS), IoU threshold 0.7;
 *   5. keep the first `maxPerImg` by descending score.
 *
 * Where they differ ({@link ProposalStyle}):
 *   | step | mmdet (`'mmdet'`) | torchvision (`'torchvision'`) |
 *   |---|---|---|
 *   | decode | `delta2bbox`: centre `(x1+x2)/2`, dw/dh clamped to ±log(1000/16), means/stds | `BoxCoder.decode`: centre `x1 + w/2`, dw/dh clamped above only at log(1000/16), weights (1,1,1,1) |
 *   | clip | in the decoder (`clip_border`) to `img_shape` | `clip_boxes_to_image` to the image size |
 *   | small boxes | width and height `> minBboxSize` (0) | width and height `>= minSize` (1e-3) |
 *   | score threshold | none | probability `>= scoreThr` (0) |
 *   | batched NMS | mmcv: class-offset trick below 10000 boxes | torchvision: offset trick up to 1000 boxes on CPU, per level above |
 *   | post-NMS count | `max_per_img` 1000 (train and test) | `post_nms_top_n` 2000 train / 1000 test |
 *   | pre-NMS count | `nms_pre` 2000 train (`rpn_proposal`) / 1000 test | `pre_nms_top_n` 2000 train / 1000 test |
 * Equal objectness values are ordered by PyTorch's CPU sort in both (the kernels' orders agree for
 * distinct values; ties of float32 logits are not reproduced bit for bit by `topk`).
 */
import { sortIndicesDescending } from '../../../core/torch_order.js';
import { batchedNms, type BatchedNmsStrategy } from '../../../structures/bbox/nms.js';
import type { DeltaXYWHBBoxCoder } from '../../../models/task_modules/coders/delta_xywh_coder.js';

const f32 = Math.fround;

/** Whose proposal rules to follow (see the table in this file's header). */
export type ProposalStyle = 'mmdet' | 'torchvision';

/**
 * Proposal settings (mmdet's `train_cfg.rpn_proposal` / `test_cfg.rpn`, torchvision's
 * `rpn_pre_nms_top_n_*`, `rpn_post_nms_top_n_*`, `rpn_nms_thresh`, `rpn_score_thresh`).
 */
export interface ProposalCfg {
  /** Anchors kept per level before NMS, by descending objectness; ≤ 0 keeps all. mmdet test 1000, train 2000. */
  nmsPre: number;
  /** Proposals kept per image after NMS. mmdet 1000; torchvision 1000 test, 2000 train. */
  maxPerImg: number;
  /** Per-level NMS: `{type: 'nms', iouThreshold}`. Default iouThreshold 0.7. */
  nms: { type: string; iouThreshold: number };
  /** Smallest kept box side: mmdet keeps `> minBboxSize` (0; < 0 disables), torchvision `>= minBboxSize` (1e-3). */
  minBboxSize: number;
  /** torchvision only: proposals with objectness probability `< scoreThr` are dropped. Default 0. */
  scoreThr: number;
}

/** mmdet's Faster/Mask R-CNN `test_cfg.rpn`. */
export const MMDET_RPN_TEST_CFG: ProposalCfg = { nmsPre: 1000, maxPerImg: 1000, nms: { type: 'nms', iouThreshold: 0.7 }, minBboxSize: 0, scoreThr: 0 };
/** mmdet's Faster/Mask R-CNN `train_cfg.rpn_proposal`. */
export const MMDET_RPN_TRAIN_PROPOSAL_CFG: ProposalCfg = { ...MMDET_RPN_TEST_CFG, nmsPre: 2000 };
/** torchvision's `fasterrcnn_resnet50_fpn` / `maskrcnn_resnet50_fpn` RPN in eval mode. */
export const TORCHVISION_RPN_TEST_CFG: ProposalCfg = { nmsPre: 1000, maxPerImg: 1000, nms: { type: 'nms', iouThreshold: 0.7 }, minBboxSize: 1e-3, scoreThr: 0 };
/** torchvision's RPN in training mode. */
export const TORCHVISION_RPN_TRAIN_CFG: ProposalCfg = { ...TORCHVISION_RPN_TEST_CFG, nmsPre: 2000, maxPerImg: 2000 };

/** One level of one image: the head's outputs and the level's anchors, on the host. */
export interface ProposalLevel {
  /** `[N_l]` objectness logits, in anchor order. */
  logits: Float32Array;
  /** `[N_l·4]` deltas. */
  deltas: Float32Array;
  /** `[N_l·4]` anchors x1, y1, x2, y2. */
  anchors: Float32Array;
}

/** Proposals of one image (structurally the RoI heads' `ImageProposals`). */
export interface Proposals {
  /** `[M·4]` x1, y1, x2, y2 in the network input's pixels. */
  bboxes: Float32Array;
  /** `[M]` objectness probabilities, descending. */
  scores: Float32Array;
}

/** torchvision's `BoxCoder.bbox_xform_clip`: log(1000/16). */
export const TORCHVISION_BBOX_XFORM_CLIP = Math.log(1000 / 16);

/**
 * torchvision's `BoxCoder((1, 1, 1, 1)).decode_single` on the host, float32 in its order:
 * `w = x2 − x1`, `cx = x1 + 0.5·w`, `dw = min(dw, log(1000/16))`, `x1' = (dx·w + cx) − 0.5·(e^dw·w)`.
 * @param anchors `[N·4]`; @param deltas `[N·4]`.
 * @returns `[N·4]` boxes (not clipped).
 */
export function torchvisionDecode(anchors: Float32Array, deltas: Float32Array, clip = TORCHVISION_BBOX_XFORM_CLIP): Float32Array {
  if (anchors.length !== deltas.length || anchors.length % 4 !== 0) {
    throw new RangeError(`torchvisionDecode: ${anchors.length / 4} anchors but ${deltas.length / 4} deltas`);
  }
  const c = f32(clip);
  const out = new Float32Array(anchors.length);
  for (let i = 0; i < anchors.length; i += 4) {
    const w = f32(anchors[i + 2] - anchors[i]);
    const h = f32(anchors[i + 3] - anchors[i + 1]);
    const cx = f32(anchors[i] + f32(0.5 * w));
    const cy = f32(anchors[i + 1] + f32(0.5 * h));
    const dw = Math.min(deltas[i + 2], c);
    const dh = Math.min(deltas[i + 3], c);
    const px = f32(f32(deltas[i] * w) + cx);
    const py = f32(f32(deltas[i + 1] * h) + cy);
    const hw = f32(0.5 * f32(f32(Math.exp(dw)) * w));
    const hh = f32(0.5 * f32(f32(Math.exp(dh)) * h));
    out[i] = f32(px - hw);
    out[i + 1] = f32(py - hh);
    out[i + 2] = f32(px + hw);
    out[i + 3] = f32(py + hh);
  }
  return out;
}

/** Float32 sigmoid as PyTorch computes it (1 / (1 + e^−x)). */
function sigmoid(x: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-x))));
}

/**
 * Proposals of one image.
 * @param levels finest first.
 * @param imgShape `[h, w]` of the image inside the padded batch (clip bounds).
 * @param cfg see {@link ProposalCfg}.
 * @param style whose rules (see the file header).
 * @param coder mmdet's coder (style 'mmdet'); unused for 'torchvision'.
 */
export function generateProposals(levels: readonly ProposalLevel[], imgShape: readonly [number, number], cfg: ProposalCfg, style: ProposalStyle, coder: DeltaXYWHBBoxCoder | null): Proposals {
  const selAnchors: number[] = [];
  const selDeltas: number[] = [];
  const selScores: number[] = [];
  const selLevels: number[] = [];
  levels.forEach((level, l) => {
    const n = level.logits.length;
    if (level.deltas.length !== 4 * n || level.anchors.length !== 4 * n) {
      throw new RangeError(`generateProposals: level ${l} has ${n} logits, ${level.deltas.length / 4} deltas, ${level.anchors.length / 4} anchors`);
    }
    // mmdet sorts the probabilities, torchvision the logits: the same order (sigmoid is monotonic)
    // except where distinct logits round to one float32 probability.
    const probs = Float32Array.from(level.logits, sigmoid);
    const order = sortIndicesDescending(style === 'mmdet' ? probs : level.logits);
    const count = cfg.nmsPre > 0 ? Math.min(cfg.nmsPre, n) : n;
    for (let r = 0; r < count; r++) {
      const j = order[r];
      for (let c = 0; c < 4; c++) {
        selAnchors.push(level.anchors[4 * j + c]);
        selDeltas.push(level.deltas[4 * j + c]);
      }
      selScores.push(probs[j]);
      selLevels.push(l);
    }
  });
  const [h, w] = imgShape;
  let boxes: Float32Array;
  if (style === 'mmdet') {
    if (coder === null) throw new Error("generateProposals: style 'mmdet' needs the box coder");
    boxes = coder.decodeHost(Float32Array.from(selAnchors), Float32Array.from(selDeltas), coder.options.clipBorder ? imgShape : null);
  } else {
    boxes = torchvisionDecode(Float32Array.from(selAnchors), Float32Array.from(selDeltas));
    for (let i = 0; i < boxes.length; i += 4) {
      boxes[i] = Math.min(Math.max(boxes[i], 0), w);
      boxes[i + 1] = Math.min(Math.max(boxes[i + 1], 0), h);
      boxes[i + 2] = Math.min(Math.max(boxes[i + 2], 0), w);
      boxes[i + 3] = Math.min(Math.max(boxes[i + 3], 0), h);
    }
  }
  const minSize = f32(cfg.minBboxSize);
  const scoreThr = f32(cfg.scoreThr);
  const keep: number[] = [];
  for (let i = 0; i < selScores.length; i++) {
    const bw = f32(boxes[4 * i + 2] - boxes[4 * i]);
    const bh = f32(boxes[4 * i + 3] - boxes[4 * i + 1]);
    if (style === 'mmdet') {
      if (cfg.minBboxSize >= 0 && !(bw > minSize && bh > minSize)) continue;
    } else if (!(bw >= minSize && bh >= minSize) || !(selScores[i] >= scoreThr)) {
      continue;
    }
    keep.push(i);
  }
  const kBoxes = new Float32Array(keep.length * 4);
  const kScores = new Float32Array(keep.length);
  const kLevels = new Int32Array(keep.length);
  keep.forEach((i, k) => {
    kBoxes.set(boxes.subarray(4 * i, 4 * i + 4), 4 * k);
    kScores[k] = selScores[i];
    kLevels[k] = selLevels[i];
  });
  if (keep.length === 0) return { bboxes: new Float32Array(0), scores: new Float32Array(0) };
  const strategy: BatchedNmsStrategy = style === 'torchvision' ? 'auto' : keep.length < 10000 ? 'offset' : 'perClass';
  const kept = Array.from(batchedNms(kBoxes, kScores, kLevels, cfg.nms.iouThreshold, strategy)).slice(0, Math.max(cfg.maxPerImg, 0));
  const bboxes = new Float32Array(kept.length * 4);
  const scores = new Float32Array(kept.length);
  kept.forEach((i, k) => {
    bboxes.set(kBoxes.subarray(4 * i, 4 * i + 4), 4 * k);
    scores[k] = kScores[i];
  });
  return { bboxes, scores };
}

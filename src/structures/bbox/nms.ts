/**
 * Non-maximum suppression on the host, with torchvision's semantics, and the
 * test-time post-processing of mmdetection's one-stage heads.
 *
 * Ties, checked against torchvision 0.14 / PyTorch 1.13 on CPU:
 *   - the `nms` kernel visits candidates by descending score with a *stable*
 *     sort: equal scores in index order ({@link stableOrderDescending});
 *   - Python-level `Tensor.sort(descending=True)` — used by torchvision's per-class
 *     `batched_nms` path to merge classes and by mmdet's `filter_scores_and_topk`
 *     to pick the `nms_pre` candidates — is PyTorch's CPU sort, libstdc++'s
 *     `std::sort` (introsort, not stable: equal values keep their index order only
 *     for ≤ 16 elements). {@link sortIndicesDescending} reproduces it step by step.
 * (CUDA sorts differently; nothing there is reproducible anyway.)
 *
 * IoU arithmetic is float32 in the kernel's order; a box is suppressed when its
 * IoU with a kept box is strictly greater than the threshold.
 */

import { sortIndicesDescending } from '../../core/torch_order.js';

const f32 = Math.fround;

/**
 * Indices by descending value, equal values in index order (PyTorch's
 * `sort(stable=True, descending=True)`; NaN counts as the largest).
 * @param values `[N]`.
 * @returns `[N]` permutation.
 */
export function stableOrderDescending(values: ArrayLike<number>): Int32Array {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  const key = (i: number): number => (Number.isNaN(values[i]) ? Infinity : values[i]);
  idx.sort((i, j) => {
    const a = key(i);
    const b = key(j);
    if (a !== b) return a > b ? -1 : 1;
    if (Number.isNaN(values[i]) !== Number.isNaN(values[j])) return Number.isNaN(values[i]) ? -1 : 1;
    return i - j;
  });
  return Int32Array.from(idx);
}

/**
 * Greedy NMS (torchvision `ops.nms`).
 * @param boxes `[N·4]` x1,y1,x2,y2.
 * @param scores `[N]`.
 * @param iouThr suppress boxes whose IoU with a kept box is > this.
 * @returns indices of the kept boxes, by descending score.
 */
export function nms(boxes: Float32Array, scores: Float32Array, iouThr: number): Int32Array {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new RangeError(`nms: ${boxes.length / 4} boxes but ${n} scores`);
  if (n === 0) return new Int32Array(0);
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) areas[i] = f32(boxes[4 * i + 2] - boxes[4 * i]) * f32(boxes[4 * i + 3] - boxes[4 * i + 1]);
  const order = stableOrderDescending(scores);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi];
    if (suppressed[i] === 1) continue;
    keep.push(i);
    const ix1 = boxes[4 * i];
    const iy1 = boxes[4 * i + 1];
    const ix2 = boxes[4 * i + 2];
    const iy2 = boxes[4 * i + 3];
    const iarea = areas[i];
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj];
      if (suppressed[j] === 1) continue;
      const w = Math.max(0, f32(Math.min(ix2, boxes[4 * j + 2]) - Math.max(ix1, boxes[4 * j])));
      const h = Math.max(0, f32(Math.min(iy2, boxes[4 * j + 3]) - Math.max(iy1, boxes[4 * j + 1])));
      const inter = f32(w * h);
      const ovr = f32(inter / f32(f32(iarea + areas[j]) - inter));
      if (ovr > iouThr) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}

/**
 * How {@link batchedNms} keeps classes apart:
 * `offset` shifts each class's boxes by `label·(max coordinate + 1)` (float32) and runs
 * one NMS; `perClass` runs NMS per class and merges by descending score;
 * `auto` is torchvision's CPU choice: `perClass` above 4000 coordinates (1000 boxes).
 */
export type BatchedNmsStrategy = 'auto' | 'offset' | 'perClass';

/**
 * Class-aware NMS (torchvision `ops.batched_nms`): boxes of different labels never suppress each other.
 * @param boxes `[N·4]` x1,y1,x2,y2.
 * @param scores `[N]`.
 * @param labels `[N]` class indices (≥ 0).
 * @param iouThr IoU above which a box is suppressed.
 * @param strategy see {@link BatchedNmsStrategy}. Default 'auto'.
 * @returns indices of the kept boxes, by descending score.
 */
export function batchedNms(boxes: Float32Array, scores: Float32Array, labels: Int32Array, iouThr: number, strategy: BatchedNmsStrategy = 'auto'): Int32Array {
  const n = scores.length;
  if (labels.length !== n || boxes.length !== 4 * n) {
    throw new RangeError(`batchedNms: ${boxes.length / 4} boxes, ${n} scores, ${labels.length} labels`);
  }
  if (n === 0) return new Int32Array(0);
  const perClass = strategy === 'perClass' || (strategy === 'auto' && boxes.length > 4000);
  if (!perClass) {
    let maxCoord = -Infinity;
    for (let i = 0; i < boxes.length; i++) if (boxes[i] > maxCoord) maxCoord = boxes[i];
    const step = f32(maxCoord + 1);
    const shifted = new Float32Array(boxes.length);
    for (let i = 0; i < n; i++) {
      const off = f32(labels[i] * step);
      for (let c = 0; c < 4; c++) shifted[4 * i + c] = boxes[4 * i + c] + off;
    }
    return nms(shifted, scores, iouThr);
  }
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const kept = new Uint8Array(n);
  for (const cls of classes) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === cls) members.push(i);
    const subBoxes = new Float32Array(members.length * 4);
    const subScores = new Float32Array(members.length);
    members.forEach((m, k) => {
      subBoxes.set(boxes.subarray(4 * m, 4 * m + 4), 4 * k);
      subScores[k] = scores[m];
    });
    for (const k of nms(subBoxes, subScores, iouThr)) kept[members[k]] = 1;
  }
  const keptIdx: number[] = [];
  for (let i = 0; i < n; i++) if (kept[i] === 1) keptIdx.push(i);
  const order = sortIndicesDescending(keptIdx.map((i) => scores[i]));
  return Int32Array.from(order, (k) => keptIdx[k]);
}

/** Predictions of one level of one image, on the host. */
export interface LevelPredictions {
  /** `[N_l·K]` class probabilities (sigmoid already applied), prior-major. */
  scores: Float32Array;
  /** `[N_l·D]` regression outputs (RetinaNet: deltas, D = 4; FCOS: distances, D = 4). */
  bboxPreds: Float32Array;
  /** `[N_l·P]` priors (RetinaNet: anchors, P = 4; FCOS: points, P = 2). */
  priors: Float32Array;
  /** `[N_l]` probabilities multiplied into the scores before NMS (FCOS: σ(centerness)), or null. Default null. */
  scoreFactors?: Float32Array | null;
}

/**
 * Decodes the selected candidates of all levels at once.
 * @param priors `[M·P]`.
 * @param bboxPreds `[M·D]`.
 * @param count M.
 * @returns `[M·4]` x1,y1,x2,y2 in the (resized) image frame, clipped to it as the coder does.
 */
export type BoxDecoder = (priors: Float32Array, bboxPreds: Float32Array, count: number) => Float32Array;

/** mmdet's one-stage `test_cfg` (RetinaNet and FCOS use the same values). */
export interface OneStageTestConfig {
  /** Candidates kept per level before NMS, by descending score; ≤ 0 keeps all. Default 1000. */
  nmsPre: number;
  /** Only (prior, class) pairs with score > this are candidates. Default 0.05. */
  scoreThr: number;
  /** IoU threshold of the class-aware NMS. Default 0.5. */
  iouThreshold: number;
  /** Detections kept after NMS. Default 100. */
  maxPerImg: number;
  /** Boxes whose width or height is not > this are dropped before NMS; < 0 disables. Default 0. */
  minBboxSize: number;
}

/** Defaults of {@link OneStageTestConfig} (configs/_base_/models/retinanet_r50_fpn.py, fcos configs). */
export const ONE_STAGE_TEST_CONFIG: OneStageTestConfig = {
  nmsPre: 1000,
  scoreThr: 0.05,
  iouThreshold: 0.5,
  maxPerImg: 100,
  minBboxSize: 0,
};

/** Detections of one image. */
export interface Detections {
  /** `[M·4]` x1,y1,x2,y2. */
  bboxes: Float32Array;
  /** `[M]` descending. */
  scores: Float32Array;
  /** `[M]` class indices. */
  labels: Int32Array;
}

/**
 * mmdet's `BaseDenseHead._predict_by_feat_single` + `_bbox_post_process` for one image:
 *   1. per level, the (prior, class) pairs with score > `scoreThr`, the `nmsPre` best
 *      by descending score (mmdet's `filter_scores_and_topk`; a prior may appear once per class);
 *   2. all levels concatenated (finest first) and decoded by `decode`;
 *   3. scores multiplied by the score factors (FCOS centerness), if any;
 *   4. boxes with width or height ≤ `minBboxSize` dropped (when `minBboxSize` ≥ 0);
 *   5. class-aware NMS (mmcv `batched_nms`: the offset trick below 10000 boxes);
 *   6. the first `maxPerImg`.
 * Boxes stay in the frame the decoder returns (rescale to the original image in the caller).
 * @param levels per-level predictions, finest first.
 * @param numClasses K.
 * @param decode e.g. `(p, d) => coder.decodeHost(p, d, imgShape)`.
 * @param config overrides of {@link ONE_STAGE_TEST_CONFIG}.
 */
export function multiclassNmsPostprocess(levels: readonly LevelPredictions[], numClasses: number, decode: BoxDecoder, config: Partial<OneStageTestConfig> = {}): Detections {
  const cfg: OneStageTestConfig = { ...ONE_STAGE_TEST_CONFIG, ...config };
  // PyTorch compares float32 tensors with Python numbers in float32.
  const scoreThr = f32(cfg.scoreThr);
  const minSize = f32(cfg.minBboxSize);
  const withFactors = levels.length > 0 && levels[0].scoreFactors != null;
  const selPriors: number[] = [];
  const selPreds: number[] = [];
  const selScores: number[] = [];
  const selLabels: number[] = [];
  let priorDim = 0;
  let predDim = 0;
  for (const [l, level] of levels.entries()) {
    const n = level.scores.length / numClasses;
    if (!Number.isInteger(n)) {
      throw new RangeError(`multiclassNmsPostprocess: level ${l} has ${level.scores.length} scores for ${numClasses} classes`);
    }
    if (n === 0) continue;
    priorDim = level.priors.length / n;
    predDim = level.bboxPreds.length / n;
    if ((level.scoreFactors != null) !== withFactors || (withFactors && level.scoreFactors?.length !== n)) {
      throw new RangeError(`multiclassNmsPostprocess: level ${l} score factors do not match the other levels`);
    }
    const valid: number[] = [];
    for (let f = 0; f < level.scores.length; f++) if (level.scores[f] > scoreThr) valid.push(f);
    const validScores = valid.map((f) => level.scores[f]);
    const order = sortIndicesDescending(validScores);
    const count = cfg.nmsPre > 0 ? Math.min(cfg.nmsPre, valid.length) : valid.length;
    for (let r = 0; r < count; r++) {
      const f = valid[order[r]];
      const prior = Math.floor(f / numClasses);
      for (let c = 0; c < priorDim; c++) selPriors.push(level.priors[prior * priorDim + c]);
      for (let c = 0; c < predDim; c++) selPreds.push(level.bboxPreds[prior * predDim + c]);
      const factor = withFactors ? (level.scoreFactors as Float32Array)[prior] : 1;
      selScores.push(withFactors ? f32(validScores[order[r]] * factor) : validScores[order[r]]);
      selLabels.push(f % numClasses);
    }
  }
  const m = selScores.length;
  const empty: Detections = { bboxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) };
  if (m === 0) return empty;
  let boxes: Float32Array = decode(Float32Array.from(selPriors), Float32Array.from(selPreds), m);
  let scores: Float32Array = Float32Array.from(selScores);
  let labels: Int32Array = Int32Array.from(selLabels);
  if (cfg.minBboxSize >= 0) {
    const keep: number[] = [];
    for (let i = 0; i < m; i++) {
      const w = f32(boxes[4 * i + 2] - boxes[4 * i]);
      const h = f32(boxes[4 * i + 3] - boxes[4 * i + 1]);
      if (w > minSize && h > minSize) keep.push(i);
    }
    if (keep.length < m) ({ bboxes: boxes, scores, labels } = select(boxes, scores, labels, keep));
  }
  if (scores.length === 0) return empty;
  const strategy: BatchedNmsStrategy = scores.length < 10000 ? 'offset' : 'perClass';
  const keep = Array.from(batchedNms(boxes, scores, labels, cfg.iouThreshold, strategy)).slice(0, cfg.maxPerImg);
  return select(boxes, scores, labels, keep);
}

function select(boxes: Float32Array, scores: Float32Array, labels: Int32Array, idx: readonly number[]): Detections {
  const out: Detections = {
    bboxes: new Float32Array(idx.length * 4),
    scores: new Float32Array(idx.length),
    labels: new Int32Array(idx.length),
  };
  idx.forEach((i, k) => {
    out.bboxes.set(boxes.subarray(4 * i, 4 * i + 4), 4 * k);
    out.scores[k] = scores[i];
    out.labels[k] = labels[i];
  });
  return out;
}

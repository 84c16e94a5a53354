/**
 * IoU / IoF matrices of two box sets on the host, as mmdetection's
 * `bbox_overlaps` (mmdet/structures/bbox/bbox_overlaps.py, mmdet 3.x) with
 * `is_aligned=False`: boxes are x1,y1,x2,y2 with no "+1", the denominator is
 * clamped to at least `eps` (so degenerate pairs give 0, not NaN).
 *
 * Arithmetic is float32 in PyTorch's order, so the values are bit-identical
 * to mmdet's; the assigner relies on that when it compares IoUs for equality.
 */

const f32 = Math.fround;

/** `iou`: intersection over union; `iof`: intersection over the area of the first box. */
export type OverlapMode = 'iou' | 'iof';

/** `[N]` areas `(x2 − x1)·(y2 − y1)` of `[N·4]` boxes, in float32. */
export function boxAreas(boxes: Float32Array): Float32Array {
  const n = boxes.length / 4;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = f32(boxes[4 * i + 2] - boxes[4 * i]) * f32(boxes[4 * i + 3] - boxes[4 * i + 1]);
  }
  return out;
}

/**
 * Pairwise overlaps.
 * @param boxes1 `[M·4]` x1,y1,x2,y2.
 * @param boxes2 `[N·4]` x1,y1,x2,y2.
 * @param mode `iou` (default) or `iof` (intersection / area of the `boxes1` box).
 * @param eps lower bound of the denominator. Default 1e-6.
 * @returns `[M·N]` row-major: entry `i·N + j` is the overlap of `boxes1[i]` and `boxes2[j]`.
 */
export function bboxOverlaps(boxes1: Float32Array, boxes2: Float32Array, mode: OverlapMode = 'iou', eps = 1e-6): Float32Array {
  if (boxes1.length % 4 !== 0 || boxes2.length % 4 !== 0) {
    throw new RangeError(`bboxOverlaps: box arrays must hold 4 values per box, got ${boxes1.length} and ${boxes2.length}`);
  }
  const m = boxes1.length / 4;
  const n = boxes2.length / 4;
  const out = new Float32Array(m * n);
  if (m * n === 0) return out;
  const area1 = boxAreas(boxes1);
  const area2 = boxAreas(boxes2);
  const epsF = f32(eps);
  const iou = mode === 'iou';
  for (let i = 0; i < m; i++) {
    const ax1 = boxes1[4 * i];
    const ay1 = boxes1[4 * i + 1];
    const ax2 = boxes1[4 * i + 2];
    const ay2 = boxes1[4 * i + 3];
    const a1 = area1[i];
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const w = f32(Math.min(ax2, boxes2[4 * j + 2]) - Math.max(ax1, boxes2[4 * j]));
      const h = f32(Math.min(ay2, boxes2[4 * j + 3]) - Math.max(ay1, boxes2[4 * j + 1]));
      const overlap = f32((w > 0 ? w : 0) * (h > 0 ? h : 0));
      let union = iou ? f32(f32(a1 + area2[j]) - overlap) : a1;
      if (!(union >= epsF)) union = Number.isNaN(union) ? union : epsF;
      out[row + j] = overlap / union;
    }
  }
  return out;
}

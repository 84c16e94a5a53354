/**
 * FCOS training targets on the host, as mmdetection's `FCOSHead.get_targets`,
 * `_get_targets_single` and `centerness_target` (mmdet/models/dense_heads/fcos_head.py,
 * mmdet 3.x). For every point of every level:
 *   - the regression target to gt g is `(l, t, r, b) = (x − x1, y − y1, x2 − x, y2 − y)`;
 *   - g is a candidate when the point is inside g (all four > 0) — or, with
 *     `centerSampling`, inside g's centre box `centre ± stride·radius` clipped to g —
 *     and `max(l, t, r, b)` lies in the level's regression range `[lo, hi]` (inclusive);
 *   - the candidate with the smallest area wins (the lowest index on ties);
 *   - points without a candidate get label `numClasses` (background). Their
 *     regression target is the one to gt 0 (mmdet's argmin over all-INF areas),
 *     which no loss reads.
 * With `normOnBbox` the targets are divided by the level's stride.
 * Arithmetic is float32 in PyTorch's order, so the decisions at the borders match mmdet's.
 */
import type { InstanceTargets } from '../../../structures/data_sample.js';

const f32 = Math.fround;
/** mmdet's INF (1e8), the "no candidate" area and the open end of the last range. */
export const FCOS_INF = 1e8;

/** Options of {@link fcosTargets}; mmdet's `FCOSHead` argument names in camelCase. */
export interface FcosTargetOptions {
  /** Number of foreground classes; also the background label. Required. */
  numClasses: number;
  /** Stride of each level. Default `[8, 16, 32, 64, 128]`. */
  strides: number[];
  /** Inclusive range of `max(l, t, r, b)` of each level. Default `[[-1, 64], [64, 128], [128, 256], [256, 512], [512, 1e8]]`. */
  regressRanges: Array<[number, number]>;
  /** Only points within `stride·centerSampleRadius` of a gt's centre are candidates. Default false (mmdet's default). */
  centerSampling: boolean;
  /** Radius of centre sampling, in strides. Default 1.5. */
  centerSampleRadius: number;
  /** Divide the regression targets by the level's stride (mmdet `norm_on_bbox`). Default false. */
  normOnBbox: boolean;
}

/** Defaults of {@link FcosTargetOptions} (everything but `numClasses`). */
export const FCOS_TARGET_DEFAULTS: Omit<FcosTargetOptions, 'numClasses'> = {
  strides: [8, 16, 32, 64, 128],
  regressRanges: [
    [-1, 64],
    [64, 128],
    [128, 256],
    [256, 512],
    [512, FCOS_INF],
  ],
  centerSampling: false,
  centerSampleRadius: 1.5,
  normOnBbox: false,
};

/** Targets of one image, over the points of all levels concatenated (finest level first). */
export interface FcosTargets {
  /** `[N]` class of each point, `numClasses` for background. */
  labels: Int32Array;
  /** `[N·4]` l, t, r, b (divided by the stride with `normOnBbox`). */
  bboxTargets: Float32Array;
  /** `[P]` indices of the positive points (label < numClasses), ascending. */
  posInds: Int32Array;
  /** `[numLevels]` number of points of each level. */
  numPointsPerLevel: number[];
}

/**
 * Classification and regression targets of one image.
 * @param points one `[N_l·2]` (x, y) array per level, from {@link MlvlPointGenerator}.
 * @param gt boxes `[G·4]` x1,y1,x2,y2 and labels `[G]`.
 * @param options `numClasses` and overrides of {@link FCOS_TARGET_DEFAULTS}.
 */
export function fcosTargets(points: readonly Float32Array[], gt: InstanceTargets, options: Partial<FcosTargetOptions> & Pick<FcosTargetOptions, 'numClasses'>): FcosTargets {
  const o: FcosTargetOptions = { ...FCOS_TARGET_DEFAULTS, ...options };
  if (points.length !== o.strides.length || points.length !== o.regressRanges.length) {
    throw new RangeError(`fcosTargets: ${points.length} point levels, ${o.strides.length} strides, ${o.regressRanges.length} regress ranges`);
  }
  const numGts = gt.bboxes.length / 4;
  if (gt.labels.length !== numGts) throw new RangeError(`fcosTargets: ${numGts} gt boxes but ${gt.labels.length} labels`);
  const numPointsPerLevel = points.map((p) => p.length / 2);
  const total = numPointsPerLevel.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(total).fill(o.numClasses);
  const bboxTargets = new Float32Array(total * 4);
  const pos: number[] = [];
  if (numGts === 0) return { labels, bboxTargets, posInds: new Int32Array(0), numPointsPerLevel };

  const g = gt.bboxes;
  const areas = new Float32Array(numGts);
  const cx = new Float32Array(numGts);
  const cy = new Float32Array(numGts);
  for (let k = 0; k < numGts; k++) {
    areas[k] = f32(g[4 * k + 2] - g[4 * k]) * f32(g[4 * k + 3] - g[4 * k + 1]);
    cx[k] = f32(g[4 * k] + g[4 * k + 2]) / 2;
    cy[k] = f32(g[4 * k + 1] + g[4 * k + 3]) / 2;
  }
  const inf = f32(FCOS_INF);
  const cand = new Float32Array(4);
  let idx = 0;
  for (let level = 0; level < points.length; level++) {
    const pts = points[level];
    const stride = o.strides[level];
    const radius = f32(stride * o.centerSampleRadius);
    const lo = f32(o.regressRanges[level][0]);
    const hi = f32(o.regressRanges[level][1]);
    for (let p = 0; p < pts.length / 2; p++, idx++) {
      const x = pts[2 * p];
      const y = pts[2 * p + 1];
      let minArea = Infinity;
      let best = 0;
      for (let k = 0; k < numGts; k++) {
        const left = f32(x - g[4 * k]);
        const top = f32(y - g[4 * k + 1]);
        const right = f32(g[4 * k + 2] - x);
        const bottom = f32(g[4 * k + 3] - y);
        let inside: boolean;
        if (o.centerSampling) {
          const xMin = f32(cx[k] - radius);
          const yMin = f32(cy[k] - radius);
          const xMax = f32(cx[k] + radius);
          const yMax = f32(cy[k] + radius);
          const bx1 = xMin > g[4 * k] ? xMin : g[4 * k];
          const by1 = yMin > g[4 * k + 1] ? yMin : g[4 * k + 1];
          const bx2 = xMax > g[4 * k + 2] ? g[4 * k + 2] : xMax;
          const by2 = yMax > g[4 * k + 3] ? g[4 * k + 3] : yMax;
          inside = Math.min(f32(x - bx1), f32(y - by1), f32(bx2 - x), f32(by2 - y)) > 0;
        } else {
          inside = Math.min(left, top, right, bottom) > 0;
        }
        const maxDist = Math.max(left, top, right, bottom);
        const inRange = maxDist >= lo && maxDist <= hi;
        const area = inside && inRange ? areas[k] : inf;
        if (area < minArea) {
          minArea = area;
          best = k;
          cand[0] = left;
          cand[1] = top;
          cand[2] = right;
          cand[3] = bottom;
        }
      }
      if (minArea !== inf) {
        labels[idx] = gt.labels[best];
        pos.push(idx);
      }
      for (let c = 0; c < 4; c++) bboxTargets[4 * idx + c] = o.normOnBbox ? cand[c] / stride : cand[c];
    }
  }
  return { labels, bboxTargets, posInds: Int32Array.from(pos), numPointsPerLevel };
}

/**
 * Centerness targets `sqrt(min(l, r)/max(l, r) · min(t, b)/max(t, b))` (mmdet's
 * `centerness_target`), for positive points only (background targets may be
 * negative and give NaN).
 * @param bboxTargets `[P·4]` l, t, r, b of the positives (normalised or not: the ratio is the same).
 * @returns `[P]` in [0, 1].
 */
export function centernessTarget(bboxTargets: Float32Array): Float32Array {
  const n = bboxTargets.length / 4;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = bboxTargets[4 * i];
    const t = bboxTargets[4 * i + 1];
    const r = bboxTargets[4 * i + 2];
    const b = bboxTargets[4 * i + 3];
    const lr = f32(Math.min(l, r) / Math.max(l, r));
    const tb = f32(Math.min(t, b) / Math.max(t, b));
    out[i] = Math.sqrt(f32(lr * tb));
  }
  return out;
}

/**
 * Gathers the rows of the positives.
 * @param values `[N·D]`.
 * @param posInds `[P]` row indices.
 * @param dim D (4 for boxes). Default 4.
 * @returns `[P·D]`.
 */
export function gatherRows(values: Float32Array, posInds: Int32Array, dim = 4): Float32Array {
  const out = new Float32Array(posInds.length * dim);
  for (let i = 0; i < posInds.length; i++) out.set(values.subarray(posInds[i] * dim, posInds[i] * dim + dim), i * dim);
  return out;
}

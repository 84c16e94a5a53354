/**
 * Per image and category evaluation: pycocotools' `computeIoU` and
 * `evaluateImg` for `iouType='bbox'`.
 */
import type { AreaRange } from './coco_params.js';
import type { CocoBox } from './coco_types.js';
import { bboxIou } from './bbox_iou.js';
import { rleIou, type Rle } from '../../structures/mask/rle.js';
import { stableArgsortDesc } from './numpy_compat.js';

/** A ground-truth object of one image and category, in file order. */
export interface EvalGt {
  /** Annotation id (stored as the match of a detection; 0 reads as "unmatched", as in pycocotools). */
  readonly id: number;
  /** Box `[x, y, w, h]`. */
  readonly bbox: CocoBox;
  /** The annotation's `area` field. */
  readonly area: number;
  /** 1 for a crowd region. */
  readonly iscrowd: 0 | 1;
  /** The object's mask (`segm` evaluation only). */
  readonly rle?: Rle;
}

/** A detection of one image and category, in results-file order. */
export interface EvalDt {
  /** 1-based position in the results file (`loadRes` ids). */
  readonly id: number;
  /** Box `[x, y, w, h]`. */
  readonly bbox: CocoBox;
  /** `w * h` of the box. */
  readonly area: number;
  /** Confidence score. */
  readonly score: number;
  /** The detection's mask (`segm` evaluation only). */
  readonly rle?: Rle;
}

/** Detections sorted by score and their IoUs with the ground truth of one image and category. */
export interface PreparedPair {
  /** Ground truth in file order. */
  readonly gts: readonly EvalGt[];
  /** Detections by descending score (stable), truncated to the largest maxDet. */
  readonly dts: readonly EvalDt[];
  /** Row-major `[D, G]` IoUs, gts in file order; empty when D or G is 0. */
  readonly ious: Float64Array;
}

/** Result of {@link evaluateImg}: one image, category and area range (pycocotools' `evalImgs` entry). */
export interface EvalImgResult {
  /** Number of detections kept (<= largest maxDet). */
  readonly D: number;
  /** Number of ground-truth objects. */
  readonly G: number;
  /** Scores of the detections, highest first. */
  readonly dtScores: Float64Array;
  /** `[T, D]`: id of the matched ground truth at each IoU threshold, 0 if none. */
  readonly dtMatches: Float64Array;
  /** `[T, D]`: 1 when the detection is ignored at that threshold. */
  readonly dtIgnore: Uint8Array;
  /** `[G]`: 1 for ignored ground truth (crowd or outside the area range), sorted ignored last. */
  readonly gtIgnore: Uint8Array;
}

/** Row-major `[D, G]` mask IoUs (pycocotools `maskUtils.iou` on RLEs). */
function maskIou(dts: readonly EvalDt[], gts: readonly EvalGt[]): Float64Array {
  const need = (r: Rle | undefined, what: string): Rle => {
    if (r === undefined) throw new Error(`segm evaluation: ${what} has no mask`);
    return r;
  };
  const m = rleIou(
    dts.map((d) => need(d.rle, `detection #${d.id}`)),
    gts.map((g) => need(g.rle, `annotation id ${g.id}`)),
    gts.map((g) => g.iscrowd),
  );
  return Float64Array.from(m.flat());
}

/**
 * `computeIoU`: sorts the detections by score (stable, like numpy mergesort),
 * keeps the first `maxDet`, and computes their IoUs with the ground truth.
 */
export function preparePair(gts: readonly EvalGt[], allDts: readonly EvalDt[], maxDet: number, iouType: 'bbox' | 'segm' = 'bbox'): PreparedPair {
  const order = stableArgsortDesc(allDts.map((d) => d.score));
  const dts: EvalDt[] = [];
  for (let i = 0; i < order.length && i < maxDet; i++) dts.push(allDts[order[i]]);
  const ious =
    dts.length === 0 || gts.length === 0
      ? new Float64Array(0)
      : iouType === 'segm'
        ? maskIou(dts, gts)
        : bboxIou(
            dts.map((d) => d.bbox),
            gts.map((g) => g.bbox),
            gts.map((g) => g.iscrowd),
          );
  return { gts, dts, ious };
}

/**
 * `evaluateImg`: greedy matching of score-sorted detections to ground truth at
 * every IoU threshold, for one area range. Returns null when the image has
 * neither ground truth nor detections of the category.
 */
export function evaluateImg(pair: PreparedPair, aRng: AreaRange, iouThrs: Float64Array): EvalImgResult | null {
  const { gts, dts, ious } = pair;
  const G = gts.length;
  const D = dts.length;
  if (G === 0 && D === 0) return null;
  const [lo, hi] = aRng;

  // ignore flags in file order, then ground truth sorted with ignored last (stable)
  const ignoreByFile = gts.map((g) => (g.iscrowd !== 0 || g.area < lo || g.area > hi ? 1 : 0));
  const gtind = Array.from({ length: G }, (_, i) => i).sort((a, b) => ignoreByFile[a] - ignoreByFile[b] || a - b);
  const gtSorted = gtind.map((i) => gts[i]);
  const gtIg = Uint8Array.from(gtind, (i) => ignoreByFile[i]);
  const crowd = gtSorted.map((g) => g.iscrowd !== 0);

  const T = iouThrs.length;
  const gtm = new Float64Array(T * G);
  const dtm = new Float64Array(T * D);
  const dtIg = new Uint8Array(T * D);
  if (ious.length > 0) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(iouThrs[t], 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          // a matched regular gt is taken; a crowd gt can absorb any number of detections
          if (gtm[t * G + g] > 0 && !crowd[g]) continue;
          // once matched to a regular gt, stop at the first ignored gt
          if (m > -1 && gtIg[m] === 0 && gtIg[g] === 1) break;
          const v = ious[d * G + gtind[g]];
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        dtIg[t * D + d] = gtIg[m];
        dtm[t * D + d] = gtSorted[m].id;
        gtm[t * G + m] = dts[d].id;
      }
    }
  }
  // unmatched detections outside the area range are ignored
  for (let d = 0; d < D; d++) {
    const area = dts[d].area;
    if (!(area < lo || area > hi)) continue;
    for (let t = 0; t < T; t++) {
      if (dtm[t * D + d] === 0) dtIg[t * D + d] = 1;
    }
  }
  return {
    D,
    G,
    dtScores: Float64Array.from(dts, (d) => d.score),
    dtMatches: dtm,
    dtIgnore: dtIg,
    gtIgnore: gtIg,
  };
}

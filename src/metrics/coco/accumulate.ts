/**
 * pycocotools' `COCOeval.accumulate()`: precision / recall curves per IoU
 * threshold, category, area range and maxDets from the per-image results.
 */
import type { CocoEvalParams } from './coco_params.js';
import type { EvalImgResult } from './evaluate_img.js';
import { searchsortedLeft, stableArgsortDesc } from './numpy_compat.js';

/** A dense float64 array stored flat in row-major (C) order. */
export interface DenseArray {
  /** Values, row-major. */
  readonly data: Float64Array;
  /** Dimensions; `data.length` is their product. */
  readonly dims: readonly number[];
}

/** Output of {@link accumulate}. -1 marks settings without (non-ignored) ground truth. */
export interface Accumulated {
  /** `[T, R, K, A, M]` interpolated precision at each recall threshold. */
  readonly precision: DenseArray;
  /** `[T, K, A, M]` maximum recall. */
  readonly recall: DenseArray;
}

/** `np.spacing(1)`: the gap between 1 and the next double. */
const EPS = 2.220446049250313e-16;

/**
 * Accumulates `evalImgs`, laid out `[K][A][I]` (index `(k * A + a) * I + i`,
 * null where an image has neither ground truth nor detections of a category).
 */
export function accumulate(evalImgs: readonly (EvalImgResult | null)[], p: CocoEvalParams): Accumulated {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.catIds.length;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const I = p.imgIds.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);

  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E: EvalImgResult[] = [];
      for (let i = 0; i < I; i++) {
        const e = evalImgs[(k * A + a) * I + i];
        if (e !== null) E.push(e);
      }
      if (E.length === 0) continue;
      let npig = 0;
      for (const e of E) for (const ig of e.gtIgnore) if (ig === 0) npig++;
      if (npig === 0) continue;

      for (let m = 0; m < M; m++) {
        const maxDet = p.maxDets[m];
        // concatenate the first maxDet detections of every image, then sort by score
        const kept = E.map((e) => Math.min(e.D, maxDet));
        const nd = kept.reduce((s, n) => s + n, 0);
        const scores = new Float64Array(nd);
        const src = new Int32Array(nd); // index into E
        const col = new Int32Array(nd); // detection index within its image
        let o = 0;
        E.forEach((e, j) => {
          for (let d = 0; d < kept[j]; d++, o++) {
            scores[o] = e.dtScores[d];
            src[o] = j;
            col[o] = d;
          }
        });
        const inds = stableArgsortDesc(scores);

        const tp = new Float64Array(nd);
        const fp = new Float64Array(nd);
        const rc = new Float64Array(nd);
        const pr = new Float64Array(nd);
        for (let t = 0; t < T; t++) {
          let tpSum = 0;
          let fpSum = 0;
          for (let n = 0; n < nd; n++) {
            const e = E[src[inds[n]]];
            const at = t * e.D + col[inds[n]];
            if (e.dtIgnore[at] === 0) {
              if (e.dtMatches[at] !== 0) tpSum++;
              else fpSum++;
            }
            tp[n] = tpSum;
            fp[n] = fpSum;
          }
          for (let n = 0; n < nd; n++) {
            rc[n] = tp[n] / npig;
            pr[n] = tp[n] / (fp[n] + tp[n] + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
          // precision envelope: make it non-increasing from right to left
          for (let n = nd - 1; n > 0; n--) {
            if (pr[n] > pr[n - 1]) pr[n - 1] = pr[n];
          }
          // precision at each recall threshold; 0 past the highest recall reached
          for (let r = 0; r < R; r++) {
            const pi = searchsortedLeft(rc, nd, p.recThrs[r]);
            precision[(((t * R + r) * K + k) * A + a) * M + m] = pi < nd ? pr[pi] : 0;
          }
        }
      }
    }
  }
  return {
    precision: { data: precision, dims: [T, R, K, A, M] },
    recall: { data: recall, dims: [T, K, A, M] },
  };
}

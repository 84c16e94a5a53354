/**
 * pycocotools' `COCOeval.summarize()` for detections: the 12 summary numbers.
 */
import type { Accumulated } from './accumulate.js';
import type { CocoEvalParams } from './coco_params.js';
import { numpyMean } from './numpy_compat.js';

/**
 * One `_summarize` call: mean of the entries > -1 of precision (`ap`) or recall
 * over the selected IoU threshold (all when null), every category, one area
 * range and one maxDets; -1 when no entry is > -1 or when the threshold, the
 * area label or the maxDets value is not among the parameters.
 */
function summarizeOne(acc: Accumulated, p: CocoEvalParams, ap: boolean, iouThr: number | null, areaLbl: string, maxDets: number): number {
  const a = p.areaRngLbl.indexOf(areaLbl);
  const m = p.maxDets.indexOf(maxDets);
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.catIds.length;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  // exact float comparison, as `np.where(iouThr == p.iouThrs)`
  const ts = iouThr === null ? [...Array(T).keys()] : [...Array(T).keys()].filter((t) => p.iouThrs[t] === iouThr);
  if (a < 0 || m < 0 || ts.length === 0) return -1;
  // values in the C order of the numpy selection: t, then r (precision only), then k
  const vals: number[] = [];
  for (const t of ts) {
    if (ap) {
      for (let r = 0; r < R; r++) {
        for (let k = 0; k < K; k++) {
          const v = acc.precision.data[(((t * R + r) * K + k) * A + a) * M + m];
          if (v > -1) vals.push(v);
        }
      }
    } else {
      for (let k = 0; k < K; k++) {
        const v = acc.recall.data[((t * K + k) * A + a) * M + m];
        if (v > -1) vals.push(v);
      }
    }
  }
  return vals.length === 0 ? -1 : numpyMean(vals);
}

/**
 * The 12 numbers of `summarize()` in pycocotools order: AP@[.5:.95], AP@.5,
 * AP@.75, AP small / medium / large, AR@maxDets[0], AR@maxDets[1],
 * AR@maxDets[2], AR small / medium / large. The first uses maxDets=100
 * literally, as pycocotools does.
 */
export function summarizeDets(acc: Accumulated, p: CocoEvalParams): number[] {
  const [m0, m1, m2] = p.maxDets;
  return [
    summarizeOne(acc, p, true, null, 'all', 100),
    summarizeOne(acc, p, true, 0.5, 'all', m2),
    summarizeOne(acc, p, true, 0.75, 'all', m2),
    summarizeOne(acc, p, true, null, 'small', m2),
    summarizeOne(acc, p, true, null, 'medium', m2),
    summarizeOne(acc, p, true, null, 'large', m2),
    summarizeOne(acc, p, false, null, 'all', m0),
    summarizeOne(acc, p, false, null, 'all', m1),
    summarizeOne(acc, p, false, null, 'all', m2),
    summarizeOne(acc, p, false, null, 'small', m2),
    summarizeOne(acc, p, false, null, 'medium', m2),
    summarizeOne(acc, p, false, null, 'large', m2),
  ];
}

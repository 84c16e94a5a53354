/**
 * Semantic-segmentation IoU metric, a pure-TypeScript port of the math in
 * mmsegmentation's `IoUMetric` (mmseg/evaluation/metrics/iou_metric.py:
 * `intersect_and_union` and `total_area_to_metrics` with `metrics=['mIoU']`).
 *
 * Differences from mmseg, all deliberate:
 * - results are fractions in [0, 1], not percentages rounded to 2 decimals
 *   (mmseg reports `np.round(np.nanmean(v) * 100, 2)`);
 * - areas are counted and summed in float64 (mmseg uses float32 `torch.histc`
 *   tensors, whose running sum stops being exact above 2^24 pixels per class);
 * - `reduce_zero_label` is not part of the metric: the dataset applies it to
 *   the label map before the metric sees it, exactly as in mmseg.
 */
import { ShapeError } from '../../core/errors.js';

/** Flat integer class maps accepted by the metric (one value per pixel). */
export type SegLabelArray = Uint8Array | Uint16Array | Int32Array;

/**
 * Per-class pixel areas of one image (or of a whole dataset once summed),
 * each a `Float64Array(numClasses)`:
 * - `areaIntersect[c]` = #pixels with `pred == label == c`
 * - `areaPredLabel[c]` = #pixels with `pred == c`
 * - `areaLabel[c]`     = #pixels with `label == c`
 * - `areaUnion[c]`     = `areaPredLabel[c] + areaLabel[c] - areaIntersect[c]`
 *
 * Only pixels whose label differs from the ignore index are counted.
 */
export interface IntersectAndUnion {
  areaIntersect: Float64Array;
  areaUnion: Float64Array;
  areaPredLabel: Float64Array;
  areaLabel: Float64Array;
}

/**
 * The mIoU metrics, as fractions in [0, 1] (NaN where mmseg gives NaN).
 *
 * - `aAcc` = Σ_c intersect[c] / Σ_c label[c] (overall pixel accuracy; NaN if
 *   no pixel was counted, e.g. every label pixel is ignored);
 * - `perClass.iou[c]` = intersect[c] / union[c];
 * - `perClass.acc[c]` = intersect[c] / label[c];
 * - `mIoU`, `mAcc` = nanmean of the per-class values (NaN entries skipped;
 *   NaN when every entry is NaN).
 *
 * In `perClass` a NaN is reported as `null`: a class absent from both labels
 * and predictions has `iou = acc = null`; a class predicted but absent from
 * the labels has `iou = 0, acc = null`; a class labelled but never predicted
 * has `iou = 0, acc = 0`.
 */
export interface SegMetrics {
  aAcc: number;
  mIoU: number;
  mAcc: number;
  perClass: { iou: (number | null)[]; acc: (number | null)[] };
}

/** Flat JSON-ready form of {@link SegMetrics}; NaN becomes `null`. */
export type SegMetricsJson = Record<string, number | null>;

function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
}

function emptyAreas(numClasses: number): IntersectAndUnion {
  return {
    areaIntersect: new Float64Array(numClasses),
    areaUnion: new Float64Array(numClasses),
    areaPredLabel: new Float64Array(numClasses),
    areaLabel: new Float64Array(numClasses),
  };
}

/**
 * Adds the areas of one (pred, label) pair into `out` (union included).
 * Same semantics as {@link intersectAndUnion}.
 */
function accumulateAreas(pred: SegLabelArray, label: SegLabelArray, numClasses: number, ignoreIndex: number, out: IntersectAndUnion): void {
  if (pred.length !== label.length) {
    throw new ShapeError(`intersectAndUnion: pred has ${pred.length} pixels but label has ${label.length}; they must be equal`);
  }
  const inter = new Float64Array(numClasses);
  const predArea = new Float64Array(numClasses);
  const labelArea = new Float64Array(numClasses);
  for (let i = 0; i < label.length; i++) {
    const l = label[i];
    if (l === ignoreIndex) continue;
    const p = pred[i];
    // torch.histc(min=0, max=numClasses-1, bins=numClasses) drops values
    // outside [0, numClasses-1]; on integers its bins are exactly 0..C-1.
    if (p >= 0 && p < numClasses) {
      predArea[p] += 1;
      if (p === l) inter[p] += 1;
    }
    if (l >= 0 && l < numClasses) labelArea[l] += 1;
  }
  for (let c = 0; c < numClasses; c++) {
    out.areaIntersect[c] += inter[c];
    out.areaPredLabel[c] += predArea[c];
    out.areaLabel[c] += labelArea[c];
    out.areaUnion[c] += predArea[c] + labelArea[c] - inter[c];
  }
}

/**
 * Per-class intersection / union / prediction / label areas of one image,
 * exactly as mmseg's `IoUMetric.intersect_and_union`:
 *
 * 1. drop every pixel whose `label` equals `ignoreIndex` (from both maps);
 * 2. histogram over classes `[0, numClasses)` of the remaining `pred` values
 *    (`areaPredLabel`), `label` values (`areaLabel`) and of `pred` at pixels
 *    where `pred == label` (`areaIntersect`); values outside the range are
 *    not counted in their histogram (as `torch.histc` does);
 * 3. `areaUnion = areaPredLabel + areaLabel - areaIntersect`.
 *
 * @param pred predicted class per pixel (flat, any layout shared with label)
 * @param label ground-truth class per pixel, same length as `pred`
 * @param numClasses number of classes C (positive integer)
 * @param ignoreIndex label value whose pixels are excluded (default 255)
 * @returns four `Float64Array(numClasses)` of pixel counts
 * @throws ShapeError naming both lengths when `pred.length !== label.length`
 * @throws RangeError when `numClasses` is not a positive integer
 */
export function intersectAndUnion(pred: SegLabelArray, label: SegLabelArray, numClasses: number, ignoreIndex = 255): IntersectAndUnion {
  checkNumClasses(numClasses);
  const out = emptyAreas(numClasses);
  accumulateAreas(pred, label, numClasses, ignoreIndex, out);
  return out;
}

function nanToNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

/** Mean over the non-NaN entries (numpy `nanmean`); NaN if there are none. */
function nanMean(values: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      n += 1;
    }
  }
  return n === 0 ? Number.NaN : sum / n;
}

/**
 * Turns dataset-total areas into metrics, as mmseg's
 * `IoUMetric.total_area_to_metrics(..., metrics=['mIoU'])` followed by the
 * `nanmean` of `compute_metrics`, without the ×100 and rounding:
 * `aAcc = Σ I / Σ L`, `IoU = I / U`, `Acc = I / L`, `mIoU = nanmean(IoU)`,
 * `mAcc = nanmean(Acc)`; 0/0 gives NaN (reported as `null` per class).
 *
 * @param areas summed areas, e.g. from {@link intersectAndUnion}
 */
export function segMetricsFromAreas(areas: IntersectAndUnion): SegMetrics {
  const { areaIntersect, areaUnion, areaLabel } = areas;
  const numClasses = areaIntersect.length;
  const iou = new Float64Array(numClasses);
  const acc = new Float64Array(numClasses);
  let sumIntersect = 0;
  let sumLabel = 0;
  for (let c = 0; c < numClasses; c++) {
    iou[c] = areaIntersect[c] / areaUnion[c];
    acc[c] = areaIntersect[c] / areaLabel[c];
    sumIntersect += areaIntersect[c];
    sumLabel += areaLabel[c];
  }
  return {
    aAcc: sumIntersect / sumLabel,
    mIoU: nanMean(iou),
    mAcc: nanMean(acc),
    perClass: { iou: Array.from(iou, nanToNull), acc: Array.from(acc, nanToNull) },
  };
}

/**
 * Accumulates {@link intersectAndUnion} areas image by image and computes the
 * dataset metrics at the end (mmseg sums the per-image areas, then divides).
 * Adding images one by one gives the same result as adding their
 * concatenation.
 */
export class IoUAccumulator {
  private areas: IntersectAndUnion;

  /**
   * @param numClasses number of classes C (positive integer)
   * @param ignoreIndex label value whose pixels are excluded (default 255)
   */
  constructor(
    readonly numClasses: number,
    readonly ignoreIndex = 255,
  ) {
    checkNumClasses(numClasses);
    this.areas = emptyAreas(numClasses);
  }

  /**
   * Adds one image (or any batch of pixels).
   * @throws ShapeError naming both lengths when they differ (nothing is added)
   */
  add(pred: SegLabelArray, label: SegLabelArray): void {
    accumulateAreas(pred, label, this.numClasses, this.ignoreIndex, this.areas);
  }

  /** A copy of the areas summed so far. */
  totals(): IntersectAndUnion {
    return {
      areaIntersect: this.areas.areaIntersect.slice(),
      areaUnion: this.areas.areaUnion.slice(),
      areaPredLabel: this.areas.areaPredLabel.slice(),
      areaLabel: this.areas.areaLabel.slice(),
    };
  }

  /** Metrics of everything added so far; see {@link segMetricsFromAreas}. */
  compute(): SegMetrics {
    return segMetricsFromAreas(this.areas);
  }

  /** Forgets everything added so far. */
  reset(): void {
    this.areas = emptyAreas(this.numClasses);
  }
}

/**
 * Flattens {@link SegMetrics} into a JSON-ready object:
 * `{ mIoU, mAcc, aAcc, "IoU.<name>": ..., "Acc.<name>": ... }` (the per-class
 * keys follow mmseg's table columns `IoU` / `Acc`), fractions in [0, 1],
 * `null` for NaN.
 *
 * @param result metrics from {@link IoUAccumulator.compute}
 * @param classNames one unique name per class, in class-index order
 * @throws RangeError when the number of names differs from the number of
 *   classes, or a name repeats (keys would collide)
 */
export function segMetricsToJson(result: SegMetrics, classNames: readonly string[]): SegMetricsJson {
  const numClasses = result.perClass.iou.length;
  if (classNames.length !== numClasses) {
    throw new RangeError(`segMetricsToJson: got ${classNames.length} class names for ${numClasses} classes`);
  }
  if (new Set(classNames).size !== classNames.length) {
    throw new RangeError(`segMetricsToJson: class names must be unique, got [${classNames.join(', ')}]`);
  }
  const json: SegMetricsJson = {
    mIoU: nanToNull(result.mIoU),
    mAcc: nanToNull(result.mAcc),
    aAcc: nanToNull(result.aAcc),
  };
  classNames.forEach((name, c) => {
    json[`IoU.${name}`] = result.perClass.iou[c];
  });
  classNames.forEach((name, c) => {
    json[`Acc.${name}`] = result.perClass.acc[c];
  });
  return json;
}

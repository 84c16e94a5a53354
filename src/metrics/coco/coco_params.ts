/**
 * Parameters of COCO bbox evaluation, the defaults of pycocotools'
 * `Params(iouType='bbox')`.
 */
import { linspace } from './numpy_compat.js';

/** An area range `[min, max]` in pixels², both bounds inclusive. */
export type AreaRange = readonly [number, number];

/** Evaluation parameters (pycocotools `Params` for `iouType='bbox'`, `useCats=1`). */
export interface CocoEvalParams {
  /** Sorted unique image ids evaluated. */
  readonly imgIds: readonly number[];
  /** Sorted unique category ids evaluated. */
  readonly catIds: readonly number[];
  /** IoU thresholds, `np.linspace(.5, .95, 10)`. */
  readonly iouThrs: Float64Array;
  /** Recall thresholds, `np.linspace(0, 1, 101)`. */
  readonly recThrs: Float64Array;
  /** Sorted maximum numbers of detections per image and category, default `[1, 10, 100]`. */
  readonly maxDets: readonly number[];
  /** Area ranges: all, small, medium, large. */
  readonly areaRng: readonly AreaRange[];
  /** Labels of {@link CocoEvalParams.areaRng}. */
  readonly areaRngLbl: readonly string[];
}

/** Options of {@link makeCocoEvalParams}; unspecified fields take pycocotools' defaults. */
export interface CocoEvalOptions {
  /** Image ids to evaluate (default: every image of the ground truth). */
  imgIds?: readonly number[];
  /** Category ids to evaluate (default: every category of the ground truth). */
  catIds?: readonly number[];
  /** Maximum detections per image and category (default `[1, 10, 100]`). */
  maxDets?: readonly number[];
}

/** `np.unique`: sorted ascending, duplicates removed. */
function uniqueSorted(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

/**
 * Builds the evaluation parameters: thresholds computed as numpy does (so that
 * e.g. `iouThrs[8]` is `0.8999999999999999`, like pycocotools), area ranges
 * `[0, 1e10]`, `[0, 32²]`, `[32², 96²]`, `[96², 1e10]`.
 */
export function makeCocoEvalParams(allImgIds: readonly number[], allCatIds: readonly number[], options: CocoEvalOptions = {}): CocoEvalParams {
  const numIou = Math.round((0.95 - 0.5) / 0.05) + 1;
  const numRec = Math.round((1.0 - 0.0) / 0.01) + 1;
  return {
    imgIds: uniqueSorted(options.imgIds ?? allImgIds),
    catIds: uniqueSorted(options.catIds ?? allCatIds),
    iouThrs: linspace(0.5, 0.95, numIou),
    recThrs: linspace(0.0, 1.0, numRec),
    maxDets: [...(options.maxDets ?? [1, 10, 100])].sort((a, b) => a - b),
    areaRng: [
      [0 ** 2, 1e5 ** 2],
      [0 ** 2, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}

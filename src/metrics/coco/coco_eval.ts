/**
 * COCO bbox evaluation reproducing pycocotools' `COCOeval(gt, dt, 'bbox')`:
 * `evaluate()`, `accumulate()` and `summarize()`, with `useCats = 1`.
 */
import { ConfigError } from '../../core/errors.js';
import { accumulate, type DenseArray } from './accumulate.js';
import { makeCocoEvalParams, type CocoEvalOptions, type CocoEvalParams } from './coco_params.js';
import type { CocoDetection, CocoGroundTruth } from './coco_types.js';
import { evaluateImg, preparePair, type EvalDt, type EvalGt, type EvalImgResult, type PreparedPair } from './evaluate_img.js';
import { summarizeDets } from './summarize.js';

export type { CocoEvalOptions, CocoEvalParams } from './coco_params.js';
export type { DenseArray } from './accumulate.js';

/** Result of {@link evaluateCocoBbox}. */
export interface CocoEvalResult {
  /** The 12 summary numbers in pycocotools order (fractions; -1 where undefined). */
  readonly stats: number[];
  /** `[T, R, K, A, M]` precision of `accumulate()` (-1 for absent settings). */
  readonly precision: DenseArray;
  /** `[T, K, A, M]` recall of `accumulate()` (-1 for absent settings). */
  readonly recall: DenseArray;
  /** The parameters used. */
  readonly params: CocoEvalParams;
  /** Number of detections dropped because their category is not in the ground truth. */
  readonly ignoredDetections: number;
}

type ByImageCat<T> = Map<number, Map<number, T[]>>;

function push<T>(map: ByImageCat<T>, img: number, cat: number, item: T): void {
  let byCat = map.get(img);
  if (byCat === undefined) {
    byCat = new Map();
    map.set(img, byCat);
  }
  const list = byCat.get(cat);
  if (list === undefined) byCat.set(cat, [item]);
  else list.push(item);
}

function validateOptions(options: CocoEvalOptions): void {
  const md = options.maxDets;
  if (md !== undefined) {
    const ok = md.length === 3 && md.every((v) => Number.isSafeInteger(v) && v > 0) && new Set(md).size === 3;
    if (!ok) {
      throw new ConfigError(`evaluateCocoBbox: maxDets [${md.join(', ')}]; expected 3 distinct positive integers`);
    }
  }
  for (const key of ['imgIds', 'catIds'] as const) {
    const ids = options[key];
    if (ids !== undefined && !ids.every((v) => Number.isSafeInteger(v))) {
      throw new ConfigError(`evaluateCocoBbox: ${key} contains a non-integer id; expected integer ids`);
    }
  }
}

/**
 * Evaluates detection results against COCO ground truth exactly as pycocotools'
 * `COCOeval` with `iouType='bbox'` does (same sorting, tie-breaking, matching,
 * interpolation and averaging), so that the 12 numbers agree with it.
 *
 * Ground-truth areas are the annotations' `area` fields; detection areas are
 * `w * h`. Detections are numbered 1.. in `results` order, as `loadRes` does.
 *
 * @param gt - validated ground truth (see `parseCocoGroundTruth`).
 * @param results - validated detections (see `parseCocoResults`).
 * @param options - optional image / category subsets and maxDets.
 * @throws ConfigError for invalid options.
 */
export function evaluateCocoBbox(
  gt: CocoGroundTruth,
  results: readonly CocoDetection[],
  options: CocoEvalOptions = {},
): CocoEvalResult {
  validateOptions(options);
  const p = makeCocoEvalParams(
    gt.images.map((im) => im.id),
    gt.categories.map((c) => c.id),
    options,
  );
  const imgSet = new Set(p.imgIds);
  const catSet = new Set(p.catIds);
  const gtCats = new Set(gt.categories.map((c) => c.id));

  // _prepare: group by (image, category), keeping file order within a group
  const gts: ByImageCat<EvalGt> = new Map();
  for (const a of gt.annotations) {
    if (!imgSet.has(a.image_id) || !catSet.has(a.category_id)) continue;
    push(gts, a.image_id, a.category_id, { id: a.id, bbox: a.bbox, area: a.area, iscrowd: a.iscrowd });
  }
  const dts: ByImageCat<EvalDt> = new Map();
  let ignoredDetections = 0;
  results.forEach((r, i) => {
    if (!gtCats.has(r.category_id)) ignoredDetections++;
    if (!imgSet.has(r.image_id) || !catSet.has(r.category_id)) return;
    push(dts, r.image_id, r.category_id, { id: i + 1, bbox: r.bbox, area: r.bbox[2] * r.bbox[3], score: r.score });
  });

  // evaluate: IoUs per (image, category), then per (category, area range, image)
  const maxDet = p.maxDets[p.maxDets.length - 1];
  const pairs = new Map<number, Map<number, PreparedPair>>();
  const getPair = (img: number, cat: number): PreparedPair => {
    let byCat = pairs.get(img);
    if (byCat === undefined) {
      byCat = new Map();
      pairs.set(img, byCat);
    }
    let pair = byCat.get(cat);
    if (pair === undefined) {
      pair = preparePair(gts.get(img)?.get(cat) ?? [], dts.get(img)?.get(cat) ?? [], maxDet);
      byCat.set(cat, pair);
    }
    return pair;
  };
  const evalImgs: (EvalImgResult | null)[] = [];
  for (const cat of p.catIds) {
    for (const aRng of p.areaRng) {
      for (const img of p.imgIds) {
        const hasAny = gts.get(img)?.has(cat) === true || dts.get(img)?.has(cat) === true;
        evalImgs.push(hasAny ? evaluateImg(getPair(img, cat), aRng, p.iouThrs) : null);
      }
    }
  }

  const acc = accumulate(evalImgs, p);
  return {
    stats: summarizeDets(acc, p),
    precision: acc.precision,
    recall: acc.recall,
    params: p,
    ignoredDetections,
  };
}

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
import { DataError } from '../../core/errors.js';
import { frPyObjects, merge, rleFromObject, type CocoSegmentation } from '../../structures/mask/coco_mask_api.js';
import { rleArea, type Rle } from '../../structures/mask/rle.js';

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
export function evaluateCocoBbox(gt: CocoGroundTruth, results: readonly CocoDetection[], options: CocoEvalOptions = {}): CocoEvalResult {
  return evaluateCoco(gt, results, options, 'bbox');
}

/** pycocotools `annToRLE`: polygons are rasterised and merged, uncompressed RLE compressed. */
function segmentationToRle(segm: CocoSegmentation, h: number, w: number, what: string): Rle {
  try {
    if (Array.isArray(segm)) {
      for (const [k, poly] of segm.entries()) {
        if (!Array.isArray(poly) || poly.length < 6) {
          throw new Error(`polygon ${k} has ${Array.isArray(poly) ? poly.length / 2 : 0} points; expected at least 3`);
        }
      }
      return rleFromObject(merge(frPyObjects(segm, h, w)));
    }
    const rle = rleFromObject(segm);
    if (rle.h !== h || rle.w !== w) throw new Error(`RLE size ${rle.h}x${rle.w} does not match the image ${h}x${w}`);
    return rle;
  } catch (e) {
    throw new DataError(`${what}: segmentation: ${(e as Error).message}`);
  }
}

/**
 * `COCOeval(gt, dt, iouType)` for `'bbox'` or `'segm'`. For `segm` every annotation and
 * result needs a `segmentation` and every image its `height`/`width`; detection areas are
 * the results' `area` (see `CocoDetection.area`, set by `parseCocoResults` as `loadRes`
 * does) or else mask areas, ground-truth areas the `area` fields, IoUs mask IoUs (as pycocotools).
 */
export function evaluateCoco(gt: CocoGroundTruth, results: readonly CocoDetection[], options: CocoEvalOptions = {}, iouType: 'bbox' | 'segm' = 'bbox'): CocoEvalResult {
  const segm = iouType === 'segm';
  const imgSize = new Map(gt.images.map((im) => [im.id, im]));
  const sizeOf = (imageId: number, what: string): [number, number] => {
    const im = imgSize.get(imageId);
    if (im?.height === undefined || im.width === undefined) {
      throw new DataError(`${what}: image ${imageId} has no height/width; segm evaluation needs them`);
    }
    return [im.height, im.width];
  };
  const gtRle = (a: CocoGroundTruth['annotations'][number]): Rle | undefined => {
    if (!segm) return undefined;
    const what = `annotation id ${a.id}`;
    if (a.segmentation === undefined) throw new DataError(`${what}: no segmentation; segm evaluation needs one`);
    return segmentationToRle(a.segmentation, ...sizeOf(a.image_id, what), what);
  };
  const dtRle = (r: CocoDetection, i: number): Rle | undefined => {
    if (!segm) return undefined;
    const what = `result #${i} (image id ${r.image_id})`;
    if (r.segmentation === undefined) throw new DataError(`${what}: no segmentation; segm evaluation needs one`);
    return segmentationToRle(r.segmentation, ...sizeOf(r.image_id, what), what);
  };
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
    push(gts, a.image_id, a.category_id, { id: a.id, bbox: a.bbox, area: a.area, iscrowd: a.iscrowd, rle: gtRle(a) });
  }
  const dts: ByImageCat<EvalDt> = new Map();
  let ignoredDetections = 0;
  results.forEach((r, i) => {
    if (!gtCats.has(r.category_id)) ignoredDetections++;
    if (!imgSet.has(r.image_id) || !catSet.has(r.category_id)) return;
    const rle = dtRle(r, i);
    const area = r.area ?? (rle === undefined ? r.bbox[2] * r.bbox[3] : rleArea(rle));
    push(dts, r.image_id, r.category_id, { id: i + 1, bbox: r.bbox, area, score: r.score, rle });
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
      pair = preparePair(gts.get(img)?.get(cat) ?? [], dts.get(img)?.get(cat) ?? [], maxDet, iouType);
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

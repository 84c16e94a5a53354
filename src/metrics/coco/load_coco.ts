/**
 * Reading and validating COCO ground-truth and detection-results JSON.
 *
 * Every problem raises a {@link DataError} whose message names the file, the
 * image / annotation id (or the list index when there is no id) and what was
 * expected.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../../core/errors.js';
import { area as maskArea, toBbox, type CocoSegmentation, type CompressedRle, type UncompressedRle } from '../../structures/mask/coco_mask_api.js';
import type { CocoAnnotation, CocoBox, CocoCategory, CocoDetection, CocoGroundTruth, CocoImage } from './coco_types.js';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Short printable form of a JSON value, for error messages. */
function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined (missing)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isIntegerId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function requireArray(obj: JsonObject, key: string, file: string): unknown[] {
  const v = obj[key];
  if (!Array.isArray(v)) {
    throw new DataError(`${file}: "${key}" is ${show(v)}; expected a JSON array of COCO ${key}`);
  }
  return v;
}

/**
 * Checks a `[x, y, w, h]` box. Returns a copy of the box, or a description of
 * what is wrong with it. Ground-truth boxes (`strictPositive`) need w > 0 and
 * h > 0; detections may be empty (w >= 0, h >= 0).
 */
function checkBox(v: unknown, strictPositive: boolean): CocoBox | string {
  const expected = strictPositive ? 'expected [x, y, w, h] of 4 finite numbers with w > 0 and h > 0' : 'expected [x, y, w, h] of 4 finite numbers with w >= 0 and h >= 0';
  if (!Array.isArray(v) || v.length !== 4) {
    const len = Array.isArray(v) ? `has ${v.length} values` : 'is not an array';
    return `bbox ${show(v)} ${len}; ${expected}`;
  }
  for (let i = 0; i < 4; i++) {
    const c: unknown = v[i];
    if (typeof c !== 'number' || !Number.isFinite(c)) {
      return `bbox ${show(v)} has a non-finite or non-numeric value ${show(c)}; ${expected}`;
    }
  }
  const box = v as CocoBox;
  const [, , w, h] = box;
  const bad = strictPositive ? w <= 0 || h <= 0 : w < 0 || h < 0;
  if (bad) return `bbox ${show(v)} has width ${w} and height ${h}; ${expected}`;
  return [box[0], box[1], box[2], box[3]];
}

function parseImages(list: unknown[], file: string): CocoImage[] {
  const seen = new Map<number, number>();
  return list.map((raw, i) => {
    if (!isObject(raw)) {
      throw new DataError(`${file}: images[${i}] is ${show(raw)}; expected an object with an integer "id"`);
    }
    const id = raw.id;
    if (!isIntegerId(id)) {
      throw new DataError(`${file}: images[${i}] has id ${show(id)}; expected an integer image id`);
    }
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new DataError(`${file}: duplicate image id ${id} (images[${prev}] and images[${i}]); expected unique image ids`);
    }
    seen.set(id, i);
    const img: CocoImage = { id };
    if (typeof raw.file_name === 'string') img.file_name = raw.file_name;
    if (typeof raw.width === 'number') img.width = raw.width;
    if (typeof raw.height === 'number') img.height = raw.height;
    return img;
  });
}

function parseCategories(list: unknown[], file: string): CocoCategory[] {
  const seen = new Map<number, number>();
  return list.map((raw, i) => {
    if (!isObject(raw)) {
      throw new DataError(`${file}: categories[${i}] is ${show(raw)}; expected an object with an integer "id"`);
    }
    const id = raw.id;
    if (!isIntegerId(id)) {
      throw new DataError(`${file}: categories[${i}] has id ${show(id)}; expected an integer category id`);
    }
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new DataError(`${file}: duplicate category id ${id} (categories[${prev}] and categories[${i}]); expected unique category ids`);
    }
    seen.set(id, i);
    const cat: CocoCategory = { id };
    if (typeof raw.name === 'string') cat.name = raw.name;
    if (typeof raw.supercategory === 'string') cat.supercategory = raw.supercategory;
    return cat;
  });
}

function parseIsCrowd(v: unknown): 0 | 1 | undefined {
  if (v === undefined || v === 0 || v === false) return 0;
  if (v === 1 || v === true) return 1;
  return undefined;
}

function parseAnnotation(raw: unknown, i: number, file: string, imageIds: ReadonlySet<number>, categoryIds: ReadonlySet<number>): CocoAnnotation {
  if (!isObject(raw)) {
    throw new DataError(`${file}: annotations[${i}] is ${show(raw)}; expected an annotation object`);
  }
  const id = raw.id;
  if (!isIntegerId(id)) {
    throw new DataError(`${file}: annotations[${i}] has id ${show(id)}; expected an integer annotation id`);
  }
  const where = `${file}: annotation id ${id} (annotations[${i}])`;
  const imageId = raw.image_id;
  if (!isIntegerId(imageId)) {
    throw new DataError(`${where}: image_id ${show(imageId)}; expected an integer image id`);
  }
  if (!imageIds.has(imageId)) {
    throw new DataError(`${where}: image_id ${imageId} is not in "images"; expected the id of a listed image`);
  }
  const categoryId = raw.category_id;
  if (!isIntegerId(categoryId)) {
    throw new DataError(`${where}: category_id ${show(categoryId)}; expected an integer category id`);
  }
  if (!categoryIds.has(categoryId)) {
    throw new DataError(`${where}: category id ${categoryId} is not in "categories"; expected one of ` + `[${[...categoryIds].slice(0, 20).join(', ')}${categoryIds.size > 20 ? ', ...' : ''}]`);
  }
  const bbox = checkBox(raw.bbox, true);
  if (typeof bbox === 'string') throw new DataError(`${where}: ${bbox}`);
  const area = raw.area;
  if (typeof area !== 'number' || !Number.isFinite(area) || area < 0) {
    throw new DataError(`${where}: area ${show(area)}; expected a finite number >= 0 (pixels²)`);
  }
  const iscrowd = parseIsCrowd(raw.iscrowd);
  if (iscrowd === undefined) {
    throw new DataError(`${where}: iscrowd ${show(raw.iscrowd)}; expected 0 or 1`);
  }
  const ann: CocoAnnotation = { id, image_id: imageId, category_id: categoryId, bbox, area, iscrowd };
  if (raw.segmentation !== undefined) ann.segmentation = raw.segmentation as CocoSegmentation;
  return ann;
}

/**
 * Validates parsed ground-truth JSON (the content of an `instances_*.json` file).
 *
 * Requires `images`, `annotations` and `categories` arrays; unique integer image,
 * annotation and category ids; every annotation's `image_id` and `category_id`
 * listed; boxes of 4 finite numbers with positive width and height; a finite
 * `area` >= 0. A missing `iscrowd` counts as 0.
 *
 * @param json - the parsed JSON value.
 * @param file - file name used in error messages.
 * @throws DataError naming the file and the offending image / annotation id.
 */
export function parseCocoGroundTruth(json: unknown, file: string): CocoGroundTruth {
  if (!isObject(json)) {
    throw new DataError(`${file}: top level is ${Array.isArray(json) ? 'an array' : show(json)}; expected a COCO ground-truth ` + 'object with "images", "annotations" and "categories"');
  }
  const images = parseImages(requireArray(json, 'images', file), file);
  const categories = parseCategories(requireArray(json, 'categories', file), file);
  const imageIds = new Set(images.map((im) => im.id));
  const categoryIds = new Set(categories.map((c) => c.id));
  const seen = new Map<number, number>();
  const annotations = requireArray(json, 'annotations', file).map((raw, i) => {
    const ann = parseAnnotation(raw, i, file, imageIds, categoryIds);
    const prev = seen.get(ann.id);
    if (prev !== undefined) {
      throw new DataError(`${file}: duplicate annotation id ${ann.id} (annotations[${prev}] and annotations[${i}]); ` + 'expected unique annotation ids');
    }
    seen.set(ann.id, i);
    return ann;
  });
  return { images, annotations, categories };
}

/**
 * Validates parsed detection results (a JSON array of
 * `{image_id, category_id, bbox, score}`) against the ground truth.
 *
 * Every `image_id` must be an image of the ground truth (pycocotools refuses
 * such files too). A `category_id` the ground truth does not list is accepted
 * and ignored by the evaluation, as pycocotools does. Boxes need 4 finite
 * numbers with width and height >= 0; scores must be finite.
 *
 * @param json - the parsed JSON value.
 * @param gt - the ground truth the results belong to.
 * @param file - file name used in error messages.
 * @throws DataError naming the file, the result index and its image id.
 */
export function parseCocoResults(json: unknown, gt: CocoGroundTruth, file: string): CocoDetection[] {
  if (!Array.isArray(json)) {
    throw new DataError(`${file}: top level is ${show(json)}; expected a JSON array of detections {image_id, category_id, bbox, score}`);
  }
  const imageIds = new Set(gt.images.map((im) => im.id));
  // loadRes: with a box in the first result every area is the box's w·h (even for segm evaluation), else the mask's.
  const first: unknown = json[0];
  const boxAreas = isObject(first) && Array.isArray(first.bbox) && first.bbox.length > 0;
  return json.map((raw: unknown, i: number): CocoDetection => {
    if (!isObject(raw)) {
      throw new DataError(`${file}: result #${i} is ${show(raw)}; expected an object {image_id, category_id, bbox, score}`);
    }
    const imageId = raw.image_id;
    if (!isIntegerId(imageId)) {
      throw new DataError(`${file}: result #${i} has image_id ${show(imageId)}; expected an integer image id`);
    }
    if (!imageIds.has(imageId)) {
      throw new DataError(`${file}: results for images not in the ground truth: result #${i} has image id ${imageId}; ` + 'expected the id of an image listed in the ground truth');
    }
    const where = `${file}: result #${i} (image id ${imageId})`;
    const categoryId = raw.category_id;
    if (!isIntegerId(categoryId)) {
      throw new DataError(`${where}: category_id ${show(categoryId)}; expected an integer category id`);
    }
    const segmentation = raw.segmentation as CompressedRle | UncompressedRle | undefined;
    let bbox: CocoBox | string;
    if (raw.bbox === undefined && segmentation !== undefined) {
      // loadRes: a mask result without a box gets the mask's tight box.
      try {
        bbox = toBbox([segmentation])[0];
      } catch (e) {
        throw new DataError(`${where}: segmentation: ${(e as Error).message}`);
      }
    } else bbox = checkBox(raw.bbox, false);
    if (typeof bbox === 'string') throw new DataError(`${where}: ${bbox}`);
    const score = raw.score;
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new DataError(`${where}: score ${show(score)}; expected a finite number`);
    }
    const det: CocoDetection = { image_id: imageId, category_id: categoryId, bbox, score };
    if (segmentation !== undefined) {
      det.segmentation = segmentation;
      try {
        det.area = boxAreas ? bbox[2] * bbox[3] : maskArea([segmentation])[0];
      } catch (e) {
        throw new DataError(`${where}: segmentation: ${(e as Error).message}`);
      }
    }
    return det;
  });
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DataError(`${path}: cannot read the ${what} file (${(err as Error).message}); expected a readable JSON file`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DataError(`${path}: the ${what} file is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Reads and validates a COCO ground-truth JSON file.
 * @throws DataError if the file cannot be read, is not JSON or fails {@link parseCocoGroundTruth}.
 */
export async function loadCocoGroundTruth(path: string): Promise<CocoGroundTruth> {
  return parseCocoGroundTruth(await readJson(path, 'ground-truth'), path);
}

/**
 * Reads and validates a COCO detection-results JSON file.
 * @throws DataError if the file cannot be read, is not JSON or fails {@link parseCocoResults}.
 */
export async function loadCocoResults(path: string, gt: CocoGroundTruth): Promise<CocoDetection[]> {
  return parseCocoResults(await readJson(path, 'results'), gt, path);
}

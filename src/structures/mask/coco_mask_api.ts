/**
 * The COCO mask API (pycocotools `mask.py`) on JSON-shaped RLE objects:
 * `encode`, `decode`, `area`, `toBbox`, `merge`, `frPyObjects` and `iou`.
 * Masks here are row-major `BitmapMasks` (pycocotools uses column-major `h × w × n`
 * arrays); RLE counts are column-major exactly as in COCO files.
 */
import type { BitmapMasks } from '../data_sample.js';
import { rleFromBbox, rleFromPolygon } from './polygon.js';
import { bboxIou, rleArea, rleDecodeRowMajor, rleEncodeRowMajor, rleFromString, rleIou, rleMerge, rleToBbox, rleToString, type Rle } from './rle.js';

/** A COCO RLE with the compact string `counts` (what `encode` returns and results files hold). */
export interface CompressedRle {
  /** `[height, width]`. */
  size: [number, number];
  counts: string;
}

/** A COCO RLE with plain run lengths (used for `iscrowd` annotations in COCO files). */
export interface UncompressedRle {
  /** `[height, width]`. */
  size: [number, number];
  counts: number[];
}

/** A COCO segmentation: polygons `[[x0, y0, x1, y1, ...], ...]` or an RLE. */
export type CocoSegmentation = number[][] | CompressedRle | UncompressedRle;

function checkSize(size: unknown, what: string): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    throw new Error(`${what}: 'size' must be [height, width] of non-negative integers, got ${JSON.stringify(size)}`);
  }
  return [size[0] as number, size[1] as number];
}

/** Parses a compressed or uncompressed RLE object into runs, checking its counts. */
export function rleFromObject(obj: CompressedRle | UncompressedRle, what = 'RLE'): Rle {
  const [h, w] = checkSize(obj.size, what);
  let counts: number[];
  if (typeof obj.counts === 'string') counts = rleFromString(obj.counts);
  else if (Array.isArray(obj.counts)) {
    counts = obj.counts.map((c, i) => {
      if (!Number.isInteger(c) || c < 0) {
        throw new Error(`${what}: counts[${i}] must be a non-negative integer, got ${JSON.stringify(c)}`);
      }
      return c;
    });
  } else throw new Error(`${what}: 'counts' must be a string or an array of integers, got ${typeof obj.counts}`);
  let total = 0;
  for (const c of counts) {
    if (c < 0) throw new Error(`${what}: negative run length ${c}`);
    total += c;
  }
  if (total !== h * w) {
    throw new Error(`${what}: run lengths sum to ${total}, expected height·width = ${h}·${w} = ${h * w}`);
  }
  return { h, w, counts };
}

/** The compressed JSON form of runs. */
export function rleToObject(rle: Rle): CompressedRle {
  return { size: [rle.h, rle.w], counts: rleToString(rle.counts) };
}

/** Compresses every mask of `masks` (pycocotools `encode`). */
export function encode(masks: BitmapMasks): CompressedRle[] {
  const { height: h, width: w, count, data } = masks;
  if (data.length !== count * h * w) {
    throw new Error(`encode: mask data has ${data.length} bytes, expected count·height·width = ${count * h * w}`);
  }
  const out: CompressedRle[] = [];
  for (let i = 0; i < count; i++) out.push(rleToObject(rleEncodeRowMajor(data, h, w, i * h * w)));
  return out;
}

/** Decodes RLEs of one size into `BitmapMasks` (pycocotools `decode`). */
export function decode(rles: readonly (CompressedRle | UncompressedRle)[]): BitmapMasks {
  const runs = rles.map((r, i) => rleFromObject(r, `decode: RLE ${i}`));
  if (runs.length === 0) return { data: new Uint8Array(0), count: 0, height: 0, width: 0 };
  const { h, w } = runs[0];
  const data = new Uint8Array(runs.length * h * w);
  runs.forEach((r, i) => {
    if (r.h !== h || r.w !== w) throw new Error(`decode: RLE ${i} is ${r.h}x${r.w}, RLE 0 is ${h}x${w}`);
    data.set(rleDecodeRowMajor(r), i * h * w);
  });
  return { data, count: runs.length, height: h, width: w };
}

/** Pixel areas (pycocotools `area`). */
export function area(rles: readonly (CompressedRle | UncompressedRle)[]): number[] {
  return rles.map((r, i) => rleArea(rleFromObject(r, `area: RLE ${i}`)));
}

/** Tight boxes `[x, y, w, h]` (pycocotools `toBbox`). */
export function toBbox(rles: readonly (CompressedRle | UncompressedRle)[]): [number, number, number, number][] {
  return rles.map((r, i) => rleToBbox(rleFromObject(r, `toBbox: RLE ${i}`)));
}

/** Union (or intersection) of RLEs of one size (pycocotools `merge`). */
export function merge(rles: readonly (CompressedRle | UncompressedRle)[], intersect = false): CompressedRle {
  return rleToObject(
    rleMerge(
      rles.map((r, i) => rleFromObject(r, `merge: RLE ${i}`)),
      intersect,
    ),
  );
}

function isRleObject(v: unknown): v is CompressedRle | UncompressedRle {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'counts' in v && 'size' in v;
}

/**
 * Converts polygons, boxes or RLE objects to compressed RLEs of an `h × w` image
 * (pycocotools `frPyObjects`):
 * - `number[][]` whose rows have 4 values: boxes `[x, y, w, h]` → one RLE per box;
 * - `number[][]` whose rows have more than 4 values: polygons → one RLE per polygon;
 * - an RLE object → one RLE; an array of RLE objects → one RLE per object.
 *
 * Unlike pycocotools, an already compressed RLE (string `counts`) is accepted and returned
 * re-encoded. Use `merge` to join the parts of a multi-polygon annotation.
 */
export function frPyObjects(obj: CocoSegmentation | (CompressedRle | UncompressedRle)[], h: number, w: number): CompressedRle[];
export function frPyObjects(obj: CompressedRle | UncompressedRle, h: number, w: number): CompressedRle;
export function frPyObjects(obj: CocoSegmentation | (CompressedRle | UncompressedRle)[], h: number, w: number): CompressedRle[] | CompressedRle {
  if (isRleObject(obj)) return rleToObject(rleFromObject(obj));
  if (!Array.isArray(obj) || obj.length === 0) {
    throw new Error(`frPyObjects: expected polygons, boxes or RLE objects, got ${JSON.stringify(obj)}`);
  }
  return (obj as unknown[]).map((item, i) => {
    if (isRleObject(item)) return rleToObject(rleFromObject(item, `frPyObjects: RLE ${i}`));
    if (!Array.isArray(item) || !item.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`frPyObjects: item ${i} must be a list of finite numbers or an RLE object, got ${JSON.stringify(item)}`);
    }
    if (item.length === 4) return rleToObject(rleFromBbox(item, h, w));
    if (item.length < 6 || item.length % 2 !== 0) {
      throw new Error(`frPyObjects: polygon ${i} needs an even number of at least 6 coordinates (3 points), got ${item.length}`);
    }
    return rleToObject(rleFromPolygon(item, h, w));
  });
}

/**
 * IoU matrix `[dt.length][gt.length]` of masks (RLE objects) or boxes `[x, y, w, h]`
 * (pycocotools `iou`); for a crowd gt (`iscrowd[j]` truthy) the union is the detection's area.
 */
export function iou(
  dt: readonly (CompressedRle | UncompressedRle)[] | readonly (readonly number[])[],
  gt: readonly (CompressedRle | UncompressedRle)[] | readonly (readonly number[])[],
  iscrowd: readonly (boolean | number)[],
): number[][] {
  if (dt.length === 0 || gt.length === 0) return [];
  if (iscrowd.length !== gt.length) {
    throw new Error(`iou: iscrowd has ${iscrowd.length} entries, expected one per gt (${gt.length})`);
  }
  const dtIsRle = isRleObject(dt[0]);
  const gtIsRle = isRleObject(gt[0]);
  if (dtIsRle !== gtIsRle) throw new Error('iou: dt and gt must both be RLEs or both be boxes');
  if (dtIsRle) {
    const d = (dt as readonly (CompressedRle | UncompressedRle)[]).map((r, i) => rleFromObject(r, `iou: dt ${i}`));
    const g = (gt as readonly (CompressedRle | UncompressedRle)[]).map((r, i) => rleFromObject(r, `iou: gt ${i}`));
    return rleIou(d, g, iscrowd);
  }
  for (const [name, list] of [
    ['dt', dt],
    ['gt', gt],
  ] as const) {
    (list as readonly (readonly number[])[]).forEach((b, i) => {
      if (!Array.isArray(b) || b.length !== 4) throw new Error(`iou: ${name} ${i} must be a box [x, y, w, h], got ${JSON.stringify(b)}`);
    });
  }
  return bboxIou(dt as readonly (readonly number[])[], gt as readonly (readonly number[])[], iscrowd);
}

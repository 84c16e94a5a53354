/**
 * COCO instance masks for the data pipeline: a `segmentation` field (polygons,
 * uncompressed or compressed RLE) validated against its image and turned into
 * one compact RLE, as mmdet's `LoadAnnotations(with_mask=True, poly2mask=True)`
 * does with pycocotools (`frPyObjects` + `merge` for polygons, `frPyObjects` for
 * uncompressed RLE, compressed RLE as it is), then decoded into `BitmapMasks`.
 */
import { DataError } from '../core/errors.js';
import type { BitmapMasks } from '../structures/data_sample.js';
import { rleFromPolygon } from '../structures/mask/polygon.js';
import { rleDecodeRowMajor, rleFromString, rleMerge, rleToString, type Rle } from '../structures/mask/rle.js';

/**
 * How far (pixels) a polygon vertex may lie outside `[0, width] × [0, height]` before the
 * mask counts as outside its image. pycocotools clips such vertices silently; a vertex far
 * outside is a wrong image size or swapped coordinates.
 */
export const POLYGON_OUTSIDE_TOLERANCE = 1;

/** One instance mask kept compact between construction and loading: COCO's compressed `counts` string. */
export interface CompactMask {
  /** Compressed RLE counts (pycocotools' string form) of a `height × width` mask. */
  counts: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function polygonsToRle(polys: unknown[], h: number, w: number, fail: (msg: string) => never): Rle {
  if (polys.length === 0) fail('segmentation is an empty list; expected polygons [[x0, y0, x1, y1, ...], ...] or an RLE');
  const rles = polys.map((poly, k) => {
    if (!Array.isArray(poly) || !poly.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail(`polygon ${k} must be a list of finite numbers [x0, y0, x1, y1, ...], got ${JSON.stringify(poly).slice(0, 80)}`);
    }
    const xy = poly as number[];
    if (xy.length % 2 !== 0) fail(`polygon ${k} has an odd number of coordinates (${xy.length}); expected x, y pairs`);
    if (xy.length < 6) fail(`polygon ${k} has ${xy.length / 2} points; expected at least 3`);
    const t = POLYGON_OUTSIDE_TOLERANCE;
    for (let j = 0; j < xy.length; j += 2) {
      const x = xy[j];
      const y = xy[j + 1];
      if (x < -t || x > w + t || y < -t || y > h + t) {
        fail(`polygon ${k} point ${j / 2} (x=${x}, y=${y}) is outside the image (width ${w}, height ${h}); the mask must lie inside its image`);
      }
    }
    return rleFromPolygon(xy, h, w);
  });
  return rleMerge(rles);
}

function rleObjectToRle(obj: Record<string, unknown>, h: number, w: number, fail: (msg: string) => never): Rle {
  const size = obj.size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    fail(`RLE 'size' must be [height, width], got ${JSON.stringify(size)}`);
  }
  const [rh, rw] = size as [number, number];
  if (rh !== h || rw !== w) fail(`RLE size [${rh}, ${rw}] (height, width) does not match the image size [${h}, ${w}]`);
  let counts: number[];
  if (typeof obj.counts === 'string') {
    try {
      counts = rleFromString(obj.counts);
    } catch (e) {
      fail(`RLE counts string cannot be decoded (${(e as Error).message})`);
    }
  } else if (Array.isArray(obj.counts)) {
    counts = obj.counts.map((c, i) => {
      if (!Number.isInteger(c) || (c as number) < 0) fail(`RLE counts[${i}] must be a non-negative integer, got ${JSON.stringify(c)}`);
      return c as number;
    });
  } else {
    fail(`RLE 'counts' must be a string (compressed) or a list of integers (uncompressed), got ${JSON.stringify(obj.counts)}`);
  }
  let total = 0;
  for (const c of counts) {
    if (c < 0) fail(`RLE has a negative run length ${c}`);
    total += c;
  }
  if (total !== h * w) fail(`RLE run lengths sum to ${total}, expected height·width = ${h}·${w} = ${h * w}`);
  return { h, w, counts };
}

/**
 * Validates one annotation's `segmentation` against its `height × width` image and returns
 * the instance's mask as an RLE (multi-part polygons merged into one mask).
 *
 * @param where - prefix of error messages, e.g. `instances.json: annotation id 7`.
 * @throws DataError (prefixed by `where`) for a polygon with fewer than 3 points, an odd number
 *   of coordinates or non-numbers; a polygon vertex more than {@link POLYGON_OUTSIDE_TOLERANCE}
 *   pixel outside the image; an RLE whose `size` is not the image size or whose runs do not
 *   cover it; anything that is neither polygons nor an RLE.
 */
export function segmentationToRle(segm: unknown, h: number, w: number, where: string): Rle {
  const fail = (msg: string): never => {
    throw new DataError(`${where}: segmentation: ${msg}`);
  };
  if (Array.isArray(segm)) return polygonsToRle(segm, h, w, fail);
  if (isObject(segm) && 'counts' in segm && 'size' in segm) return rleObjectToRle(segm, h, w, fail);
  return fail(`expected polygons [[x0, y0, x1, y1, ...], ...] or an RLE {size: [h, w], counts}, got ${JSON.stringify(segm)?.slice(0, 80)}`);
}

/** {@link segmentationToRle} in compact form (what a dataset keeps per instance). */
export function segmentationToCompactMask(segm: unknown, h: number, w: number, where: string): CompactMask {
  return { counts: rleToString(segmentationToRle(segm, h, w, where).counts) };
}

/** Decodes the compact masks of one `height × width` image into `BitmapMasks` (pycocotools `decode`). */
export function decodeCompactMasks(masks: readonly CompactMask[], height: number, width: number): BitmapMasks {
  const n = height * width;
  const data = new Uint8Array(masks.length * n);
  masks.forEach((m, i) => data.set(rleDecodeRowMajor({ h: height, w: width, counts: rleFromString(m.counts) }), i * n));
  return { data, count: masks.length, height, width };
}

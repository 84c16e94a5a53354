/**
 * The TypeScript COCO mask API against pycocotools' outputs
 * (test/fixtures/mask/make_mask_api_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { area, decode, encode, frPyObjects, iou, merge, toBbox, type CompressedRle, type UncompressedRle } from '../src/structures/mask/coco_mask_api.js';

const here = path.dirname(fileURLToPath(import.meta.url));
interface Fixture {
  height: number;
  width: number;
  masks: string[];
  encoded: CompressedRle[];
  area: number[];
  toBbox: number[][];
  merge_union: CompressedRle;
  merge_intersect: CompressedRle;
  polygons: number[][];
  frPoly: CompressedRle[];
  frPoly_decoded: string[];
  frPoly_area: number[];
  boxes: number[][];
  frBbox: CompressedRle[];
  uncompressed: UncompressedRle;
  frUncompressed: CompressedRle;
  iou_dt: CompressedRle[];
  iou_gt: CompressedRle[];
  iou_crowd: number[];
  iou: number[][];
  bbox_dt: number[][];
  bbox_gt: number[][];
  bbox_crowd: number[];
  bbox_iou: number[][];
  big_uncompressed: UncompressedRle;
  big_compressed: CompressedRle;
}
const fx = JSON.parse(readFileSync(path.join(here, 'fixtures/mask/mask_api.json'), 'utf8')) as Fixture;
const H = fx.height;
const W = fx.width;
const bits = (s: string): Uint8Array => Uint8Array.from(s, (c) => (c === '1' ? 1 : 0));

function expectMatrixClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 12)));
}

describe('COCO mask API equals pycocotools', () => {
  const stack = { data: new Uint8Array(fx.masks.length * H * W), count: fx.masks.length, height: H, width: W };
  fx.masks.forEach((m, i) => stack.data.set(bits(m), i * H * W));

  it('encode gives the same compressed strings', () => {
    expect(encode(stack)).toEqual(fx.encoded);
  });

  it('decode inverts encode', () => {
    const d = decode(fx.encoded);
    expect(d.count).toBe(stack.count);
    expect(Array.from(d.data)).toEqual(Array.from(stack.data));
  });

  it('area, toBbox and merge', () => {
    expect(area(fx.encoded)).toEqual(fx.area);
    expect(toBbox(fx.encoded)).toEqual(fx.toBbox);
    expect(merge(fx.encoded.slice(2))).toEqual(fx.merge_union);
    expect(merge(fx.encoded.slice(4), true)).toEqual(fx.merge_intersect);
  });

  it('frPyObjects rasterises polygons pixel-identically (outside, repeated vertices, concave)', () => {
    const rles = frPyObjects(fx.polygons, H, W);
    expect(rles).toEqual(fx.frPoly);
    const d = decode(rles);
    fx.frPoly_decoded.forEach((s, i) => expect(Array.from(d.data.subarray(i * H * W, (i + 1) * H * W))).toEqual(Array.from(bits(s))));
    expect(area(rles)).toEqual(fx.frPoly_area);
  });

  it('frPyObjects on boxes, uncompressed and large RLEs', () => {
    expect(frPyObjects(fx.boxes, H, W)).toEqual(fx.frBbox);
    expect(frPyObjects(fx.uncompressed, H, W)).toEqual(fx.frUncompressed);
    expect(frPyObjects(fx.big_uncompressed, 1000, 1700)).toEqual(fx.big_compressed);
    // A compressed RLE passes through unchanged.
    expect(frPyObjects(fx.big_compressed, 1000, 1700)).toEqual(fx.big_compressed);
    expect(decode([fx.big_compressed]).data.reduce((a, b) => a + b, 0)).toBe(area([fx.big_uncompressed])[0]);
  });

  it('iou of masks and of boxes, with iscrowd', () => {
    expectMatrixClose(iou(fx.iou_dt, fx.iou_gt, fx.iou_crowd), fx.iou);
    expectMatrixClose(iou(fx.bbox_dt, fx.bbox_gt, fx.bbox_crowd), fx.bbox_iou);
    expect(iou([], fx.iou_gt, fx.iou_crowd)).toEqual([]);
  });

  it('bad input gets a clear error', () => {
    expect(() => frPyObjects([[1, 2, 3, 4, 5, 6, 7]], H, W)).toThrow(/polygon 0 needs an even number/);
    expect(() => frPyObjects([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].slice(0, 2)], H, W)).toThrow(/at least 6 coordinates/);
    expect(() => decode([{ size: [2, 2], counts: [1, 2] }])).toThrow(/sum to 3, expected height·width = 2·2 = 4/);
    expect(() => decode([{ size: [2, 2], counts: '0~' }])).toThrow(/invalid character|ends inside/);
    expect(() => iou(fx.iou_dt, fx.iou_gt, [0])).toThrow(/iscrowd has 1 entries/);
  });
});

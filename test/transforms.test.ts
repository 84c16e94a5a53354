import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { HostImage } from '../src/datasets/image.js';
import { encodeGrayPng } from '../src/datasets/sample/image_io.js';
import { applyColorJitter, ColorJitter, type ColorJitterParams } from '../src/datasets/transforms/color_jitter.js';
import { LoadAnnotations } from '../src/datasets/transforms/load_annotations.js';
import { Pad } from '../src/datasets/transforms/pad.js';
import { applyPhotoMetric, PhotoMetricDistortion, type PhotoMetricParams } from '../src/datasets/transforms/photo_metric_distortion.js';
import { Pipeline } from '../src/datasets/transforms/pipeline.js';
import { RandomCrop, type RandomCropOptions } from '../src/datasets/transforms/random_crop.js';
import { RandomFlip } from '../src/datasets/transforms/random_flip.js';
import { RandomResize } from '../src/datasets/transforms/random_resize.js';
import { RandomResizedCrop } from '../src/datasets/transforms/random_resized_crop.js';
import type { PipelineResults, Transform } from '../src/datasets/transforms/transform.js';
import { sampleForImage, type LabelMap } from '../src/structures/data_sample.js';

// ---------------------------------------------------------------------------
// Synthetic samples

/** Class → colour; far apart in RGB so blends are never mistaken for a class colour. */
const COLORS: Record<number, [number, number, number]> = {
  0: [255, 0, 0],
  1: [0, 255, 0],
  2: [0, 0, 255],
  3: [255, 255, 0],
  255: [255, 255, 255],
};

/**
 * A `h × w` scene: background class 0, an ignore band (255) at the top, and
 * one object each of classes 1 (rectangle), 2 (ellipse), 3 (triangle). The
 * image colour of every pixel is COLORS[label]. Boxes are the tight boxes of
 * the object masks (x2 = last pixel + 1).
 */
function makeScene(h: number, w: number): PipelineResults {
  const label = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      if (y < Math.round(h * 0.08)) v = 255;
      else if (x >= w * 0.08 && x < w * 0.4 && y >= h * 0.2 && y < h * 0.55) v = 1;
      else if (((x - w * 0.68) / (w * 0.2)) ** 2 + ((y - h * 0.4) / (h * 0.25)) ** 2 <= 1) v = 2;
      else if (y >= h * 0.65 && y < h * 0.95 && Math.abs(x - w * 0.35) <= (y - h * 0.65) * 0.9) v = 3;
      label[y * w + x] = v;
    }
  }
  const rgb = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) rgb.set(COLORS[label[i]], 3 * i);
  const boxes: number[] = [];
  const labels: number[] = [];
  for (const c of [1, 2, 3]) {
    const b = maskBox({ data: label, height: h, width: w }, c);
    if (b === null) throw new Error(`class ${c} missing from the scene`);
    boxes.push(...b);
    labels.push(c);
  }
  const sample = sampleForImage(h, w, 'synthetic');
  sample.gtSemSeg = { data: label, height: h, width: w };
  sample.gtInstances = { bboxes: Float32Array.from(boxes), labels: Int32Array.from(labels) };
  return { img: { data: rgb, height: h, width: w, channels: 3 }, sample };
}

/** Tight box `[x1, y1, x2 + 1, y2 + 1]` of the pixels of class `c`, or null. */
function maskBox(m: LabelMap, c: number): [number, number, number, number] | null {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.data[y * m.width + x] !== c) continue;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}

function cloneResults(r: PipelineResults): PipelineResults {
  const img = r.img as HostImage;
  const s = r.sample;
  return {
    img: { ...img, data: img.data.slice() },
    sample: {
      ...s,
      gtSemSeg: s.gtSemSeg && { ...s.gtSemSeg, data: s.gtSemSeg.data.slice() },
      gtInstances: s.gtInstances && { bboxes: s.gtInstances.bboxes.slice(), labels: s.gtInstances.labels.slice() },
    },
  };
}

async function run(transforms: Transform[], r: PipelineResults, seed: number): Promise<PipelineResults> {
  return new Pipeline(transforms).run(cloneResults(r), new Rng(seed));
}

function imageBytes(r: PipelineResults): number[] {
  return Array.from((r.img as HostImage).data);
}

/** A uint8 RGB image with smooth random content. */
function randomImage(h: number, w: number, seed: number): HostImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.randint(0, 256);
  return { data, height: h, width: w, channels: 3 };
}

// ---------------------------------------------------------------------------

describe('geometry alignment: RandomResize + RandomCrop + RandomFlip + Pad', () => {
  const scene = makeScene(90, 120);
  const pipeline = (): Transform[] => [
    new RandomResize({ scale: [120, 90], ratioRange: [0.6, 1.8], scaleMode: 'range', keepRatio: true }),
    new RandomCrop({ cropSize: [64, 80], catMaxRatio: 1, ignoreIndex: 255, allowNegativeCrop: false }),
    new RandomFlip({ prob: 0.75, direction: ['horizontal', 'vertical'] }),
    new Pad({ size: null, sizeDivisor: 32, padToSquare: false, padVal: 0, segPadVal: 255 }),
  ];
  const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

  it('keeps every label pixel on its image colour, pads with 0 / 255, never interpolates labels', async () => {
    const original = new Set([0, 1, 2, 3, 255]);
    let checked = 0;
    let total = 0;
    let flipsV = 0;
    let flipsH = 0;
    for (const seed of SEEDS) {
      const r = await run(pipeline(), scene, seed);
      const img = r.img as HostImage;
      const seg = r.sample.gtSemSeg as LabelMap;
      if (r.sample.flipDirection === 'vertical') flipsV++;
      if (r.sample.flipDirection === 'horizontal') flipsH++;
      expect([seg.height, seg.width]).toEqual([img.height, img.width]);
      expect(img.height % 32).toBe(0);
      expect(img.width % 32).toBe(0);
      expect(r.sample.padShape).toEqual([img.height, img.width]);
      const [vh, vw] = r.sample.imgShape;
      const { width: W, height: H } = img;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const l = seg.data[y * W + x];
          if (!original.has(l)) throw new Error(`seed ${seed}: label ${l} at (${x},${y}) is not an original value`);
          const p = 3 * (y * W + x);
          const px = [img.data[p], img.data[p + 1], img.data[p + 2]];
          if (y >= vh || x >= vw) {
            // padded region
            if (l !== 255 || px.some((v) => v !== 0)) throw new Error(`seed ${seed}: pad pixel (${x},${y}) has label ${l}, image ${px}`);
            continue;
          }
          total++;
          // interior pixel: the 5×5 label neighbourhood is one class
          let uniform = y >= 2 && x >= 2 && y < vh - 2 && x < vw - 2;
          for (let dy = -2; dy <= 2 && uniform; dy++) {
            for (let dx = -2; dx <= 2 && uniform; dx++) uniform = seg.data[(y + dy) * W + x + dx] === l;
          }
          if (!uniform) continue;
          checked++;
          const c = COLORS[l];
          const dev = Math.max(...px.map((v, k) => Math.abs(v - c[k])));
          if (dev > 40) throw new Error(`seed ${seed}: label ${l} at (${x},${y}) but image ${px} (expected ≈${c})`);
        }
      }
    }
    // the check is not vacuous, and both flips happened
    expect(checked / total).toBeGreaterThan(0.6);
    expect(flipsV).toBeGreaterThan(3);
    expect(flipsH).toBeGreaterThan(3);
  });

  it('keeps boxes drawn from the masks around the masks', async () => {
    let boxesSeen = 0;
    for (const seed of SEEDS) {
      const r = await run(pipeline(), scene, seed);
      const seg = r.sample.gtSemSeg as LabelMap;
      const inst = r.sample.gtInstances;
      if (inst === undefined) throw new Error('instances lost');
      const [vh, vw] = r.sample.imgShape;
      expect(inst.labels.length * 4).toBe(inst.bboxes.length);
      for (const c of [1, 2, 3]) {
        const mask = maskBox(seg, c);
        const k = Array.from(inst.labels).indexOf(c);
        const area = mask === null ? 0 : (mask[2] - mask[0]) * (mask[3] - mask[1]);
        if (k < 0) {
          // a dropped box may only have lost a sliver of mask (rounding at the crop edge)
          expect(area).toBeLessThanOrEqual(4 * Math.max(vh, vw));
          continue;
        }
        const box = Array.from(inst.bboxes.subarray(4 * k, 4 * k + 4));
        expect(box[0]).toBeGreaterThanOrEqual(0);
        expect(box[1]).toBeGreaterThanOrEqual(0);
        expect(box[2]).toBeLessThanOrEqual(vw);
        expect(box[3]).toBeLessThanOrEqual(vh);
        expect(box[2]).toBeGreaterThan(box[0]);
        expect(box[3]).toBeGreaterThan(box[1]);
        if (mask === null) {
          // the rectangle fills its box: a kept box can only have lost its mask to rounding at a thin margin;
          // the clipped box of an ellipse/triangle may hold none of its pixels
          if (c === 1) expect(Math.min(box[2] - box[0], box[3] - box[1])).toBeLessThanOrEqual(2.5);
          continue;
        }
        boxesSeen++;
        const tol = 2; // nearest-neighbour vs continuous scaling, ≤ 1 source pixel after ≤ 1.8× upscaling
        // the box bounds the mask …
        expect(mask[0]).toBeGreaterThanOrEqual(box[0] - tol);
        expect(mask[1]).toBeGreaterThanOrEqual(box[1] - tol);
        expect(mask[2]).toBeLessThanOrEqual(box[2] + tol);
        expect(mask[3]).toBeLessThanOrEqual(box[3] + tol);
        // … tightly for the rectangle (a cropped ellipse/triangle may fill less than its clipped box)
        if (c !== 1) continue;
        expect(mask[0]).toBeLessThanOrEqual(box[0] + tol);
        expect(mask[1]).toBeLessThanOrEqual(box[1] + tol);
        expect(mask[2]).toBeGreaterThanOrEqual(box[2] - tol);
        expect(mask[3]).toBeGreaterThanOrEqual(box[3] - tol);
      }
    }
    expect(boxesSeen).toBeGreaterThan(SEEDS.length);
  });

  it('is deterministic under a seed', async () => {
    const a = await run(pipeline(), scene, 7);
    const b = await run(pipeline(), scene, 7);
    expect(imageBytes(a)).toEqual(imageBytes(b));
    expect(Array.from(a.sample.gtInstances?.bboxes ?? [])).toEqual(Array.from(b.sample.gtInstances?.bboxes ?? []));
  });
});

// ---------------------------------------------------------------------------

describe('RandomResizedCrop', () => {
  const make = (maxAttempts = 10): RandomResizedCrop => new RandomResizedCrop({ size: [32, 48], scale: [0.08, 1], ratio: [3 / 4, 4 / 3], maxAttempts });

  it('outputs `size` ([h, w]) with label map and is deterministic per seed, different across seeds', async () => {
    const scene = makeScene(90, 120);
    const a = await run([make()], scene, 11);
    const b = await run([make()], scene, 11);
    const c = await run([make()], scene, 12);
    expect([a.img?.height, a.img?.width]).toEqual([32, 48]);
    expect([a.sample.gtSemSeg?.height, a.sample.gtSemSeg?.width]).toEqual([32, 48]);
    expect(a.sample.imgShape).toEqual([32, 48]);
    expect(imageBytes(a)).toEqual(imageBytes(b));
    expect(imageBytes(a)).not.toEqual(imageBytes(c));
  });

  it('draws windows within the area/ratio ranges and falls back to a ratio-clamped centre crop', () => {
    const t = make();
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const [y, x, h, w] = t.cropWindow(100, 150, rng);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y + h).toBeLessThanOrEqual(100);
      expect(x + w).toBeLessThanOrEqual(150);
      expect(h * w).toBeGreaterThanOrEqual(0.08 * 15000 * 0.9);
      expect(w / h).toBeGreaterThan(0.7);
      expect(w / h).toBeLessThan(1.4);
    }
    // torchvision fallback: w/h = 100/20 = 5 > 4/3 → h = 20, w = round(20·4/3) = 27, centred
    expect(make(0).cropWindow(20, 100, new Rng(0))).toEqual([0, 36, 20, 27]);
    // w/h = 0.2 < 3/4 → w = 20, h = round(20 / 0.75) = 27
    expect(make(0).cropWindow(100, 20, new Rng(0))).toEqual([36, 0, 27, 20]);
    // in range → whole image
    expect(make(0).cropWindow(40, 50, new Rng(0))).toEqual([0, 0, 40, 50]);
  });
});

// ---------------------------------------------------------------------------

describe('RandomFlip', () => {
  it('flips image, label map and boxes with prob 1 and records the direction', async () => {
    const scene = makeScene(30, 40);
    const r = await run([new RandomFlip({ prob: 1, direction: 'horizontal' })], scene, 0);
    const seg = r.sample.gtSemSeg as LabelMap;
    const src = scene.sample.gtSemSeg as LabelMap;
    for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) expect(seg.data[y * 40 + x]).toBe(src.data[y * 40 + 39 - x]);
    const b0 = Array.from(scene.sample.gtInstances?.bboxes.subarray(0, 4) ?? []);
    expect(Array.from(r.sample.gtInstances?.bboxes.subarray(0, 4) ?? [])).toEqual([40 - b0[2], b0[1], 40 - b0[0], b0[3]]);
    expect(r.sample.flip).toBe(true);
    expect(r.sample.flipDirection).toBe('horizontal');
    const none = await run([new RandomFlip({ prob: 0, direction: 'horizontal' })], scene, 0);
    expect(none.sample.flipDirection).toBeNull();
    expect(imageBytes(none)).toEqual(imageBytes(scene));
  });

  it('splits a single prob over a direction list and honours a prob list', async () => {
    const scene = { img: randomImage(4, 4, 0), sample: sampleForImage(4, 4) };
    const count = async (t: RandomFlip): Promise<Record<string, number>> => {
      const out: Record<string, number> = { horizontal: 0, vertical: 0, diagonal: 0, none: 0 };
      for (let s = 0; s < 2000; s++) out[(await run([t], scene, s)).sample.flipDirection ?? 'none']++;
      return out;
    };
    const a = await count(new RandomFlip({ prob: 0.5, direction: ['horizontal', 'vertical'] }));
    expect(a.horizontal / 2000).toBeCloseTo(0.25, 1);
    expect(a.vertical / 2000).toBeCloseTo(0.25, 1);
    const b = await count(new RandomFlip({ prob: [0.1, 0.6], direction: ['vertical', 'diagonal'] }));
    expect(b.vertical / 2000).toBeCloseTo(0.1, 1);
    expect(b.diagonal / 2000).toBeCloseTo(0.6, 1);
    expect(b.horizontal).toBe(0);
  });
});

// ---------------------------------------------------------------------------

describe('RandomResize', () => {
  it('multiplies the scale by U(ratioRange) (truncated) and keeps the ratio', () => {
    const t = new RandomResize({ scale: [2048, 512], ratioRange: [0.5, 2.0], scaleMode: 'range', keepRatio: true });
    const rng = new Rng(5);
    for (let i = 0; i < 100; i++) {
      const [w, h] = t.sampleScale(rng);
      expect(Number.isInteger(w) && Number.isInteger(h)).toBe(true);
      expect(w / 2048).toBeGreaterThanOrEqual(0.5 - 1e-3);
      expect(w / 2048).toBeLessThanOrEqual(2);
      expect(Math.abs(w / 2048 - h / 512)).toBeLessThan(0.01);
    }
  });

  it("samples each edge in the 'range' of two scales, or one of the list in 'choice' mode", async () => {
    const range = new RandomResize({
      scale: [
        [100, 40],
        [60, 80],
      ],
      ratioRange: null,
      scaleMode: 'range',
      keepRatio: false,
    });
    const choice = new RandomResize({
      scale: [
        [10, 20],
        [30, 40],
        [50, 60],
      ],
      ratioRange: null,
      scaleMode: 'choice',
      keepRatio: false,
    });
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const [w, h] = range.sampleScale(rng);
      expect(w >= 60 && w <= 100 && h >= 40 && h <= 80).toBe(true);
      seen.add(choice.sampleScale(rng).join('x'));
    }
    expect([...seen].sort()).toEqual(['10x20', '30x40', '50x60']);
    const scene = makeScene(30, 40);
    const r = await run([choice], scene, 9);
    expect([r.img?.height, r.img?.width]).toEqual(r.sample.imgShape);
    expect(['20x10', '40x30', '60x50']).toContain(`${r.img?.height}x${r.img?.width}`);
    expect(
      () =>
        new RandomResize({
          scale: [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          ratioRange: null,
          scaleMode: 'range',
          keepRatio: true,
        }),
    ).toThrow(/exactly two/);
    expect(() => new RandomResize({ scale: [100, 50], ratioRange: null, scaleMode: 'range', keepRatio: true })).toThrow(/ratioRange/);
  });
});

// ---------------------------------------------------------------------------

describe('Pad', () => {
  it('pads image with 0 and label with 255 to a fixed [h, w] or a multiple; boxes and imgShape unchanged', async () => {
    const scene = makeScene(30, 40);
    const fixed = await run([new Pad({ size: [33, 50], sizeDivisor: null, padToSquare: false, padVal: 0, segPadVal: 255 })], scene, 0);
    expect([fixed.img?.height, fixed.img?.width]).toEqual([33, 50]);
    expect(fixed.sample.padShape).toEqual([33, 50]);
    expect(fixed.sample.imgShape).toEqual([30, 40]);
    const seg = fixed.sample.gtSemSeg as LabelMap;
    expect(seg.data[32 * 50 + 10]).toBe(255);
    expect(seg.data[10 * 50 + 45]).toBe(255);
    expect(seg.data[20 * 50 + 10]).toBe((scene.sample.gtSemSeg as LabelMap).data[20 * 40 + 10]);
    expect(Array.from((fixed.img as HostImage).data.subarray(3 * (32 * 50 + 10), 3 * (32 * 50 + 10) + 3))).toEqual([0, 0, 0]);
    expect(Array.from(fixed.sample.gtInstances?.bboxes ?? [])).toEqual(Array.from(scene.sample.gtInstances?.bboxes ?? []));
    const div = await run([new Pad({ size: null, sizeDivisor: 16, padToSquare: false, padVal: 7, segPadVal: 200 })], scene, 0);
    expect(div.sample.padShape).toEqual([32, 48]);
    expect((div.img as HostImage).data[3 * (31 * 48 + 47)]).toBe(7);
    expect((div.sample.gtSemSeg as LabelMap).data[31 * 48 + 47]).toBe(200);
    const sq = await run([new Pad({ size: null, sizeDivisor: 16, padToSquare: true, padVal: 0, segPadVal: 255 })], scene, 0);
    expect(sq.sample.padShape).toEqual([48, 48]);
    await expect(run([new Pad({ size: [20, 20], sizeDivisor: null, padToSquare: false, padVal: 0, segPadVal: 255 })], scene, 0)).rejects.toThrow(/larger/);
  });
});

// ---------------------------------------------------------------------------

describe('RandomCrop', () => {
  const opts = (o: Partial<RandomCropOptions>): RandomCropOptions => ({
    cropSize: [20, 20],
    catMaxRatio: 1,
    ignoreIndex: 255,
    allowNegativeCrop: false,
    ...o,
  });

  it('is deterministic per seed and differs across seeds', async () => {
    const scene = { img: randomImage(60, 70, 1), sample: sampleForImage(60, 70) };
    const a = await run([new RandomCrop(opts({}))], scene, 21);
    const b = await run([new RandomCrop(opts({}))], scene, 21);
    const c = await run([new RandomCrop(opts({}))], scene, 22);
    expect(a.sample.imgShape).toEqual([20, 20]);
    expect(imageBytes(a)).toEqual(imageBytes(b));
    expect(imageBytes(a)).not.toEqual(imageBytes(c));
    // crops larger than the image are clipped to it (mmseg slicing / mmdet absolute)
    const big = await run([new RandomCrop(opts({ cropSize: [100, 30] }))], scene, 1);
    expect(big.sample.imgShape).toEqual([60, 30]);
  });

  it('honours catMaxRatio (ignore index excluded) where most crops violate it', async () => {
    // 100×100: class 1 everywhere, class 2 in a 30×30 block, an ignore band on top.
    const h = 100;
    const w = 100;
    const label = new Uint8Array(h * w).fill(1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (y < 25) label[y * w + x] = 255;
        else if (y >= 55 && y < 85 && x >= 35 && x < 65) label[y * w + x] = 2;
      }
    }
    const scene: PipelineResults = { img: randomImage(h, w, 2), sample: { ...sampleForImage(h, w), gtSemSeg: { data: label, height: h, width: w } } };
    const ok = (seg: LabelMap): boolean => {
      const counts = new Map<number, number>();
      for (const v of seg.data) if (v !== 255) counts.set(v, (counts.get(v) ?? 0) + 1);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      return counts.size > 1 && Math.max(...counts.values()) / total < 0.75;
    };
    let withRatio = 0;
    let without = 0;
    const N = 200;
    for (let s = 0; s < N; s++) {
      const a = await run([new RandomCrop(opts({ cropSize: [30, 30], catMaxRatio: 0.75 }))], scene, s);
      const b = await run([new RandomCrop(opts({ cropSize: [30, 30], catMaxRatio: 1 }))], scene, s);
      if (ok(a.sample.gtSemSeg as LabelMap)) withRatio++;
      if (ok(b.sample.gtSemSeg as LabelMap)) without++;
    }
    expect(without / N).toBeLessThan(0.3);
    expect(withRatio / N).toBeGreaterThan(0.9);
  });

  it('clips boxes to the crop, drops boxes left without area, and keeps at least one box', async () => {
    const img = randomImage(100, 100, 3);
    const sample = sampleForImage(100, 100);
    // a box in the top-left corner and one in the bottom-right corner
    sample.gtInstances = { bboxes: Float32Array.from([0, 0, 40, 40, 60, 60, 100, 100]), labels: Int32Array.from([4, 7]) };
    const scene: PipelineResults = { img, sample };
    let cropped = 0;
    let dropped = 0;
    for (let s = 0; s < 50; s++) {
      const r = await run([new RandomCrop(opts({ cropSize: [30, 30] }))], scene, s);
      const inst = r.sample.gtInstances;
      if (inst === undefined) throw new Error('lost instances');
      if (r.sample.imgShape[0] === 30) cropped++;
      if (inst.labels.length === 1) dropped++;
      expect(inst.labels.length).toBeGreaterThan(0);
      const [h, w] = r.sample.imgShape;
      for (let k = 0; k < inst.labels.length; k++) {
        const [x1, y1, x2, y2] = inst.bboxes.subarray(4 * k, 4 * k + 4);
        expect(x1 >= 0 && y1 >= 0 && x2 <= w && y2 <= h && x2 > x1 && y2 > y1).toBe(true);
        expect([4, 7]).toContain(inst.labels[k]);
      }
    }
    expect(cropped).toBe(50);
    expect(dropped).toBeGreaterThan(10);
    // exact clipping: a 30×30 crop of a 30×40 image; the offset is recovered from the pixels
    const src = randomImage(30, 40, 4);
    for (let seed = 0; seed < 10; seed++) {
      const s2 = sampleForImage(30, 40);
      s2.gtInstances = { bboxes: Float32Array.from([5, 5, 35, 25]), labels: Int32Array.from([1]) };
      const r2 = await run([new RandomCrop(opts({ cropSize: [30, 30] }))], { img: src, sample: s2 }, seed);
      const out = r2.img as HostImage;
      const x = [...Array(11).keys()].find((dx) =>
        out.data.every((v, i) => {
          const px = Math.floor(i / 3);
          return v === src.data[3 * (Math.floor(px / 30) * 40 + (px % 30) + dx) + (i % 3)];
        }),
      );
      if (x === undefined) throw new Error('crop offset not found');
      expect(Array.from(r2.sample.gtInstances?.bboxes ?? [])).toEqual([Math.max(5 - x, 0), 5, Math.min(35 - x, 30), 25]);
    }
  });

  it('keeps the sample uncropped when no crop can keep a box (allowNegativeCrop false), crops when allowed', async () => {
    const sample = sampleForImage(200, 200);
    sample.gtInstances = { bboxes: Float32Array.from([0, 0, 2, 2]), labels: Int32Array.from([0]) };
    const scene: PipelineResults = { img: randomImage(200, 200, 5), sample };
    const kept = await run([new RandomCrop(opts({ cropSize: [20, 20] }))], scene, 1);
    expect(kept.sample.imgShape).toEqual([200, 200]);
    expect(kept.sample.gtInstances?.labels.length).toBe(1);
    const neg = await run([new RandomCrop(opts({ cropSize: [20, 20], allowNegativeCrop: true }))], scene, 1);
    expect(neg.sample.imgShape).toEqual([20, 20]);
    expect(neg.sample.gtInstances?.labels.length).toBe(0);
    // no boxes at all: left uncropped
    const empty = sampleForImage(200, 200);
    empty.gtInstances = { bboxes: new Float32Array(0), labels: new Int32Array(0) };
    const e = await run([new RandomCrop(opts({ cropSize: [20, 20] }))], { img: randomImage(200, 200, 6), sample: empty }, 1);
    expect(e.sample.imgShape).toEqual([200, 200]);
  });
});

// ---------------------------------------------------------------------------

interface PhotometricFixture {
  image: { height: number; width: number; data: number[] };
  photoMetric: Array<{ name: string; params: PhotoMetricParams; float: number[]; uint8: number[] }>;
  colorJitter: Array<{ name: string; params: ColorJitterParams; float: number[] }>;
}

const FIXTURE = JSON.parse(fs.readFileSync(new URL('./fixtures/transforms/photometric.json', import.meta.url), 'utf8')) as PhotometricFixture;

function fixtureImage(float: boolean): HostImage {
  const { height, width, data } = FIXTURE.image;
  return { data: float ? Float32Array.from(data) : Uint8Array.from(data), height, width, channels: 3 };
}

describe('PhotoMetricDistortion', () => {
  it.each(FIXTURE.photoMetric.map((c) => [c.name, c] as const))('matches the OpenCV/numpy reference: %s', (_name, c) => {
    const u8 = applyPhotoMetric(fixtureImage(false), c.params);
    expect(u8.data).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < c.uint8.length; i++) {
      // exact, except at true half-way ties where float rounding decides the side
      const tie = Math.abs((c.float[i] % 1) - 0.5) < 0.01;
      expect(Math.abs(u8.data[i] - c.uint8[i]), `value ${i}`).toBeLessThanOrEqual(tie ? 1 : 0);
    }
    const f = applyPhotoMetric(fixtureImage(true), c.params);
    expect(f.data).toBeInstanceOf(Float32Array);
    for (let i = 0; i < c.float.length; i++) expect(Math.abs(f.data[i] - c.float[i])).toBeLessThan(0.02);
  });

  it('is deterministic under a seed, differs across seeds, and keeps uint8', async () => {
    const t = new PhotoMetricDistortion({ brightnessDelta: 32, contrastRange: [0.5, 1.5], saturationRange: [0.5, 1.5], hueDelta: 18 });
    const scene = { img: randomImage(16, 16, 9), sample: sampleForImage(16, 16) };
    const a = await run([t], scene, 31);
    const b = await run([t], scene, 31);
    expect(a.img?.data).toBeInstanceOf(Uint8Array);
    expect(imageBytes(a)).toEqual(imageBytes(b));
    const outputs = new Set<string>();
    for (let s = 0; s < 8; s++) outputs.add(imageBytes(await run([t], scene, s)).join(','));
    expect(outputs.size).toBeGreaterThan(5);
  });

  it('applies each step with probability 0.5 and contrast first or last with probability 0.5', () => {
    const t = new PhotoMetricDistortion({ brightnessDelta: 32, contrastRange: [0.5, 1.5], saturationRange: [0.5, 1.5], hueDelta: 18 });
    const rng = new Rng(77);
    const n = 4000;
    const on = { mode: 0, brightness: 0, contrast: 0, saturation: 0, hue: 0 };
    for (let i = 0; i < n; i++) {
      const p = t.sampleParams(rng);
      on.mode += p.mode;
      for (const k of ['brightness', 'contrast', 'saturation', 'hue'] as const) {
        const v = p[k];
        if (v === null) continue;
        on[k]++;
        if (k === 'brightness') expect(Math.abs(v)).toBeLessThanOrEqual(32);
        if (k === 'hue') expect(Math.abs(v)).toBeLessThanOrEqual(18);
        if (k === 'contrast' || k === 'saturation') expect(v >= 0.5 && v <= 1.5).toBe(true);
      }
    }
    for (const v of Object.values(on)) expect(v / n).toBeCloseTo(0.5, 1);
  });
});

describe('ColorJitter', () => {
  it.each(FIXTURE.colorJitter.map((c) => [c.name, c] as const))('matches torchvision (float path): %s', (_name, c) => {
    const out = applyColorJitter(fixtureImage(true), c.params);
    for (let i = 0; i < c.float.length; i++) expect(Math.abs(out.data[i] - c.float[i])).toBeLessThan(0.06);
    // the uint8 path is the float path rounded
    const u8 = applyColorJitter(fixtureImage(false), c.params);
    for (let i = 0; i < c.float.length; i++) expect(u8.data[i]).toBe(Math.min(255, Math.max(0, Math.round(out.data[i]))));
  });

  it('draws a random order and factors in the torchvision ranges', () => {
    const t = new ColorJitter({ brightness: 0.4, contrast: [0.9, 1.1], saturation: 0, hue: 0.1 });
    const rng = new Rng(4);
    const orders = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const p = t.sampleParams(rng);
      orders.add(p.order.join(''));
      expect(p.brightness !== null && p.brightness >= 0.6 && p.brightness <= 1.4).toBe(true);
      expect(p.contrast !== null && p.contrast >= 0.9 && p.contrast <= 1.1).toBe(true);
      expect(p.saturation).toBeNull();
      expect(p.hue !== null && Math.abs(p.hue) <= 0.1).toBe(true);
    }
    expect(orders.size).toBe(24);
    expect(() => new ColorJitter({ brightness: 0, contrast: 0, saturation: 0, hue: 0.7 })).toThrow(/hue/);
  });
});

// ---------------------------------------------------------------------------

/** Encodes an 8-bit (or lower) palette PNG: pixel values are palette indices. */
function encodePalettePng(indices: Uint8Array, width: number, height: number, palette: Array<[number, number, number]>, bitDepth = 8): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = 3;
  const rowBytes = Math.ceil((width * bitDepth) / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const v = indices[y * width + x];
      const bit = x * bitDepth;
      const byte = y * (rowBytes + 1) + 1 + (bit >> 3);
      raw[byte] |= v << (8 - bitDepth - (bit & 7));
    }
  }
  const plte = Buffer.from(palette.flat());
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('tRNS', Buffer.from([255, 0])),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('LoadAnnotations', () => {
  let tmp = '';
  const W = 6;
  const H = 4;
  const values = Uint8Array.from({ length: W * H }, (_, i) => [0, 1, 2, 3, 255, 4][i % 6]);

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'load-ann-'));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const results = (segMapPath: string, extra: { reduceZeroLabel?: boolean; numClasses?: number } = {}): PipelineResults => ({
    img: randomImage(H, W, 0),
    sample: { ...sampleForImage(H, W, path.join(tmp, 'image.jpg')), segMapPath, ...extra },
  });
  const load = async (r: PipelineResults): Promise<LabelMap> => {
    const out = await new LoadAnnotations({ reduceZeroLabel: null }).apply(r);
    return out.sample.gtSemSeg as LabelMap;
  };

  it('reads 8-bit grayscale PNGs as class indices', async () => {
    const file = path.join(tmp, 'gray.png');
    fs.writeFileSync(file, encodeGrayPng(values, W, H));
    const m = await load(results(file));
    expect([m.height, m.width]).toEqual([H, W]);
    expect(Array.from(m.data)).toEqual(Array.from(values));
  });

  it('reads palette PNGs as palette indices, not colours', async () => {
    // VOC-like colours, with two indices sharing a colour: only the index tells them apart
    const palette: Array<[number, number, number]> = [
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 0, 0],
      [0, 0, 128],
    ];
    while (palette.length < 256) palette.push([224, 224, 192]);
    const file = path.join(tmp, 'palette.png');
    fs.writeFileSync(file, encodePalettePng(values, W, H, palette));
    expect(PNG.sync.read(fs.readFileSync(file)).colorType).toBe(3);
    const m = await load(results(file));
    expect(Array.from(m.data)).toEqual(Array.from(values));
    // 4-bit palette image (indices < 16)
    const small = values.map((v) => (v === 255 ? 15 : v));
    const file4 = path.join(tmp, 'palette4.png');
    fs.writeFileSync(file4, encodePalettePng(small, W, H, palette.slice(0, 16), 4));
    expect(Array.from((await load(results(file4))).data)).toEqual(Array.from(small));
  });

  it('applies reduceZeroLabel (0 → 255, others − 1, 255 stays)', async () => {
    const file = path.join(tmp, 'gray_rz.png');
    fs.writeFileSync(file, encodeGrayPng(values, W, H));
    const m = await load(results(file, { reduceZeroLabel: true, numClasses: 4 }));
    const expected = Array.from(values).map((v) => (v === 0 || v === 255 ? 255 : v - 1));
    expect(Array.from(m.data)).toEqual(expected);
    // the option overrides the sample
    const off = await new LoadAnnotations({ reduceZeroLabel: false }).apply(results(file, { reduceZeroLabel: true }));
    expect(Array.from(off.sample.gtSemSeg?.data ?? [])).toEqual(Array.from(values));
  });

  it('rejects RGB label PNGs, naming the file', async () => {
    const file = path.join(tmp, 'colour_label.png');
    const png = new PNG({ width: W, height: H });
    png.data = Buffer.alloc(W * H * 4, 200);
    fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2 }));
    const err = await load(results(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('colour_label.png');
    expect((err as Error).message).toMatch(/single-channel class indices/);
  });

  it('rejects a label map whose size differs from the image, naming both files and sizes', async () => {
    const file = path.join(tmp, 'small_label.png');
    fs.writeFileSync(file, encodeGrayPng(new Uint8Array(3 * 5), 5, 3));
    const err = await load(results(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const msg = (err as Error).message;
    expect(msg).toContain('small_label.png');
    expect(msg).toContain('image.jpg');
    expect(msg).toContain('3×5');
    expect(msg).toContain(`${H}×${W}`);
  });

  it('rejects out-of-range labels, naming the file and the value', async () => {
    const file = path.join(tmp, 'range_label.png');
    fs.writeFileSync(file, encodeGrayPng(values, W, H));
    // 4 ≥ numClasses 4 (255 is allowed)
    const err = await load(results(file, { numClasses: 4 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('range_label.png');
    expect((err as Error).message).toMatch(/value 4\b/);
    // after reduceZeroLabel the largest value is 3 → fine with 4 classes
    await expect(load(results(file, { numClasses: 4, reduceZeroLabel: true }))).resolves.toBeDefined();
  });

  it('is a no-op for detection samples and names a missing label file', async () => {
    const r: PipelineResults = { img: randomImage(H, W, 0), sample: sampleForImage(H, W) };
    const out = await new LoadAnnotations({ reduceZeroLabel: null }).apply(r);
    expect(out.sample.gtSemSeg).toBeUndefined();
    const missing = path.join(tmp, 'nope.png');
    await expect(load(results(missing))).rejects.toThrow(/nope\.png/);
  });
});

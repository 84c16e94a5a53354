/**
 * Instance masks in the data pipeline, against mmdetection 3.3.0 itself
 * (test/fixtures/maskdata/make_maskdata_fixtures.py runs mmdet's LoadAnnotations,
 * Resize, RandomFlip, RandomCrop and Pad on the same annotations).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import '../src/registry/builtins.js';
import { DATASETS, TRANSFORMS } from '../src/registry/registries.js';
import type { CocoDetection } from '../src/datasets/coco_detection.js';
import { encodeRgbPng } from '../src/datasets/sample/image_io.js';
import { Pipeline } from '../src/datasets/transforms/pipeline.js';
import type { PipelineResults, Transform } from '../src/datasets/transforms/transform.js';
import { collate } from '../src/engine/collate.js';
import { tf } from '../src/core/tf.js';
import { useBackend } from './helpers.js';
import type { BitmapMasks } from '../src/structures/data_sample.js';
import { rleDecodeRowMajor, rleFromString } from '../src/structures/mask/rle.js';
import { blendInstanceMasks, segPalette } from '../src/visualization/overlay.js';

interface MasksJson {
  count: number;
  height: number;
  width: number;
  rles: string[];
}
interface CaseJson {
  transforms: Array<Record<string, unknown>>;
  imgShape: [number, number];
  padShape: [number, number];
  bboxes: number[];
  labels: number[];
  masks: MasksJson;
}
type Ann = Record<string, unknown>;
interface Fixture {
  coco: { images: Array<Record<string, unknown>>; annotations: Ann[]; categories: unknown[] };
  cases: Record<string, CaseJson>;
}

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/maskdata/pipeline.json', import.meta.url), 'utf8')) as Fixture;

/** Decodes the fixture's masks (COCO compressed RLE strings) into BitmapMasks. */
function expectedMasks(m: MasksJson): BitmapMasks {
  const n = m.height * m.width;
  const data = new Uint8Array(m.count * n);
  m.rles.forEach((s, i) => data.set(rleDecodeRowMajor({ h: m.height, w: m.width, counts: rleFromString(s) }), i * n));
  return { data, count: m.count, height: m.height, width: m.width };
}

/** Number of pixels where two equally sized mask sets differ. */
function differingPixels(a: BitmapMasks, b: BitmapMasks): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) d++;
  return d;
}

/** An Rng whose `randint` returns the given values in order (RandomCrop's y and x offsets). */
function fixedOffsets(values: number[]): Rng {
  const queue = [...values];
  return new (class extends Rng {
    override randint(low: number, high: number): number {
      const v = queue.shift();
      if (v === undefined || v < low || v >= high) throw new Error(`fixedOffsets: ${v} not in [${low}, ${high})`);
      return v;
    }
  })(0);
}

let tmp = '';
let root = '';

function writeRoot(dir: string, coco: unknown): string {
  fs.mkdirSync(path.join(dir, 'annotations'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'imgs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'annotations', 'instances.json'), JSON.stringify(coco));
  fs.copyFileSync(path.join(root, 'imgs', 'img_1.png'), path.join(dir, 'imgs', 'img_1.png'));
  return dir;
}

beforeAll(async () => {
  await useBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskdata-'));
  root = path.join(tmp, 'root');
  fs.mkdirSync(path.join(root, 'imgs'), { recursive: true });
  const [h, w] = [24, 32];
  const rgb = new Uint8Array(h * w * 3).map((_, i) => (i * 37) % 251);
  fs.writeFileSync(path.join(root, 'imgs', 'img_1.png'), await encodeRgbPng(rgb, w, h));
  writeRoot(root, fixture.coco);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const datasetCfg = { type: 'CocoDetection', annFile: 'annotations/instances.json', imgDir: 'imgs', withMask: true };

function build(dataRoot: string, pipeline: unknown[] = [], extra: Record<string, unknown> = {}): CocoDetection {
  return DATASETS.build({ ...datasetCfg, ...extra, pipeline }, { dataRoot }, 'dataset') as CocoDetection;
}

describe('CocoDetection withMask', () => {
  it('decodes polygons (multi-part, a vertex just outside), uncompressed and compressed RLE as mmdet LoadAnnotations', () => {
    const ds = build(root);
    const s = ds.sampleInfo(0);
    const want = fixture.cases.load;
    const masks = s.gtInstances?.masks;
    if (masks === undefined) throw new Error('no masks');
    const exp = expectedMasks(want.masks);
    expect([masks.count, masks.height, masks.width]).toEqual([exp.count, exp.height, exp.width]);
    expect(masks.count).toBe(s.gtInstances?.labels.length);
    expect(differingPixels(masks, exp)).toBe(0);
    expect(Array.from(s.gtInstances?.labels ?? [])).toEqual(want.labels);
    // the crowd annotation is an ignore box, not an instance mask
    expect(s.gtIgnoreBboxes?.length).toBe(4);
    // every mask is non-trivial, so the comparison is meaningful
    for (let i = 0; i < masks.count; i++) expect(masks.data.subarray(i * 24 * 32, (i + 1) * 24 * 32).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  it('leaves masks out without withMask', () => {
    expect(build(root, [], { withMask: false }).sampleInfo(0).gtInstances?.masks).toBeUndefined();
  });

  it("LoadAnnotations withMask (mmdet's with_mask) passes masked samples and names a dataset without withMask", async () => {
    const pipeline = [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations', withMask: true }];
    const ok = await build(root, pipeline).get(0, new Rng(0));
    expect(ok.sample.gtInstances?.masks?.count).toBe(5);
    await expect(build(root, pipeline, { withMask: false }).get(0, new Rng(0))).rejects.toThrow(
      /LoadAnnotations withMask: sample .*img_1\.png \(image id 1\) has no instance masks; set withMask: true on the dataset/,
    );
  });

  const bad: Array<[string, (a: Ann) => void, RegExp]> = [
    ['a polygon with fewer than 3 points', (a) => (a.segmentation = [[1, 1, 5, 5]]), /polygon 0 has 2 points; expected at least 3/],
    ['a polygon with an odd number of coordinates', (a) => (a.segmentation = [[1, 1, 5, 5, 7]]), /odd number of coordinates/],
    ['a polygon outside the image', (a) => (a.segmentation = [[1, 1, 5, 5, 40, 6]]), /point 2 \(x=40, y=6\) is outside the image \(width 32, height 24\)/],
    ['an RLE whose size is not the image size', (a) => (a.segmentation = { size: [32, 24], counts: [768] }), /RLE size \[32, 24\] .* does not match the image size \[24, 32\]/],
    ['an RLE whose runs do not cover the image', (a) => (a.segmentation = { size: [24, 32], counts: [700] }), /run lengths sum to 700/],
    ['a missing segmentation', (a) => delete a.segmentation, /no "segmentation"/],
  ];
  for (const [what, edit, message] of bad) {
    it(`rejects ${what}, naming the file and the annotation id`, () => {
      const coco = structuredClone(fixture.coco);
      edit(coco.annotations[1]);
      const dir = writeRoot(path.join(tmp, `bad-${what.replace(/\W+/g, '-')}`), coco);
      let err: unknown;
      try {
        build(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      const msg = (err as Error).message;
      expect(msg).toContain(path.join(dir, 'annotations', 'instances.json'));
      expect(msg).toContain(`annotation id ${coco.annotations[1].id as number}`);
      expect(msg).toMatch(message);
    });
  }
});

describe('masks through the geometric transforms equal mmdet', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    if (name === 'load') continue;
    it(name, async () => {
      const transforms: Transform[] = [TRANSFORMS.build({ type: 'LoadImageFromFile' }, {}, 't')];
      const offsets: number[] = [];
      for (const t of c.transforms) {
        const { offset, ...cfg } = t;
        if (Array.isArray(offset)) offsets.push(...(offset as number[]));
        transforms.push(TRANSFORMS.build(cfg, {}, 't'));
      }
      const ds = build(root);
      const r: PipelineResults = await new Pipeline(transforms).run({ img: null, sample: ds.sampleInfo(0) }, fixedOffsets(offsets));
      const inst = r.sample.gtInstances;
      const masks = inst?.masks;
      if (inst === undefined || masks === undefined) throw new Error('no masks');
      // mmdet's Pad overwrites img_shape with the padded size; ours keeps the unpadded one in imgShape
      if (c.transforms.some((t) => t.type === 'Pad')) expect(r.sample.padShape).toEqual(c.padShape);
      else expect(r.sample.imgShape).toEqual(c.imgShape);
      expect([r.img?.height, r.img?.width]).toEqual(c.padShape);
      expect(Array.from(inst.labels)).toEqual(c.labels);
      expect(inst.bboxes.length).toBe(c.bboxes.length);
      inst.bboxes.forEach((v, i) => expect(Math.abs(v - c.bboxes[i])).toBeLessThan(1e-4));
      const exp = expectedMasks(c.masks);
      expect([masks.count, masks.height, masks.width]).toEqual([exp.count, exp.height, exp.width]);
      expect(differingPixels(masks, exp)).toBe(0);
    });
  }
});

describe('collate', () => {
  it('pads instance masks with 0 to the batch size (mmdet pad_mask)', async () => {
    const ds = build(root, [{ type: 'LoadImageFromFile' }]);
    const small = await build(root, [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [16, 12], keepRatio: true }]).get(0, new Rng(0));
    const big = await ds.get(0, new Rng(0));
    const before = small.sample.gtInstances?.masks as BitmapMasks;
    const batch = collate([small, big]);
    try {
      const m = batch.samples[0].gtInstances?.masks as BitmapMasks;
      expect([m.height, m.width]).toEqual([24, 32]);
      for (let i = 0; i < m.count; i++) {
        for (let y = 0; y < 24; y++) {
          for (let x = 0; x < 32; x++) {
            const v = m.data[i * 24 * 32 + y * 32 + x];
            expect(v).toBe(y < before.height && x < before.width ? before.data[i * before.height * before.width + y * before.width + x] : 0);
          }
        }
      }
    } finally {
      tf.dispose(batch.inputs);
    }
  });
});

describe('blendInstanceMasks', () => {
  it('blends the class colour inside each kept mask only, later masks on top', () => {
    const [h, w] = [2, 3];
    const image = { data: new Uint8Array(h * w * 3).fill(100), height: h, width: w, channels: 3 };
    // mask 0: pixels 0, 1; mask 1: pixels 1, 2; mask 2 (skipped): pixel 5
    const masks: BitmapMasks = { data: Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), count: 3, height: h, width: w };
    const labels = Int32Array.from([0, 1, 0]);
    const out = blendInstanceMasks(image, masks, labels, 2, 0.5, [true, true, false]);
    const pal = segPalette(3);
    const mix = (a: number, c: number): number => Math.round(0.5 * a + 0.5 * c);
    for (let k = 0; k < 3; k++) {
      expect(out[0 * 3 + k]).toBe(mix(100, pal[3 + k]));
      expect(out[1 * 3 + k]).toBe(mix(mix(100, pal[3 + k]), pal[6 + k]));
      expect(out[2 * 3 + k]).toBe(mix(100, pal[6 + k]));
      for (const p of [3, 4, 5]) expect(out[p * 3 + k]).toBe(100);
    }
    expect(() => blendInstanceMasks(image, { ...masks, height: 3 }, labels, 2)).toThrow(/3 masks of 3×3 for 3 labels on a 2×3 image/);
  });
});

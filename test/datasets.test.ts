import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import '../src/registry/builtins.js';
import { DATASETS, TRANSFORMS } from '../src/registry/registries.js';
import { ADE20K_CLASSES, ade20kDatasetSpec, ADE20KDataset } from '../src/datasets/ade20k.js';
import { CocoDetection, cocoDetectionSpec } from '../src/datasets/coco_detection.js';
import { SegDataset, segDatasetSpec } from '../src/datasets/seg_dataset.js';
import type { BaseDataset, DatasetContext } from '../src/datasets/base_dataset.js';
import type { Transform } from '../src/datasets/transforms/transform.js';
import type { HostImage } from '../src/datasets/image.js';
import { Pipeline } from '../src/datasets/transforms/pipeline.js';
import { writeShapesDataset, type CocoInstances, type ShapesDatasetSummary } from '../src/datasets/sample/write_shapes_dataset.js';
import type { ConfigValue } from '../src/registry/options.js';

let tmp = '';
let root = '';
let summary: ShapesDatasetSummary;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-'));
  root = path.join(tmp, 'shapes');
  summary = await writeShapesDataset(root, { numTrain: 12, numVal: 5, size: 64, seed: 3 });
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** An mmseg-style training pipeline (ADE20K config, scaled down to 64 px images). */
const SEG_TRAIN_PIPELINE: ConfigValue[] = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations' },
  { type: 'RandomResize', scale: [128, 64], ratioRange: [0.5, 2.0], keepRatio: true },
  { type: 'RandomCrop', cropSize: [48, 48], catMaxRatio: 0.75 },
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PhotoMetricDistortion' },
  { type: 'Normalize' },
  { type: 'Pad', size: [48, 48] },
];

function buildDataset(config: Record<string, ConfigValue>, dataRoot?: string): BaseDataset {
  return DATASETS.build(config, dataRoot === undefined ? {} : { dataRoot }, 'train_dataloader.dataset');
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** Copies the shapes dataset root (hard links would share files we modify). */
function copyRoot(name: string): string {
  const dst = path.join(tmp, name);
  fs.cpSync(root, dst, { recursive: true });
  return dst;
}

// ---------------------------------------------------------------------------

describe('ADE20KDataset', () => {
  it('has the 150 mmseg class names', () => {
    expect(ADE20K_CLASSES.length).toBe(150);
    expect(ADE20K_CLASSES[0]).toBe('wall');
    expect(ADE20K_CLASSES[149]).toBe('flag');
    expect(new Set(ADE20K_CLASSES).size).toBe(150);
  });

  it('finds the ADE layout per split (counts, sorted, paired by stem), with --data-root over dataRoot', () => {
    const train = buildDataset({ type: 'ADE20KDataset', dataRoot: '/does/not/exist', split: 'train' }, root) as ADE20KDataset;
    const val = buildDataset({ type: 'ADE20KDataset', split: 'val' }, root) as ADE20KDataset;
    expect(train).toBeInstanceOf(ADE20KDataset);
    expect(train.length).toBe(summary.train.numImages);
    expect(val.length).toBe(summary.val.numImages);
    expect(train.classNames).toEqual(ADE20K_CLASSES);
    const s0 = train.sampleInfo(0);
    expect(path.basename(s0.imgPath)).toBe('train_000000.jpg');
    expect(s0.segMapPath).toBe(path.join(root, 'annotations', 'training', 'train_000000.png'));
    expect(s0.reduceZeroLabel).toBe(true);
    expect(s0.numClasses).toBe(150);
    for (let i = 0; i < train.length; i++) {
      const s = train.sampleInfo(i);
      expect(path.basename(s.segMapPath ?? '', '.png')).toBe(path.basename(s.imgPath, '.jpg'));
    }
    expect(errorOf(() => buildDataset({ type: 'ADE20KDataset', dataRoot: '/does/not/exist' }))).toBeInstanceOf(DataError);
    expect(errorOf(() => buildDataset({ type: 'ADE20KDataset', split: 'test' }, root))).toBeInstanceOf(ConfigError);
  });

  it('runs a sample through a full mmseg-style train pipeline', async () => {
    const ds = buildDataset({ type: 'ADE20KDataset', split: 'train', pipeline: SEG_TRAIN_PIPELINE }, root);
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const r = await ds.get(i, new Rng(i));
      const img = r.img as HostImage;
      expect(img.data).toBeInstanceOf(Float32Array);
      expect([img.height, img.width]).toEqual([48, 48]);
      const seg = r.sample.gtSemSeg;
      if (seg === undefined) throw new Error('no label map');
      expect([seg.height, seg.width]).toEqual([48, 48]);
      expect(r.sample.padShape).toEqual([48, 48]);
      expect(r.sample.oriShape).toEqual([64, 64]);
      // shapes labels 1..3 become 0..2 after reduceZeroLabel, background 0 becomes 255
      for (const v of seg.data) seen.add(v);
    }
    expect([...seen].every((v) => v === 255 || (v >= 0 && v <= 2))).toBe(true);
    expect(seen.has(255)).toBe(true);
    expect([...seen].some((v) => v !== 255)).toBe(true);
    // deterministic for a seed
    const a = await ds.get(2, new Rng(99));
    const b = await ds.get(2, new Rng(99));
    expect(Array.from(a.sample.gtSemSeg?.data ?? [])).toEqual(Array.from(b.sample.gtSemSeg?.data ?? []));
    expect(Array.from((a.img as HostImage).data)).toEqual(Array.from((b.img as HostImage).data));
  });
});

// ---------------------------------------------------------------------------

describe('SegDataset', () => {
  const base = { type: 'SegDataset', imgDir: 'images/training', annDir: 'annotations/training', numClasses: 4 };

  it('pairs images and labels by stem and loads the raw class indices', async () => {
    const ds = buildDataset({ ...base, pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }] }, root) as SegDataset;
    expect(ds.length).toBe(12);
    expect(ds.classNames).toEqual(['class_0', 'class_1', 'class_2', 'class_3']);
    const r = await ds.get(0, new Rng(0));
    const seg = r.sample.gtSemSeg;
    if (seg === undefined) throw new Error('no label map');
    expect(new Set(seg.data).has(0)).toBe(true);
    expect(Math.max(...seg.data)).toBeLessThanOrEqual(3);
    const named = buildDataset({ ...base, numClasses: null, classes: ['background', 'rectangle', 'ellipse', 'triangle'] }, root);
    expect(named.classNames[3]).toBe('triangle');
    expect(errorOf(() => buildDataset({ ...base, numClasses: null }, root))).toBeInstanceOf(ConfigError);
  });

  it('honours a split file and custom suffixes (VOC / Cityscapes style)', () => {
    const dst = copyRoot('split');
    fs.writeFileSync(path.join(dst, 'train.txt'), 'train_000003\ntrain_000001\n');
    const ds = buildDataset({ ...base, splitFile: 'train.txt' }, dst);
    expect(ds.length).toBe(2);
    expect(path.basename(ds.sampleInfo(0).imgPath)).toBe('train_000003.jpg');
    // Cityscapes-like nested folders and suffixes
    const city = path.join(tmp, 'city');
    fs.mkdirSync(path.join(city, 'leftImg8bit', 'train', 'aachen'), { recursive: true });
    fs.mkdirSync(path.join(city, 'gtFine', 'train', 'aachen'), { recursive: true });
    fs.copyFileSync(path.join(root, 'images', 'training', 'train_000000.jpg'), path.join(city, 'leftImg8bit', 'train', 'aachen', 'a_000001_leftImg8bit.png'));
    fs.copyFileSync(path.join(root, 'annotations', 'training', 'train_000000.png'), path.join(city, 'gtFine', 'train', 'aachen', 'a_000001_gtFine_labelTrainIds.png'));
    const cs = buildDataset(
      {
        type: 'SegDataset',
        imgDir: 'leftImg8bit/train',
        annDir: 'gtFine/train',
        imgSuffix: '_leftImg8bit.png',
        segMapSuffix: '_gtFine_labelTrainIds.png',
        numClasses: 19,
      },
      city,
    );
    expect(cs.length).toBe(1);
    expect(cs.sampleInfo(0).segMapPath).toBe(path.join(city, 'gtFine', 'train', 'aachen', 'a_000001_gtFine_labelTrainIds.png'));
  });

  it('names the image when its annotation is missing, and a missing root', () => {
    const dst = copyRoot('missing-ann');
    fs.rmSync(path.join(dst, 'annotations', 'training', 'train_000004.png'));
    const err = errorOf(() => buildDataset(base, dst));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(path.join(dst, 'images', 'training', 'train_000004.jpg'));
    expect(err.message).toContain('train_000004.png');
    const noRoot = errorOf(() => buildDataset(base, path.join(tmp, 'nowhere')));
    expect(noRoot).toBeInstanceOf(DataError);
    expect(noRoot.message).toContain('nowhere');
  });
});

// ---------------------------------------------------------------------------

function readCoco(): CocoInstances {
  return JSON.parse(fs.readFileSync(summary.train.cocoAnnotationFile, 'utf8')) as CocoInstances;
}

/** A COCO file whose annotations may be edited into invalid shapes. */
type LooseCoco = Omit<CocoInstances, 'annotations'> & { annotations: Array<Record<string, unknown>> };

/** Writes a COCO annotation file into a copy of the root and returns the root. */
function cocoRoot(name: string, edit: (c: LooseCoco) => void): string {
  const dst = copyRoot(name);
  const c = readCoco() as unknown as LooseCoco;
  edit(c);
  fs.writeFileSync(path.join(dst, 'annotations', 'custom.json'), JSON.stringify(c));
  return dst;
}

describe('CocoDetection', () => {
  const cfg = { type: 'CocoDetection', annFile: 'annotations/instances_train2017.json', imgDir: 'train2017' };

  it('maps category ids to contiguous labels and converts boxes', () => {
    const ds = buildDataset(cfg, root) as CocoDetection;
    const coco = readCoco();
    expect(ds.length).toBe(coco.images.filter((im) => coco.annotations.some((a) => a.image_id === im.id)).length);
    expect(ds.classNames).toEqual(['rectangle', 'ellipse', 'triangle']);
    const s = ds.sampleInfo(0);
    expect(s.imgId).toBe(coco.images[0].id);
    const anns = coco.annotations.filter((a) => a.image_id === s.imgId);
    expect(Array.from(s.gtInstances?.labels ?? [])).toEqual(anns.map((a) => a.category_id - 1));
    expect(Array.from(s.gtInstances?.bboxes ?? [])).toEqual(anns.flatMap((a) => [a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]]));
    expect(s.gtIgnoreBboxes?.length).toBe(0);
  });

  it('sorts category ids, sends crowd boxes to gtIgnoreBboxes, clips boxes, filters empty images', () => {
    const dst = cocoRoot('coco-custom', (c) => {
      // ids 30 (rectangle), 20 (ellipse), 10 (triangle): labels follow the sorted ids
      const remap: Record<number, number> = { 1: 30, 2: 20, 3: 10 };
      c.categories = [
        { id: 30, name: 'rectangle', supercategory: 'shape' },
        { id: 20, name: 'ellipse', supercategory: 'shape' },
        { id: 10, name: 'triangle', supercategory: 'shape' },
      ];
      for (const a of c.annotations) a.category_id = remap[a.category_id as number];
      const img1 = c.images[0].id;
      // a crowd region and a box sticking out of the image on image 1
      c.annotations.push({ id: 9001, image_id: img1, category_id: 20, bbox: [5, 6, 10, 12], area: 100, iscrowd: 1 });
      c.annotations.push({ id: 9002, image_id: img1, category_id: 30, bbox: [-4, 50, 20, 30], area: 300, iscrowd: 0 });
      // image 2 loses all its annotations
      const img2 = c.images[1].id;
      c.annotations = c.annotations.filter((a) => a.image_id !== img2);
    });
    const ds = buildDataset({ ...cfg, annFile: 'annotations/custom.json' }, dst) as CocoDetection;
    expect(ds.classNames).toEqual(['triangle', 'ellipse', 'rectangle']);
    expect(ds.catIds).toEqual([10, 20, 30]);
    expect(ds.length).toBe(11);
    expect(Array.from({ length: ds.length }, (_, i) => ds.sampleInfo(i).imgId)).not.toContain(2);
    const s = ds.sampleInfo(0);
    expect(Array.from(s.gtIgnoreBboxes ?? [])).toEqual([5, 6, 15, 18]);
    const inst = s.gtInstances;
    if (inst === undefined) throw new Error('no instances');
    const k = inst.labels.length - 1;
    expect(inst.labels[k]).toBe(2);
    expect(Array.from(inst.bboxes.subarray(4 * k))).toEqual([0, 50, 16, 64]);
    const coco = readCoco();
    const firstLabels = coco.annotations.filter((a) => a.image_id === 1).map((a) => 3 - a.category_id);
    expect(Array.from(inst.labels.subarray(0, k))).toEqual(firstLabels);
    // filterEmptyGt false keeps the empty image, with no targets
    const all = buildDataset({ ...cfg, annFile: 'annotations/custom.json', filterEmptyGt: false }, dst);
    expect(all.length).toBe(12);
    expect(all.sampleInfo(1).imgId).toBe(2);
    expect(all.sampleInfo(1).gtInstances?.labels.length).toBe(0);
  });

  it('rejects a bad box, naming the annotation id and the file', () => {
    for (const bbox of [
      [1, 2, -3, 4],
      [1, 2, 0, 4],
      [1, 2, 'NaN', 4],
      [1, 2, 3],
    ]) {
      const dst = cocoRoot('coco-badbox', (c) => {
        c.annotations[2].bbox = bbox;
      });
      const err = errorOf(() => buildDataset({ ...cfg, annFile: 'annotations/custom.json' }, dst));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toContain('annotation id 3');
      expect(err.message).toContain('custom.json');
      fs.rmSync(dst, { recursive: true, force: true });
    }
  });

  it('rejects an unknown category id, naming the annotation id', () => {
    const dst = cocoRoot('coco-badcat', (c) => {
      c.annotations[4].category_id = 77;
    });
    const err = errorOf(() => buildDataset({ ...cfg, annFile: 'annotations/custom.json' }, dst));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain('annotation id 5');
    expect(err.message).toContain('77');
  });

  it('rejects a missing image file at construction, naming the path', () => {
    const dst = copyRoot('coco-noimg');
    const missing = path.join(dst, 'train2017', 'train_000007.jpg');
    fs.rmSync(missing);
    const err = errorOf(() => buildDataset(cfg, dst));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(missing);
    expect(errorOf(() => buildDataset(cfg, path.join(tmp, 'no-coco')))).toBeInstanceOf(DataError);
  });

  it('runs a detection train pipeline with boxes kept inside the image', async () => {
    const ds = buildDataset(
      {
        ...cfg,
        pipeline: [
          { type: 'LoadImageFromFile' },
          { type: 'LoadAnnotations' },
          {
            type: 'RandomResize',
            scale: [
              [96, 48],
              [96, 80],
            ],
            ratioRange: null,
            keepRatio: true,
          },
          { type: 'RandomCrop', cropSize: [48, 48] },
          { type: 'RandomFlip', prob: 0.5 },
          { type: 'PhotoMetricDistortion' },
          { type: 'Normalize' },
          { type: 'Pad', sizeDivisor: 32 },
        ],
      },
      root,
    );
    for (let i = 0; i < ds.length; i++) {
      const r = await ds.get(i, new Rng(i));
      const [h, w] = r.sample.imgShape;
      const inst = r.sample.gtInstances;
      if (inst === undefined) throw new Error('no instances');
      expect(inst.labels.length).toBeGreaterThan(0);
      for (let k = 0; k < inst.labels.length; k++) {
        const [x1, y1, x2, y2] = inst.bboxes.subarray(4 * k, 4 * k + 4);
        expect(x1 >= 0 && y1 >= 0 && x2 <= w && y2 <= h && x2 > x1 && y2 > y1).toBe(true);
      }
      expect((r.img as HostImage).height % 32).toBe(0);
      expect(r.sample.imgId).toBe(ds.sampleInfo(i).imgId);
    }
  });
});

describe('pipelines of the new transforms build from configs', () => {
  it('validates options through the registry', () => {
    expect(() => TRANSFORMS.build({ type: 'RandomCrop', cropSize: [4, 4], catMaxRatio: 0.5 }, {}, 'p.0')).not.toThrow();
    expect(() => TRANSFORMS.build({ type: 'RandomCrop', crop_size: [4, 4] }, {}, 'p.0')).toThrow(/Unknown option 'crop_size'/);
    expect(() => TRANSFORMS.build({ type: 'Pad' }, {}, 'p.0')).toThrow(/size/);
    expect(new Pipeline([]).names()).toEqual([]);
  });
});

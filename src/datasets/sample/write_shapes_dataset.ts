/**
 * Writes the synthetic shapes dataset to disk in two layouts holding the same
 * scenes: ADE20K (semantic segmentation: JPEG images + grayscale label PNGs)
 * and COCO (detection / instance segmentation: JPEG images + instances JSON).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { encodeGrayPng, encodeJpeg } from './image_io.js';
import { deriveSeed } from './prng.js';
import { renderShapesScene, SHAPE_CLASS_NAMES, type ShapesScene } from './shapes_scene.js';
import type { CompressedRle } from '../../structures/mask/coco_mask_api.js';
import { rleEncodeRowMajor, rleToString } from '../../structures/mask/rle.js';

/** Options of {@link writeShapesDataset}. */
export interface ShapesDatasetOptions {
  /** Number of training scenes. Default `120`. */
  numTrain?: number;
  /** Number of validation scenes. Default `40`. */
  numVal?: number;
  /** Side length of the square images. Default `96`. */
  size?: number;
  /** Dataset seed; scene `i` of split `s` uses `deriveSeed(seed, s, i)`. Default `0`. */
  seed?: number;
  /** JPEG quality of the images. Default `95`. */
  jpegQuality?: number;
  /** Class-specific hue sectors for the shape colours (see `ShapesSceneOptions.classColours`). Default `true`. */
  classColours?: boolean;
  /**
   * Overlapping shapes of 1/6 to 1/2 of the image, 2–5 per scene (see `ShapesSceneOptions.overlap`);
   * occluded objects get an RLE of their visible pixels. Default `false`.
   */
  overlap?: boolean;
}

/** A COCO `images` entry. */
export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

/** A COCO `annotations` entry (never crowd). */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** `[x, y, w, h]` tight box of the object's pixels. */
  bbox: [number, number, number, number];
  /** Pixel count of the object. */
  area: number;
  iscrowd: 0;
  /**
   * One polygon, flat `[x0, y0, x1, y1, ...]`; for an occluded object of an `overlap` set,
   * the compressed RLE of its visible pixels.
   */
  segmentation: number[][] | CompressedRle;
}

/** A COCO `categories` entry. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

/** Contents of an `instances_*.json` file. */
export interface CocoInstances {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** What was written for one split. */
export interface ShapesSplitSummary {
  /** Number of scenes (images). */
  numImages: number;
  /** Number of objects (COCO annotations). */
  numObjects: number;
  /** Objects per class name. */
  objectsPerClass: Record<string, number>;
  /** ADE20K images directory, e.g. `<root>/images/training`. */
  adeImageDir: string;
  /** ADE20K label directory, e.g. `<root>/annotations/training`. */
  adeAnnotationDir: string;
  /** COCO images directory, e.g. `<root>/train2017`. */
  cocoImageDir: string;
  /** COCO annotation file, e.g. `<root>/annotations/instances_train2017.json`. */
  cocoAnnotationFile: string;
}

/** What {@link writeShapesDataset} wrote. */
export interface ShapesDatasetSummary {
  /** Dataset root (absolute). */
  root: string;
  /** Image side length. */
  size: number;
  /** Dataset seed. */
  seed: number;
  /** Class names indexed by label value (0 is background). */
  classes: string[];
  /** Whether COCO images are hard links of the ADE20K ones (else copies). */
  hardLinked: boolean;
  /** Per split. */
  train: ShapesSplitSummary;
  /** Per split. */
  val: ShapesSplitSummary;
}

/** COCO categories of the dataset. */
export const SHAPE_CATEGORIES: readonly CocoCategory[] = [1, 2, 3].map((id) => ({
  id,
  name: SHAPE_CLASS_NAMES[id]!,
  supercategory: 'shape',
}));

interface SplitSpec {
  key: 'train' | 'val';
  ade: 'training' | 'validation';
  coco: 'train2017' | 'val2017';
  count: number;
}

/** Scenes encoded concurrently. */
const BATCH = 16;

/** Hard-links `src` to `dst` (replacing it), falling back to a copy; returns whether it linked. */
async function linkOrCopy(src: string, dst: string): Promise<boolean> {
  await fsp.rm(dst, { force: true });
  try {
    await fsp.link(src, dst);
    return true;
  } catch {
    await fsp.copyFile(src, dst);
    return false;
  }
}

/** COCO annotations of one scene. */
function cocoAnnotations(scene: ShapesScene, imageId: number, firstId: number): CocoAnnotation[] {
  return scene.objects.map((o, i) => ({
    id: firstId + i,
    image_id: imageId,
    category_id: o.label,
    bbox: [...o.bbox],
    area: o.area,
    iscrowd: 0,
    segmentation: o.occluded ? visibleRle(scene, i + 1) : [[...o.polygon]],
  }));
}

/** Compressed RLE of the pixels of instance `id` in the scene's instance map. */
function visibleRle(scene: ShapesScene, id: number): CompressedRle {
  const mask = scene.instanceMap.map((v) => (v === id ? 1 : 0));
  return { size: [scene.height, scene.width], counts: rleToString(rleEncodeRowMajor(mask, scene.height, scene.width).counts) };
}

/** Writes one split in both layouts. */
async function writeSplit(root: string, spec: SplitSpec, size: number, seed: number, quality: number, classColours: boolean, overlap: boolean, links: { all: boolean }): Promise<ShapesSplitSummary> {
  const adeImageDir = path.join(root, 'images', spec.ade);
  const adeAnnotationDir = path.join(root, 'annotations', spec.ade);
  const cocoImageDir = path.join(root, spec.coco);
  const cocoAnnotationFile = path.join(root, 'annotations', `instances_${spec.coco}.json`);
  await Promise.all([adeImageDir, adeAnnotationDir, cocoImageDir].map((d) => fsp.mkdir(d, { recursive: true })));

  const coco: CocoInstances = { images: [], annotations: [], categories: SHAPE_CATEGORIES.map((c) => ({ ...c })) };
  const objectsPerClass: Record<string, number> = Object.fromEntries(SHAPE_CATEGORIES.map((c) => [c.name, 0]));

  for (let start = 0; start < spec.count; start += BATCH) {
    const indices = Array.from({ length: Math.min(BATCH, spec.count - start) }, (_, k) => start + k);
    const scenes = indices.map((i) => renderShapesScene({ size, seed: deriveSeed(seed, spec.key, i), classColours, overlap }));
    await Promise.all(
      indices.map(async (i, k) => {
        const scene = scenes[k]!;
        const name = `${spec.key}_${String(i).padStart(6, '0')}`;
        const jpgPath = path.join(adeImageDir, `${name}.jpg`);
        await fsp.writeFile(jpgPath, await encodeJpeg(scene.rgb, scene.width, scene.height, quality));
        await fsp.writeFile(path.join(adeAnnotationDir, `${name}.png`), encodeGrayPng(scene.labelMap, scene.width, scene.height));
        if (!(await linkOrCopy(jpgPath, path.join(cocoImageDir, `${name}.jpg`)))) links.all = false;
      }),
    );
    indices.forEach((i, k) => {
      const scene = scenes[k]!;
      const imageId = i + 1;
      coco.images.push({ id: imageId, file_name: `${spec.key}_${String(i).padStart(6, '0')}.jpg`, width: scene.width, height: scene.height });
      coco.annotations.push(...cocoAnnotations(scene, imageId, coco.annotations.length + 1));
      for (const o of scene.objects) objectsPerClass[SHAPE_CLASS_NAMES[o.label]] += 1;
    });
  }
  await fsp.writeFile(cocoAnnotationFile, `${JSON.stringify(coco)}\n`);
  return {
    numImages: spec.count,
    numObjects: coco.annotations.length,
    objectsPerClass,
    adeImageDir,
    adeAnnotationDir,
    cocoImageDir,
    cocoAnnotationFile,
  };
}

/**
 * Writes `numTrain` + `numVal` synthetic shapes scenes under `root`, in both
 *
 * - the ADE20K layout: `images/{training,validation}/<name>.jpg` and
 *   `annotations/{training,validation}/<name>.png` (8-bit grayscale, pixel =
 *   class index: 0 background, 1 rectangle, 2 ellipse, 3 triangle), and
 * - the COCO layout: `{train2017,val2017}/<name>.jpg` (hard links of the same
 *   JPEGs, or copies) and `annotations/instances_{train2017,val2017}.json`.
 *
 * Names are `train_000000`, `val_000000`, ...; image and annotation ids start
 * at 1 in each split. Deterministic in `seed`; existing files are overwritten.
 */
export async function writeShapesDataset(root: string, options: ShapesDatasetOptions = {}): Promise<ShapesDatasetSummary> {
  const numTrain = options.numTrain ?? 120;
  const numVal = options.numVal ?? 40;
  const size = options.size ?? 96;
  const seed = options.seed ?? 0;
  const quality = options.jpegQuality ?? 95;
  const classColours = options.classColours ?? true;
  const overlap = options.overlap ?? false;
  for (const [k, v] of [
    ['numTrain', numTrain],
    ['numVal', numVal],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`writeShapesDataset: ${k} must be a non-negative integer, got ${v}`);
  }
  const absRoot = path.resolve(root);
  const links = { all: true };
  const train = await writeSplit(absRoot, { key: 'train', ade: 'training', coco: 'train2017', count: numTrain }, size, seed, quality, classColours, overlap, links);
  const val = await writeSplit(absRoot, { key: 'val', ade: 'validation', coco: 'val2017', count: numVal }, size, seed, quality, classColours, overlap, links);
  return { root: absRoot, size, seed, classes: [...SHAPE_CLASS_NAMES], hardLinked: links.all, train, val };
}

/** COCO object detection: `instances_*.json` plus an image folder. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { ConfigValue } from '../registry/options.js';
import { sampleForImage, type DataSample } from '../structures/data_sample.js';
import { parseCocoGroundTruth } from '../metrics/coco/load_coco.js';
import type { CocoGroundTruth } from '../metrics/coco/coco_types.js';
import { BaseDataset, type DatasetContext } from './base_dataset.js';
import { decodeCompactMasks, segmentationToCompactMask, type CompactMask } from './coco_masks.js';
import { ConfinedFolder } from './inside_root.js';
import { buildPipeline, type Pipeline } from './transforms/pipeline.js';

/** Layout options of a {@link CocoDetection} dataset (everything but the pipeline). */
export interface CocoDetectionConfig {
  /** Dataset root; `annFile` and `imgDir` are relative to it. */
  dataRoot: string;
  /** Annotation file, e.g. 'annotations/instances_train2017.json'. */
  annFile: string;
  /** Image folder, e.g. 'train2017'. */
  imgDir: string;
  /** Drop images the annotation file lists no annotation for. */
  filterEmptyGt: boolean;
  /** Read instance masks (`segmentation`) into `gtInstances.masks`. Default false. */
  withMask?: boolean;
}

/** One image with its targets. */
interface CocoItem {
  path: string;
  imgId: number;
  height: number;
  width: number;
  bboxes: Float32Array;
  labels: Int32Array;
  ignore: Float32Array;
  /** One compact mask per kept instance (with `withMask`), aligned with `labels`. */
  masks: CompactMask[] | null;
}

/**
 * COCO-format detection dataset, as mmdet's `CocoDataset` (boxes; instance masks with `withMask`).
 *
 * - Category ids map to contiguous labels `0..K−1` in ascending id order;
 *   `classNames` are the category names in that order.
 * - Boxes `[x, y, w, h]` become `x1, y1, x2, y2` clipped to the image size.
 *   Like mmdet, annotations whose box lies outside the image (no overlap), with
 *   `w < 1` or `h < 1`, or with `area <= 0` are skipped.
 * - Crowd annotations (`iscrowd: 1`) go to `gtIgnoreBboxes`, not the targets.
 * - Images keep the annotation file's order; with `filterEmptyGt` those without
 *   any annotation in the file (crowd included: mmdet's `filter_empty_gt`) are dropped.
 * - Each sample keeps `imgId`.
 * - With `withMask` (mmdet's `LoadAnnotations(with_mask=True)`, `poly2mask=True`),
 *   every annotation's `segmentation` — polygons (multi-part ones merged),
 *   uncompressed or compressed RLE — is validated at construction and kept as a
 *   compact RLE; `sampleInfo` decodes the kept instances' masks into
 *   `gtInstances.masks` (`BitmapMasks`, `N × height × width`, pixel-identical to
 *   pycocotools' `annToMask`). Crowd masks are validated but not kept (crowd
 *   regions are `gtIgnoreBboxes`). Where mmdet silently ignores an instance with
 *   an invalid polygon, this raises a DataError naming the file and the
 *   annotation id: a polygon with fewer than 3 points (or an odd number of
 *   coordinates), a vertex more than 1 pixel outside the image, an RLE whose
 *   size is not the image's, or a missing segmentation.
 *
 * The annotation file is validated with `parseCocoGroundTruth`: a bad box
 * (wrong length, non-finite, zero or negative width/height) or an unknown
 * category id raises a DataError naming the file and the annotation id. Every
 * kept image must exist (checked here, at construction).
 *
 * @example `{type: 'CocoDetection', dataRoot: 'data/coco', annFile:
 *   'annotations/instances_val2017.json', imgDir: 'val2017', filterEmptyGt: false}`
 */
export class CocoDetection extends BaseDataset {
  readonly classNames: readonly string[];
  readonly dataRoot: string;
  /** Category id of each label. */
  readonly catIds: readonly number[];
  /** The validated annotation file (for evaluation). */
  readonly groundTruth: CocoGroundTruth;
  /** Absolute path of the annotation file (read by `buildMetric` for COCO metrics). */
  readonly annFile: string;
  private readonly items: CocoItem[] = [];

  constructor(
    readonly config: CocoDetectionConfig,
    pipeline: Pipeline,
  ) {
    super(pipeline);
    this.dataRoot = resolve(config.dataRoot);
    if (!existsSync(this.dataRoot) || !statSync(this.dataRoot).isDirectory()) {
      throw new DataError(`CocoDetection: data root not found: ${this.dataRoot}`);
    }
    const annPath = resolve(this.dataRoot, config.annFile);
    this.annFile = annPath;
    const imgDir = new ConfinedFolder(resolve(this.dataRoot, config.imgDir), 'CocoDetection');
    if (!existsSync(annPath)) throw new DataError(`CocoDetection: annotation file not found: ${annPath}`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(annPath, 'utf8')) as unknown;
    } catch (err) {
      throw new DataError(`${annPath}: cannot read the COCO annotation file as JSON (${(err as Error).message})`);
    }
    const gt = parseCocoGroundTruth(json, annPath);
    this.groundTruth = gt;
    const cats = [...gt.categories].sort((a, b) => a.id - b.id);
    this.catIds = cats.map((c) => c.id);
    this.classNames = cats.map((c) => c.name ?? `category_${c.id}`);
    const catToLabel = new Map(cats.map((c, i) => [c.id, i]));

    const byImage = new Map<number, typeof gt.annotations>();
    for (const a of gt.annotations) {
      const list = byImage.get(a.image_id);
      if (list === undefined) byImage.set(a.image_id, [a]);
      else list.push(a);
    }

    for (const im of gt.images) {
      const anns = byImage.get(im.id) ?? [];
      if (config.filterEmptyGt && anns.length === 0) continue;
      const { file_name: fileName, width, height } = im;
      if (fileName === undefined || width === undefined || height === undefined || !(width > 0) || !(height > 0)) {
        throw new DataError(`${annPath}: image id ${im.id} needs "file_name", and "width" and "height" > 0 (got ${JSON.stringify(im)})`);
      }
      const path = imgDir.resolve(fileName, `image id ${im.id} in ${annPath}`);
      if (!existsSync(path)) throw new DataError(`CocoDetection: image file not found: ${path} (image id ${im.id} in ${annPath})`);
      const boxes: number[] = [];
      const labels: number[] = [];
      const ignore: number[] = [];
      const masks: CompactMask[] = [];
      for (const a of anns) {
        let mask: CompactMask | null = null;
        if (config.withMask === true) {
          const where = `${annPath}: annotation id ${a.id} (image id ${im.id})`;
          if (a.segmentation === undefined) throw new DataError(`${where}: no "segmentation"; withMask needs one per annotation`);
          mask = segmentationToCompactMask(a.segmentation, height, width, where);
        }
        const [x, y, w, h] = a.bbox;
        const interW = Math.max(0, Math.min(x + w, width) - Math.max(x, 0));
        const interH = Math.max(0, Math.min(y + h, height) - Math.max(y, 0));
        if (interW * interH === 0 || a.area <= 0 || w < 1 || h < 1) continue;
        const box = [Math.max(x, 0), Math.max(y, 0), Math.min(x + w, width), Math.min(y + h, height)];
        if (a.iscrowd === 1) {
          ignore.push(...box);
        } else {
          const label = catToLabel.get(a.category_id);
          if (label === undefined) throw new DataError(`${annPath}: annotation id ${a.id}: unknown category id ${a.category_id}`);
          boxes.push(...box);
          labels.push(label);
          if (mask !== null) masks.push(mask);
        }
      }
      this.items.push({
        path,
        imgId: im.id,
        height,
        width,
        bboxes: Float32Array.from(boxes),
        labels: Int32Array.from(labels),
        ignore: Float32Array.from(ignore),
        masks: config.withMask === true ? masks : null,
      });
    }
  }

  get length(): number {
    return this.items.length;
  }

  sampleInfo(i: number): DataSample {
    const it = this.items[i];
    return {
      ...sampleForImage(it.height, it.width, it.path),
      imgId: it.imgId,
      gtInstances: {
        bboxes: it.bboxes.slice(),
        labels: it.labels.slice(),
        ...(it.masks === null ? {} : { masks: decodeCompactMasks(it.masks, it.height, it.width) }),
      },
      gtIgnoreBboxes: it.ignore.slice(),
    };
  }
}

/** Options of the {@link CocoDetection} spec. */
export interface CocoDetectionOptions {
  /** Dataset root. Required (or `--data-root`). Default null. */
  dataRoot: string | null;
  /** Annotation JSON under the root. Default 'annotations/instances_train2017.json'. */
  annFile: string;
  /** Image folder under the root. Default 'train2017'. */
  imgDir: string;
  /** Drop images without annotations (set false for evaluation). Default true. */
  filterEmptyGt: boolean;
  /** Read instance masks (polygons / RLE) into `gtInstances.masks` (mmdet `with_mask=True`). Default false. */
  withMask: boolean;
  /** Transforms, e.g. `[{type: 'LoadImageFromFile'}, {type: 'LoadAnnotations'}, ...]`. Default []. */
  pipeline: ConfigValue[];
}

/** Registry entry of {@link CocoDetection}. */
export const cocoDetectionSpec: ComponentSpec<CocoDetectionOptions, CocoDetection, DatasetContext> = {
  name: 'CocoDetection',
  description: 'COCO-format object detection (boxes, and instance masks with withMask): instances JSON + image folder',
  defaults: {
    dataRoot: null,
    annFile: 'annotations/instances_train2017.json',
    imgDir: 'train2017',
    filterEmptyGt: true,
    withMask: false,
    pipeline: [],
  },
  kinds: { dataRoot: ['string', 'null'] },
  children: { pipeline: { registry: 'transforms', list: true } },
  docs: {
    dataRoot: 'dataset root',
    annFile: 'COCO instances JSON under the root',
    imgDir: 'image folder under the root',
    filterEmptyGt: 'drop images without annotations',
    withMask: 'read instance masks (polygons, RLE) into gtInstances.masks',
    pipeline: 'transforms',
  },
  build(options, context, path) {
    const root = context.dataRoot ?? options.dataRoot;
    if (root === null) throw new DataError(`${path}.dataRoot: not set (set it in the config or pass --data-root)`);
    return new CocoDetection(
      { dataRoot: root, annFile: options.annFile, imgDir: options.imgDir, filterEmptyGt: options.filterEmptyGt, withMask: options.withMask },
      buildPipeline(options.pipeline, `${path}.pipeline`),
    );
  },
};

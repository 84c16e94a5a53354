/** Generic semantic-segmentation dataset: images and label PNGs paired by file stem. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError, DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import { RANGES, type ConfigValue } from '../registry/options.js';
import { sampleForImage, type DataSample } from '../structures/data_sample.js';
import { BaseDataset, type DatasetContext } from './base_dataset.js';
import { ConfinedFolder } from './inside_root.js';
import { buildPipeline, type Pipeline } from './transforms/pipeline.js';

/** Layout and label options of a {@link SegDataset} (everything but the pipeline). */
export interface SegDatasetConfig {
  /** Dataset root; `imgDir`, `annDir` and `splitFile` are relative to it. */
  dataRoot: string;
  /** Image folder under the root (searched recursively). */
  imgDir: string;
  /** Label folder under the root, mirroring `imgDir`. */
  annDir: string;
  /** Image file suffix, e.g. '.jpg' or '_leftImg8bit.png'. */
  imgSuffix: string;
  /** Label file suffix, e.g. '.png' or '_gtFine_labelTrainIds.png'. */
  segMapSuffix: string;
  /** Optional text file listing one image name (without suffix) per line (mmseg's `ann_file`), or null for all images. */
  splitFile: string | null;
  /** Class names, index = label. */
  classes: readonly string[];
  /** Map label 0 to 255 and shift the others down by one. */
  reduceZeroLabel: boolean;
  /** Label value ignored in training and evaluation. */
  ignoreIndex: number;
}

/** One image and its label map. */
interface SegItem {
  img: string;
  ann: string;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Paths (relative to `dir`, `/`-separated) of the files under `dir` ending with `suffix`, sorted. */
function listRecursive(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(suffix)) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A semantic-segmentation dataset laid out as mmseg's `BaseSegDataset`:
 * `<root>/<imgDir>/**\/<name><imgSuffix>` with labels at
 * `<root>/<annDir>/**\/<name><segMapSuffix>` (same relative path and stem). Without
 * a `splitFile` every image under `imgDir` (recursively) is used, sorted by
 * path; with one, the listed names in file order. Each sample carries
 * `segMapPath`, `reduceZeroLabel`, `numClasses` and `ignoreIndex` for
 * `LoadAnnotations`.
 *
 * @example PASCAL VOC 2012 (palette PNGs; 255 marks object borders):
 * `{type: 'SegDataset', dataRoot: 'data/VOCdevkit/VOC2012', imgDir: 'JPEGImages',
 *   annDir: 'SegmentationClass', splitFile: 'ImageSets/Segmentation/train.txt', numClasses: 21}`
 * @example Cityscapes (train ids, created by cityscapesscripts):
 * `{type: 'SegDataset', dataRoot: 'data/cityscapes', imgDir: 'leftImg8bit/train',
 *   annDir: 'gtFine/train', imgSuffix: '_leftImg8bit.png',
 *   segMapSuffix: '_gtFine_labelTrainIds.png', numClasses: 19}`
 *
 * @throws DataError when the root or a folder is missing, no image is found, or
 *   an image has no label file (naming the image and the expected label path).
 */
export class SegDataset extends BaseDataset {
  readonly classNames: readonly string[];
  readonly dataRoot: string;
  private readonly items: SegItem[] = [];

  constructor(
    readonly config: SegDatasetConfig,
    pipeline: Pipeline,
  ) {
    super(pipeline);
    const owner = this.constructor.name;
    this.dataRoot = resolve(config.dataRoot);
    this.classNames = [...config.classes];
    if (!isDir(this.dataRoot)) throw new DataError(`${owner}: data root not found: ${this.dataRoot}`);
    const imgDir = resolve(this.dataRoot, config.imgDir);
    const annDir = resolve(this.dataRoot, config.annDir);
    if (!isDir(imgDir)) throw new DataError(`${owner}: image folder not found: ${imgDir} (imgDir '${config.imgDir}' under ${this.dataRoot})`);
    if (!isDir(annDir)) throw new DataError(`${owner}: annotation folder not found: ${annDir} (annDir '${config.annDir}' under ${this.dataRoot})`);

    const images = new ConfinedFolder(imgDir, owner);
    const labels = new ConfinedFolder(annDir, owner);
    let names: string[];
    let source = (n: string): string => `image '${n}' found in ${imgDir}`;
    if (config.splitFile !== null) {
      const splitPath = isAbsolute(config.splitFile) ? config.splitFile : join(this.dataRoot, config.splitFile);
      if (!existsSync(splitPath)) throw new DataError(`${owner}: split file not found: ${splitPath}`);
      names = readFileSync(splitPath, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
      source = (n: string): string => `line '${n}' of ${splitPath}`;
      for (const n of names) {
        const img = images.resolve(n + config.imgSuffix, source(n));
        if (!existsSync(img)) throw new DataError(`${owner}: image ${img} listed in ${splitPath} (line '${n}') not found`);
      }
    } else {
      names = listRecursive(imgDir, config.imgSuffix).map((f) => f.slice(0, f.length - config.imgSuffix.length));
    }
    if (names.length === 0) {
      throw new DataError(`${owner}: no images ending with '${config.imgSuffix}' in ${imgDir}`);
    }
    for (const n of names) {
      const img = images.resolve(n + config.imgSuffix, source(n));
      const ann = labels.resolve(n + config.segMapSuffix, `label map of ${source(n)}`);
      if (!existsSync(ann)) {
        throw new DataError(`${owner}: no annotation for image ${img}: expected label map ${ann}`);
      }
      this.items.push({ img, ann });
    }
  }

  get length(): number {
    return this.items.length;
  }

  /** The image and label paths of sample `i`. */
  paths(i: number): { img: string; ann: string } {
    return { ...this.items[i] };
  }

  sampleInfo(i: number): DataSample {
    const item = this.items[i];
    return {
      ...sampleForImage(0, 0, item.img),
      segMapPath: item.ann,
      reduceZeroLabel: this.config.reduceZeroLabel,
      numClasses: this.classNames.length,
      ignoreIndex: this.config.ignoreIndex,
    };
  }
}

/**
 * Class names from `classes` or `numClasses` (names `class_0`, ...).
 * @throws ConfigError when neither is set, or both disagree.
 */
export function resolveClassNames(classes: string[] | null, numClasses: number | null, path: string): string[] {
  if (classes !== null) {
    if (!classes.every((c) => typeof c === 'string')) throw new ConfigError(`${path}.classes: expected a list of class names`);
    if (numClasses !== null && numClasses !== classes.length) {
      throw new ConfigError(`${path}: numClasses ${numClasses} does not match the ${classes.length} names in classes`);
    }
    if (classes.length === 0 || classes.length > 255) throw new ConfigError(`${path}.classes: expected 1..255 class names, got ${classes.length}`);
    return [...classes];
  }
  if (numClasses === null) throw new ConfigError(`${path}: set classes (names) or numClasses`);
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 255) {
    throw new ConfigError(`${path}.numClasses: expected an integer in 1..255, got ${numClasses}`);
  }
  return Array.from({ length: numClasses }, (_, i) => `class_${i}`);
}

/** Options of the {@link SegDataset} spec. */
export interface SegDatasetOptions {
  /** Dataset root. Required (or `--data-root`). Default null. */
  dataRoot: string | null;
  /** Image folder under the root. Default 'img_dir/train'. */
  imgDir: string;
  /** Label folder under the root. Default 'ann_dir/train'. */
  annDir: string;
  /** Image suffix. Default '.jpg'. */
  imgSuffix: string;
  /** Label suffix. Default '.png'. */
  segMapSuffix: string;
  /** Split list (names without suffix), relative to the root, or null for all images. Default null. */
  splitFile: string | null;
  /** Class names, or null (then `numClasses`). Default null. */
  classes: string[] | null;
  /** Number of classes when `classes` is null. Default null. */
  numClasses: number | null;
  /** 0 → 255, others − 1. Default false. */
  reduceZeroLabel: boolean;
  /** Ignored label value. Default 255. */
  ignoreIndex: number;
  /** Transforms, e.g. `[{type: 'LoadImageFromFile'}, {type: 'LoadAnnotations'}, ...]`. Default []. */
  pipeline: ConfigValue[];
}

/** Registry entry of {@link SegDataset}. */
export const segDatasetSpec: ComponentSpec<SegDatasetOptions, SegDataset, DatasetContext> = {
  name: 'SegDataset',
  description: 'semantic segmentation: <imgDir>/**/<name><imgSuffix> with labels <annDir>/**/<name><segMapSuffix>',
  defaults: {
    dataRoot: null,
    imgDir: 'img_dir/train',
    annDir: 'ann_dir/train',
    imgSuffix: '.jpg',
    segMapSuffix: '.png',
    splitFile: null,
    classes: null,
    numClasses: null,
    reduceZeroLabel: false,
    ignoreIndex: 255,
    pipeline: [],
  },
  kinds: { dataRoot: ['string', 'null'], splitFile: ['string', 'null'], classes: ['array', 'null'], numClasses: ['number', 'null'] },
  ranges: { numClasses: RANGES.positiveInt, ignoreIndex: RANGES.integer },
  children: { pipeline: { registry: 'transforms', list: true } },
  docs: {
    dataRoot: 'dataset root',
    imgDir: 'image folder under the root',
    annDir: 'label folder under the root',
    imgSuffix: 'image file suffix',
    segMapSuffix: 'label file suffix',
    splitFile: 'text file of image names (no suffix), or null for all',
    classes: 'class names (index = label)',
    numClasses: 'number of classes when classes is null',
    reduceZeroLabel: 'map 0 to 255 and shift other labels down by one',
    ignoreIndex: 'ignored label value',
    pipeline: 'transforms',
  },
  build(options, context, path) {
    const root = context.dataRoot ?? options.dataRoot;
    if (root === null) throw new DataError(`${path}.dataRoot: not set (set it in the config or pass --data-root)`);
    const classes = resolveClassNames(options.classes, options.numClasses, path);
    return new SegDataset(
      {
        dataRoot: root,
        imgDir: options.imgDir,
        annDir: options.annDir,
        imgSuffix: options.imgSuffix,
        segMapSuffix: options.segMapSuffix,
        splitFile: options.splitFile,
        classes,
        reduceZeroLabel: options.reduceZeroLabel,
        ignoreIndex: options.ignoreIndex,
      },
      buildPipeline(options.pipeline, `${path}.pipeline`),
    );
  },
};

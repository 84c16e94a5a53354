/** ADE20K (SceneParsing, 150 classes) in mmseg's layout. */
import { ConfigError, DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { ConfigValue } from '../registry/options.js';
import type { DatasetContext } from './base_dataset.js';
import { resolveClassNames, SegDataset } from './seg_dataset.js';
import { buildPipeline, type Pipeline } from './transforms/pipeline.js';

/**
 * The 150 ADE20K class names, index = label after `reduceZeroLabel`: the data
 * of mmseg's `ADE20KDataset.METAINFO['classes']`, kept verbatim (including the
 * trailing space of 'bed ').
 */
export const ADE20K_CLASSES: readonly string[] = [
  'wall',
  'building',
  'sky',
  'floor',
  'tree',
  'ceiling',
  'road',
  'bed ',
  'windowpane',
  'grass',
  'cabinet',
  'sidewalk',
  'person',
  'earth',
  'door',
  'table',
  'mountain',
  'plant',
  'curtain',
  'chair',
  'car',
  'water',
  'painting',
  'sofa',
  'shelf',
  'house',
  'sea',
  'mirror',
  'rug',
  'field',
  'armchair',
  'seat',
  'fence',
  'desk',
  'rock',
  'wardrobe',
  'lamp',
  'bathtub',
  'railing',
  'cushion',
  'base',
  'box',
  'column',
  'signboard',
  'chest of drawers',
  'counter',
  'sand',
  'sink',
  'skyscraper',
  'fireplace',
  'refrigerator',
  'grandstand',
  'path',
  'stairs',
  'runway',
  'case',
  'pool table',
  'pillow',
  'screen door',
  'stairway',
  'river',
  'bridge',
  'bookcase',
  'blind',
  'coffee table',
  'toilet',
  'flower',
  'book',
  'hill',
  'bench',
  'countertop',
  'stove',
  'palm',
  'kitchen island',
  'computer',
  'swivel chair',
  'boat',
  'bar',
  'arcade machine',
  'hovel',
  'bus',
  'towel',
  'light',
  'truck',
  'tower',
  'chandelier',
  'awning',
  'streetlight',
  'booth',
  'television receiver',
  'airplane',
  'dirt track',
  'apparel',
  'pole',
  'land',
  'bannister',
  'escalator',
  'ottoman',
  'bottle',
  'buffet',
  'poster',
  'stage',
  'van',
  'ship',
  'fountain',
  'conveyer belt',
  'canopy',
  'washer',
  'plaything',
  'swimming pool',
  'stool',
  'barrel',
  'basket',
  'waterfall',
  'tent',
  'bag',
  'minibike',
  'cradle',
  'oven',
  'ball',
  'food',
  'step',
  'tank',
  'trade name',
  'microwave',
  'pot',
  'animal',
  'bicycle',
  'lake',
  'dishwasher',
  'screen',
  'blanket',
  'sculpture',
  'hood',
  'sconce',
  'vase',
  'traffic light',
  'tray',
  'ashcan',
  'fan',
  'pier',
  'crt screen',
  'plate',
  'monitor',
  'bulletin board',
  'shower',
  'radiator',
  'glass',
  'clock',
  'flag',
];

/** ADE20K split folder names by split. */
const SPLIT_DIRS: Record<string, string> = { train: 'training', val: 'validation' };

/** Options of {@link ADE20KDataset}. */
export interface ADE20KOptions {
  /** Root holding `images/` and `annotations/`. Required (or `--data-root`). Default null. */
  dataRoot: string | null;
  /** 'train' (→ `training`) or 'val' (→ `validation`). Default 'train'. */
  split: string;
  /** Image folder; null → `images/training` or `images/validation` by split. Default null. */
  imgDir: string | null;
  /** Label folder; null → `annotations/training` or `annotations/validation`. Default null. */
  annDir: string | null;
  /** Class names; null → the 150 ADE20K classes. Default null. */
  classes: string[] | null;
  /** 0 (“other”) → 255, others − 1. Default true (mmseg fixes it to true). */
  reduceZeroLabel: boolean;
  /** Transforms. Default []. */
  pipeline: ConfigValue[];
}

/**
 * ADE20K as mmseg's `ADE20KDataset`: `.jpg` images under
 * `images/{training,validation}`, `.png` labels under
 * `annotations/{training,validation}`, label 0 ("other") ignored through
 * `reduceZeroLabel`, 150 classes.
 */
export class ADE20KDataset extends SegDataset {
  constructor(dataRoot: string, pipeline: Pipeline, layout: { imgDir: string; annDir: string; classes?: readonly string[]; reduceZeroLabel?: boolean }) {
    super(
      {
        dataRoot,
        imgDir: layout.imgDir,
        annDir: layout.annDir,
        imgSuffix: '.jpg',
        segMapSuffix: '.png',
        splitFile: null,
        classes: layout.classes ?? ADE20K_CLASSES,
        reduceZeroLabel: layout.reduceZeroLabel ?? true,
        ignoreIndex: 255,
      },
      pipeline,
    );
  }
}

/** Registry entry of {@link ADE20KDataset}. */
export const ade20kDatasetSpec: ComponentSpec<ADE20KOptions, ADE20KDataset, DatasetContext> = {
  name: 'ADE20KDataset',
  description: 'ADE20K scene parsing (150 classes): images/{training,validation}/*.jpg + annotations/*/*.png',
  defaults: { dataRoot: null, split: 'train', imgDir: null, annDir: null, classes: null, reduceZeroLabel: true, pipeline: [] },
  kinds: { dataRoot: ['string', 'null'], imgDir: ['string', 'null'], annDir: ['string', 'null'], classes: ['array', 'null'] },
  children: { pipeline: { registry: 'transforms', list: true } },
  docs: {
    dataRoot: 'root holding images/ and annotations/',
    split: "'train' or 'val'",
    imgDir: 'override the image folder',
    annDir: 'override the label folder',
    classes: 'override the 150 class names',
    reduceZeroLabel: 'map 0 to 255 and shift other labels down by one',
    pipeline: 'transforms',
  },
  build(options, context, path) {
    const root = context.dataRoot ?? options.dataRoot;
    if (root === null) throw new DataError(`${path}.dataRoot: not set (set it in the config or pass --data-root)`);
    const dir = SPLIT_DIRS[options.split];
    if (dir === undefined) throw new ConfigError(`${path}.split: expected 'train' or 'val', got '${options.split}'`);
    const classes = options.classes === null ? ADE20K_CLASSES : resolveClassNames(options.classes, null, path);
    return new ADE20KDataset(root, buildPipeline(options.pipeline, `${path}.pipeline`), {
      imgDir: options.imgDir ?? `images/${dir}`,
      annDir: options.annDir ?? `annotations/${dir}`,
      classes,
      reduceZeroLabel: options.reduceZeroLabel,
    });
  },
};

import { DataError } from '../../core/errors.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { LabelMap } from '../../structures/data_sample.js';
import { readLabelPng } from '../label_png.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { IGNORE_LABEL } from './geometry.js';

/** Options of {@link LoadAnnotations}. */
export interface LoadAnnotationsOptions {
  /** Override the sample's `reduceZeroLabel` (null: use the sample's, default false). Default null. */
  reduceZeroLabel: boolean | null;
  /**
   * Require instance masks on detection samples (mmdet's `with_mask=True`). The masks
   * themselves are read by the dataset (`CocoDetection` `withMask: true`); this only checks
   * that they are there, one per box. Default false.
   */
  withMask?: boolean;
}

/**
 * mmseg's `reduce_zero_label`: 0 → 255, every other label − 1, 255 stays 255
 * (in place).
 */
export function reduceZeroLabel(m: LabelMap): LabelMap {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    d[i] = v === 0 || v === IGNORE_LABEL ? IGNORE_LABEL : v - 1;
  }
  return m;
}

/**
 * Loads the label map of a segmentation sample (`sample.segMapPath`, set by the
 * segmentation datasets) into `sample.gtSemSeg`, as mmseg's `LoadAnnotations`:
 * the PNG's pixel values are class indices (8-bit grayscale, or palette indices
 * of a palette PNG; see {@link readLabelPng}). Then `reduceZeroLabel` is applied
 * and every value is checked to be below `sample.numClasses` or equal to 255 /
 * `sample.ignoreIndex`.
 *
 * Must follow `LoadImageFromFile` and precede geometric transforms: the label
 * map must have the decoded image's size. Samples without `segMapPath`
 * (detection: boxes, and masks with the dataset's `withMask`, are already in
 * the sample; classification) pass unchanged, except that `withMask: true`
 * checks a detection sample has one instance mask per box.
 *
 * @throws DataError naming the file for RGB label PNGs, a size mismatch (both
 *   files and sizes) and out-of-range values (the value).
 */
export class LoadAnnotations implements Transform {
  readonly name = 'LoadAnnotations';

  constructor(readonly options: LoadAnnotationsOptions = { reduceZeroLabel: null, withMask: false }) {}

  async apply(results: PipelineResults): Promise<PipelineResults> {
    const s = results.sample;
    if (this.options.withMask === true && s.gtInstances !== undefined) {
      const masks = s.gtInstances.masks;
      const boxes = s.gtInstances.labels.length;
      if (masks === undefined || masks.count !== boxes) {
        throw new DataError(
          `LoadAnnotations withMask: sample ${s.imgPath || '(in memory)'}${s.imgId === undefined ? '' : ` (image id ${s.imgId})`} has ` +
            `${masks === undefined ? 'no instance masks' : `${masks.count} masks for ${boxes} boxes`}; set withMask: true on the dataset ` +
            '(CocoDetection reads the masks)',
        );
      }
    }
    if (s.segMapPath === undefined) return results;
    const img = requireImage(results, this.name);
    const path = s.segMapPath;
    const map = await readLabelPng(path);
    if (map.height !== img.height || map.width !== img.width) {
      throw new DataError(`Label map ${path} is ${map.height}×${map.width} (H×W) but image ${s.imgPath} is ${img.height}×${img.width}; ` + 'a label map must have the size of its image');
    }
    const reduce = this.options.reduceZeroLabel ?? s.reduceZeroLabel ?? false;
    if (reduce) reduceZeroLabel(map);
    if (s.numClasses !== undefined) {
      const ignore = s.ignoreIndex ?? IGNORE_LABEL;
      const d = map.data;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v >= s.numClasses && v !== IGNORE_LABEL && v !== ignore) {
          throw new DataError(
            `Label map ${path}: value ${v} at pixel (x=${i % map.width}, y=${Math.floor(i / map.width)}) is not a class index ` +
              `0..${s.numClasses - 1} nor the ignore index ${ignore}` +
              (reduce ? ' (after reduceZeroLabel)' : ''),
          );
        }
      }
    }
    s.gtSemSeg = map;
    return results;
  }
}

/** Registry entry of {@link LoadAnnotations}. */
export const loadAnnotationsSpec: ComponentSpec<LoadAnnotationsOptions, Transform, unknown> = {
  name: 'LoadAnnotations',
  description: 'load the label PNG (class indices) of a segmentation sample; for detection samples only checks masks (withMask)',
  defaults: { reduceZeroLabel: null, withMask: false },
  kinds: { reduceZeroLabel: ['boolean', 'null'] },
  docs: { reduceZeroLabel: "override the dataset's reduceZeroLabel (null: keep)", withMask: 'require one instance mask per box (read by the dataset with withMask)' },
  build: (options) => new LoadAnnotations(options),
};

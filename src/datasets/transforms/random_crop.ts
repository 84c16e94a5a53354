import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { DataSample, LabelMap } from '../../structures/data_sample.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { cropResults, IGNORE_LABEL } from './geometry.js';
import { sizePair } from './sampling.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link RandomCrop}. */
export interface RandomCropOptions {
  /** Crop `[height, width]` (mmseg's `crop_size` order), or one number. Default `[512, 512]`. */
  cropSize: number | number[];
  /**
   * Largest share of the crop one class may cover (the ignore index excluded);
   * 1 disables the check. Default 1.
   */
  catMaxRatio: number;
  /** Label value left out of the `catMaxRatio` count. Default 255. */
  ignoreIndex: number;
  /**
   * Accept a crop that keeps no box. When false, a crop losing every box is
   * redrawn (up to 10 times); if all lose them the sample is left uncropped.
   * Default false.
   */
  allowNegativeCrop: boolean;
}

/** Attempts of the `catMaxRatio` check (mmseg) and of the box check. */
const ATTEMPTS = 10;

/** Whether a label window passes mmseg's test: ≥ 2 classes and none above `ratio`. */
function catRatioOk(seg: LabelMap, y: number, x: number, h: number, w: number, ignore: number, ratio: number): boolean {
  const counts = new Uint32Array(256);
  for (let yy = y; yy < y + h; yy++) {
    const row = yy * seg.width;
    for (let xx = x; xx < x + w; xx++) counts[seg.data[row + xx]]++;
  }
  let total = 0;
  let max = 0;
  let classes = 0;
  for (let v = 0; v < 256; v++) {
    if (v === ignore || counts[v] === 0) continue;
    classes++;
    total += counts[v];
    max = Math.max(max, counts[v]);
  }
  return classes > 1 && max / total < ratio;
}

/** Whether any (ignored or not) box keeps a positive area inside the window (mmdet's `valid_inds.any()`). */
function anyBoxKept(s: DataSample, y: number, x: number, h: number, w: number): boolean {
  const check = (b: Float32Array | undefined): boolean => {
    if (b === undefined) return false;
    for (let i = 0; i < b.length; i += 4) {
      const x1 = Math.min(Math.max(b[i] - x, 0), w);
      const y1 = Math.min(Math.max(b[i + 1] - y, 0), h);
      const x2 = Math.min(Math.max(b[i + 2] - x, 0), w);
      const y2 = Math.min(Math.max(b[i + 3] - y, 0), h);
      if (x2 > x1 && y2 > y1) return true;
    }
    return false;
  };
  return check(s.gtInstances?.bboxes) || check(s.gtIgnoreBboxes);
}

/**
 * Random crop of image, label map and boxes, for segmentation (mmseg's
 * `RandomCrop`) and detection (mmdet's `RandomCrop`, `crop_type='absolute'`).
 *
 * The crop is `min(cropSize, image size)`, placed at `randint(0, H − h + 1)`,
 * `randint(0, W − w + 1)`. With `catMaxRatio < 1` and a label map, up to 10
 * redraws are made until the crop holds at least two classes and none covers
 * `catMaxRatio` or more of its non-ignored pixels (mmseg's loop: the last draw is
 * used if none passes). Boxes are shifted and clipped to the crop; boxes left
 * without area are removed with their labels. With `allowNegativeCrop: false`,
 * a crop that keeps no box is redrawn; where mmdet returns None (and the dataset
 * loads another image), this transform, after 10 failures or when the sample
 * has no box at all, returns the sample uncropped.
 */
export class RandomCrop implements Transform {
  readonly name = 'RandomCrop';
  private readonly crop: [number, number];

  constructor(readonly options: RandomCropOptions) {
    const c = sizePair(options.cropSize);
    if (c === null) throw new ConfigError(`RandomCrop: cropSize must be a positive integer or [height, width], got ${JSON.stringify(options.cropSize)}`);
    this.crop = c;
    if (!(options.catMaxRatio > 0 && options.catMaxRatio <= 1)) {
      throw new ConfigError(`RandomCrop: catMaxRatio must be in (0, 1], got ${options.catMaxRatio}`);
    }
  }

  /** mmseg's `crop_bbox`: an offset `[y, x]` for an `h × w` crop, honouring `catMaxRatio`. */
  private offset(imgH: number, imgW: number, h: number, w: number, seg: LabelMap | undefined, rng: Rng): [number, number] {
    const draw = (): [number, number] => [rng.randint(0, imgH - h + 1), rng.randint(0, imgW - w + 1)];
    let off = draw();
    if (this.options.catMaxRatio < 1 && seg !== undefined) {
      for (let i = 0; i < ATTEMPTS; i++) {
        if (catRatioOk(seg, off[0], off[1], h, w, this.options.ignoreIndex, this.options.catMaxRatio)) break;
        off = draw();
      }
    }
    return off;
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireImage(results, this.name);
    const h = Math.min(this.crop[0], img.height);
    const w = Math.min(this.crop[1], img.width);
    const s = results.sample;
    const seg = s.gtSemSeg;
    if (seg !== undefined && (seg.height !== img.height || seg.width !== img.width)) {
      throw new Error(`RandomCrop: label map ${seg.height}×${seg.width} does not match image ${img.height}×${img.width} (${s.imgPath})`);
    }
    const checkBoxes = !this.options.allowNegativeCrop && (s.gtInstances !== undefined || s.gtIgnoreBboxes !== undefined);
    if (!checkBoxes) {
      const [y, x] = this.offset(img.height, img.width, h, w, seg, rng);
      return cropResults(results, y, x, h, w);
    }
    const numBoxes = (s.gtInstances?.bboxes.length ?? 0) + (s.gtIgnoreBboxes?.length ?? 0);
    if (numBoxes === 0) return results;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const [y, x] = this.offset(img.height, img.width, h, w, seg, rng);
      if (anyBoxKept(s, y, x, h, w)) return cropResults(results, y, x, h, w);
    }
    return results;
  }
}

/** Registry entry of {@link RandomCrop}. */
export const randomCropSpec: ComponentSpec<RandomCropOptions, Transform, unknown> = {
  name: 'RandomCrop',
  description: 'random crop of image, label map and boxes (mmseg catMaxRatio, mmdet box rules)',
  defaults: { cropSize: [512, 512], catMaxRatio: 1, ignoreIndex: IGNORE_LABEL, allowNegativeCrop: false },
  kinds: { cropSize: ['number', 'array'] },
  ranges: { cropSize: RANGES.positiveInt, catMaxRatio: { min: 0, max: 1, minExclusive: true }, ignoreIndex: RANGES.integer },
  docs: {
    cropSize: '[height, width], or one number',
    catMaxRatio: 'max share of one class in the crop (1 = off)',
    ignoreIndex: 'label excluded from the catMaxRatio count',
    allowNegativeCrop: 'accept crops that keep no box',
  },
  build: (options) => new RandomCrop(options),
};

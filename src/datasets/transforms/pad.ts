import { ConfigError } from '../../core/errors.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { padImage } from '../image.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { sizePair } from './sampling.js';
import { padMasks } from './mask_geometry.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link Pad}. Give `size`, or `sizeDivisor` and/or `padToSquare`. */
export interface PadOptions {
  /** Fixed output `[height, width]` (or one number for a square). Default null. */
  size: number | number[] | null;
  /** Pad height and width up to multiples of this. Default null. */
  sizeDivisor: number | null;
  /** Pad to a square of the longer side first. Default false. */
  padToSquare: boolean;
  /** Image fill value. Default 0. */
  padVal: number;
  /** Label-map fill value. Default 255 (ignored). */
  segPadVal: number;
}

/**
 * Pads image, label map and instance masks at the bottom and right (mmcv's
 * `Pad`, constant mode; masks with 0 as mmdet's `pad_val['masks']`): to a fixed
 * `size`, or to the next multiple of `sizeDivisor` (after an optional pad to
 * square). Boxes are unchanged (they are anchored top-left).
 * Sets `sample.padShape`; `sample.imgShape` keeps the unpadded size. An image
 * larger than a fixed `size` is an error (mmcv asserts too).
 *
 * Note the order: `size` is `[height, width]` here (mmseg's `crop_size` /
 * data-preprocessor `size`), where mmcv's `Pad(size=...)` takes `(w, h)`.
 */
export class Pad implements Transform {
  readonly name = 'Pad';
  private readonly size: [number, number] | null;

  constructor(readonly options: PadOptions) {
    this.size = options.size === null ? null : sizePair(options.size);
    if (options.size !== null && this.size === null) {
      throw new ConfigError(`Pad: size must be a positive integer or [height, width], got ${JSON.stringify(options.size)}`);
    }
    if (options.sizeDivisor !== null && !(Number.isInteger(options.sizeDivisor) && options.sizeDivisor > 0)) {
      throw new ConfigError(`Pad: sizeDivisor must be a positive integer, got ${options.sizeDivisor}`);
    }
    if (this.size !== null && (options.sizeDivisor !== null || options.padToSquare)) {
      throw new ConfigError('Pad: give either size, or sizeDivisor and/or padToSquare, not both');
    }
    if (this.size === null && options.sizeDivisor === null && !options.padToSquare) {
      throw new ConfigError('Pad: set size [height, width], sizeDivisor or padToSquare');
    }
  }

  /** The padded `[height, width]` of an `h × w` image. */
  paddedShape(h: number, w: number): [number, number] {
    if (this.size !== null) return this.size;
    let [ph, pw] = [h, w];
    if (this.options.padToSquare) ph = pw = Math.max(h, w);
    const d = this.options.sizeDivisor;
    if (d !== null) [ph, pw] = [Math.ceil(ph / d) * d, Math.ceil(pw / d) * d];
    return [ph, pw];
  }

  apply(results: PipelineResults): PipelineResults {
    const img = requireImage(results, this.name);
    const [ph, pw] = this.paddedShape(img.height, img.width);
    if (ph < img.height || pw < img.width) {
      throw new Error(`Pad: image ${img.height}×${img.width} is larger than the pad size ${ph}×${pw} (${results.sample.imgPath || 'in-memory image'})`);
    }
    results.img = padImage(img, ph, pw, this.options.padVal);
    const s = results.sample;
    if (s.gtSemSeg !== undefined) {
      const seg = padImage({ data: s.gtSemSeg.data, height: s.gtSemSeg.height, width: s.gtSemSeg.width, channels: 1 }, ph, pw, this.options.segPadVal);
      s.gtSemSeg = { data: seg.data as Uint8Array, height: ph, width: pw };
    }
    const masks = s.gtInstances?.masks;
    if (s.gtInstances !== undefined && masks !== undefined) s.gtInstances = { ...s.gtInstances, masks: padMasks(masks, ph, pw) };
    s.padShape = [ph, pw];
    return results;
  }
}

/** Registry entry of {@link Pad}. */
export const padSpec: ComponentSpec<PadOptions, Transform, unknown> = {
  name: 'Pad',
  description: 'pad image (0) and label map (255) at the bottom/right to a fixed size or a multiple',
  defaults: { size: null, sizeDivisor: null, padToSquare: false, padVal: 0, segPadVal: 255 },
  kinds: { size: ['number', 'array', 'null'], sizeDivisor: ['number', 'null'] },
  ranges: { size: RANGES.positiveInt, sizeDivisor: RANGES.positiveInt },
  docs: {
    size: '[height, width] (or one number), or null',
    sizeDivisor: 'pad to multiples of this, or null',
    padToSquare: 'pad to a square of the longer side first',
    padVal: 'image fill value',
    segPadVal: 'label-map fill value',
  },
  build: (options) => new Pad(options),
};

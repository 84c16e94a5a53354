import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { cropResults, resizeResults } from './geometry.js';
import { isPair, roundHalfEven, sizePair } from './sampling.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link RandomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output size: one number (square) or `[height, width]` (torchvision order). Default 224. */
  size: number | number[];
  /** Range of the crop area as a fraction of the image area. Default `[0.08, 1]`. */
  scale: number[];
  /** Range of the crop aspect ratio (width / height), sampled log-uniformly. Default `[3/4, 4/3]`. */
  ratio: number[];
  /** Random attempts before falling back to a centre crop. Default 10. */
  maxAttempts: number;
}

/** A crop window `[y, x, h, w]`. */
export type CropWindow = [number, number, number, number];

/**
 * Crops a random area and aspect ratio and resizes it (bilinear) to `size`:
 * torchvision's `RandomResizedCrop` / mmpretrain's `RandomResizedCrop`.
 *
 * Per attempt: `area·U(scale)` and `exp(U(log ratio))` give `w = round(√(a·r))`,
 * `h = round(√(a/r))` (Python rounding); the first that fits is placed at
 * `randint(0, H−h)`, `randint(0, W−w)`. After `maxAttempts` misses, the centre
 * crop of the whole image clamped to the ratio range is used. The label map
 * (nearest) and boxes follow the crop and the resize.
 */
export class RandomResizedCrop implements Transform {
  readonly name = 'RandomResizedCrop';
  private readonly outSize: [number, number];

  constructor(readonly options: RandomResizedCropOptions) {
    const size = sizePair(options.size);
    if (size === null) throw new ConfigError(`RandomResizedCrop: size must be a positive integer or [height, width], got ${JSON.stringify(options.size)}`);
    this.outSize = size;
    for (const key of ['scale', 'ratio'] as const) {
      const v = options[key];
      if (!isPair(v) || v[0] > v[1] || v[0] <= 0) {
        throw new ConfigError(`RandomResizedCrop: ${key} must be [min, max] with 0 < min <= max, got ${JSON.stringify(v)}`);
      }
    }
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 0) {
      throw new ConfigError(`RandomResizedCrop: maxAttempts must be an integer >= 0, got ${options.maxAttempts}`);
    }
  }

  /** The crop window for an `height × width` image (torchvision's `get_params`). */
  cropWindow(height: number, width: number, rng: Rng): CropWindow {
    const area = height * width;
    const [sLo, sHi] = this.options.scale;
    const [rLo, rHi] = this.options.ratio;
    const logLo = Math.log(rLo);
    const logHi = Math.log(rHi);
    for (let i = 0; i < this.options.maxAttempts; i++) {
      const targetArea = area * rng.uniform(sLo, sHi);
      const aspect = Math.exp(rng.uniform(logLo, logHi));
      const w = roundHalfEven(Math.sqrt(targetArea * aspect));
      const h = roundHalfEven(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const y = rng.randint(0, height - h + 1);
        const x = rng.randint(0, width - w + 1);
        return [y, x, h, w];
      }
    }
    const inRatio = width / height;
    let w = width;
    let h = height;
    if (inRatio < rLo) h = roundHalfEven(w / rLo);
    else if (inRatio > rHi) w = roundHalfEven(h * rHi);
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireImage(results, this.name);
    const [y, x, h, w] = this.cropWindow(img.height, img.width, rng);
    cropResults(results, y, x, h, w);
    return resizeResults(results, this.outSize[0], this.outSize[1]);
  }
}

/** Registry entry of {@link RandomResizedCrop}. */
export const randomResizedCropSpec: ComponentSpec<RandomResizedCropOptions, Transform, unknown> = {
  name: 'RandomResizedCrop',
  description: 'crop a random area/aspect ratio and resize it to a fixed size (torchvision semantics)',
  defaults: { size: 224, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], maxAttempts: 10 },
  kinds: { size: ['number', 'array'] },
  ranges: { size: RANGES.positiveInt, scale: { min: 0, max: 1, minExclusive: true }, ratio: RANGES.positive, maxAttempts: RANGES.positiveInt },
  docs: {
    size: 'output size, or [height, width]',
    scale: '[min, max] crop area as a fraction of the image area',
    ratio: '[min, max] crop aspect ratio (width/height)',
    maxAttempts: 'random attempts before the centre-crop fallback',
  },
  build: (options) => new RandomResizedCrop(options),
};

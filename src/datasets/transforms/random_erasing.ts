/**
 * timm's `RandomErasing` (`timm.data.random_erasing`, 0.9.x) as a pipeline
 * transform on the normalised float image (put it after `Normalize`).
 */
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HostImage } from '../image.js';
import { rngAugmentDraws, type AugmentDraws } from './augment_draws.js';
import { roundHalfEven } from './sampling.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';

/** What an erased box is filled with. */
export type RandomErasingMode = 'const' | 'rand' | 'pixel';

/** Options of {@link RandomErasing} (timm's names in brackets). */
export interface RandomErasingOptions {
  /** Probability of erasing an image at all (`probability`). Default 0.5. */
  probability: number;
  /** Smallest erased fraction of the image area (`min_area`). Default 0.02. */
  minArea: number;
  /** Largest erased fraction of the image area (`max_area`). Default 1/3. */
  maxArea: number;
  /** Smallest aspect ratio h/w of a box (`min_aspect`). Default 0.3. */
  minAspect: number;
  /** Largest aspect ratio (`max_aspect`); null: `1 / minAspect`. Default null. */
  maxAspect: number | null;
  /**
   * Fill (`mode`): `'const'` zeros, `'rand'` one standard-normal value per channel
   * and box, `'pixel'` a standard-normal value per element (the ImageNet recipe's
   * `remode pixel`). Default `'const'`.
   */
  mode: RandomErasingMode;
  /** Fewest boxes per erased image (`min_count`). Default 1. */
  minCount: number;
  /** Most boxes (`max_count`, the recipe's `recount`); null: `minCount`. Default null. */
  maxCount: number | null;
}

/** An erased box, in pixels. */
export interface ErasedBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Erases random boxes of a normalised image, as timm's `RandomErasing` does
 * with one image: with probability `probability`, draws a count in
 * `[minCount, maxCount]`, and for each box up to 10 attempts of area
 * `U(minArea, maxArea)·H·W / count` and log-uniform aspect ratio, keeping the
 * first that fits (`h < H` and `w < W`). The fill values are standard normals
 * drawn in timm's `(C, h, w)` order. Takes and returns a float32 HWC image; the
 * draws come from the pipeline's seeded generator. (timm's `num_splits`, which
 * leaves the clean part of an augmentation-split batch alone, is not ported.)
 */
export class RandomErasing implements Transform {
  readonly name = 'RandomErasing';
  private readonly logAspect: [number, number];
  private readonly maxCount: number;

  constructor(readonly options: RandomErasingOptions) {
    const o = options;
    if (!(o.probability >= 0 && o.probability <= 1)) throw new ConfigError(`RandomErasing.probability: expected a number in [0, 1], got ${o.probability}`);
    if (!(o.minArea > 0 && o.minArea <= o.maxArea && o.maxArea <= 1)) {
      throw new ConfigError(`RandomErasing: expected 0 < minArea <= maxArea <= 1, got minArea ${o.minArea}, maxArea ${o.maxArea}`);
    }
    const maxAspect = o.maxAspect ?? 1 / o.minAspect;
    if (!(o.minAspect > 0 && maxAspect >= o.minAspect)) {
      throw new ConfigError(`RandomErasing: expected 0 < minAspect <= maxAspect, got minAspect ${o.minAspect}, maxAspect ${maxAspect}`);
    }
    if (!['const', 'rand', 'pixel'].includes(o.mode)) throw new ConfigError(`RandomErasing.mode: expected 'const', 'rand' or 'pixel', got '${String(o.mode)}'`);
    this.logAspect = [Math.log(o.minAspect), Math.log(maxAspect)];
    this.maxCount = o.maxCount ?? o.minCount;
    if (!(Number.isInteger(o.minCount) && o.minCount >= 1 && Number.isInteger(this.maxCount) && this.maxCount >= o.minCount)) {
      throw new ConfigError(`RandomErasing: expected integers 1 <= minCount <= maxCount, got minCount ${o.minCount}, maxCount ${this.maxCount}`);
    }
  }

  /** Erases with the given draws; returns a new image and the boxes erased. */
  applyWith(img: HostImage, draws: AugmentDraws): { img: HostImage; boxes: ErasedBox[] } {
    if (!(img.data instanceof Float32Array)) {
      throw new Error(`${this.name}: expected the normalised float32 image (put RandomErasing after Normalize), got uint8`);
    }
    const { height: H, width: W, channels: C } = img;
    const data = img.data.slice();
    const boxes: ErasedBox[] = [];
    const o = this.options;
    if (draws.random() > o.probability) return { img: { ...img, data }, boxes };
    const area = H * W;
    const count = o.minCount === this.maxCount ? o.minCount : draws.randint(o.minCount, this.maxCount);
    for (let k = 0; k < count; k++) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const targetArea = (draws.uniform(o.minArea, o.maxArea) * area) / count;
        const aspect = Math.exp(draws.uniform(this.logAspect[0], this.logAspect[1]));
        const h = roundHalfEven(Math.sqrt(targetArea * aspect));
        const w = roundHalfEven(Math.sqrt(targetArea / aspect));
        if (!(w < W && h < H)) continue;
        const top = draws.randint(0, H - h);
        const left = draws.randint(0, W - w);
        // fill values in timm's (C, h, w) layout: pixel → [C, h, w], rand → [C, 1, 1]
        const fill = o.mode === 'pixel' ? draws.normals(C * h * w) : o.mode === 'rand' ? draws.normals(C) : null;
        for (let c = 0; c < C; c++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const v = fill === null ? 0 : o.mode === 'pixel' ? fill[(c * h + y) * w + x] : fill[c];
              data[((top + y) * W + left + x) * C + c] = v;
            }
          }
        }
        boxes.push({ top, left, height: h, width: w });
        break;
      }
    }
    return { img: { ...img, data }, boxes };
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    results.img = this.applyWith(requireImage(results, this.name), rngAugmentDraws(rng)).img;
    return results;
  }
}

/** Registry entry of {@link RandomErasing}. */
export const randomErasingSpec: ComponentSpec<RandomErasingOptions, Transform, unknown> = {
  name: 'RandomErasing',
  description: "timm's RandomErasing on the normalised image (const / rand / per-pixel normal fill)",
  defaults: { probability: 0.5, minArea: 0.02, maxArea: 1 / 3, minAspect: 0.3, maxAspect: null, mode: 'const', minCount: 1, maxCount: null },
  kinds: { maxAspect: ['number', 'null'], maxCount: ['number', 'null'] },
  choices: { mode: ['const', 'rand', 'pixel'] },
  ranges: { probability: RANGES.ratio, minArea: RANGES.ratio, maxArea: RANGES.ratio, minAspect: RANGES.positive, minCount: RANGES.positiveInt },
  docs: {
    probability: 'probability of erasing an image',
    minArea: 'smallest erased fraction of the area',
    maxArea: 'largest erased fraction of the area',
    minAspect: 'smallest box aspect ratio',
    maxAspect: 'largest box aspect ratio (null: 1/minAspect)',
    mode: "fill: 'const' zeros, 'rand' normal per channel, 'pixel' normal per element",
    minCount: 'fewest boxes',
    maxCount: 'most boxes (null: minCount)',
  },
  build: (options) => new RandomErasing(options),
};

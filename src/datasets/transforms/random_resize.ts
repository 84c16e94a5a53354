import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { RANGES } from '../../registry/options.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { resizeResults } from './geometry.js';
import { resizedShape } from './resize.js';
import { isPair } from './sampling.js';

/** Options of {@link RandomResize}. */
export interface RandomResizeOptions {
  /**
   * Base `[width, height]` (with `ratioRange`), or a list of `[width, height]`
   * scales (see `scaleMode`). Default `[2048, 512]`.
   */
  scale: number[] | number[][];
  /** `[lo, hi]`: the base scale is multiplied by `U(lo, hi)` (mmcv truncates to int). Default `[0.5, 2.0]`. */
  ratioRange: number[] | null;
  /**
   * How a list of scales is sampled: 'range' (mmcv `RandomResize`: exactly two
   * scales bounding width and height, each drawn as `randint(min, max + 1)`) or
   * 'choice' (mmcv `RandomChoiceResize`: one scale of the list, uniformly).
   * Default 'range'.
   */
  scaleMode: string;
  /** Fit long side to max(scale) and short side to min(scale) (mmcv `rescale_size`). Default true. */
  keepRatio: boolean;
}

type Scale = [number, number];

/**
 * Resizes image, label map (nearest) and boxes to a randomly drawn scale, as
 * mmcv's `RandomResize` (and `RandomChoiceResize` with `scaleMode: 'choice'`).
 *
 * @example mmseg's ADE20K training scale:
 * `{type: 'RandomResize', scale: [2048, 512], ratioRange: [0.5, 2.0], keepRatio: true}`
 * @example mmdet multi-scale training:
 * `{type: 'RandomResize', scale: [[1333, 640], [1333, 800]], ratioRange: null, keepRatio: true}`
 */
export class RandomResize implements Transform {
  readonly name = 'RandomResize';
  private readonly base: Scale | null = null;
  private readonly list: Scale[] = [];

  constructor(readonly options: RandomResizeOptions) {
    const { scale, ratioRange, scaleMode } = options;
    if (scaleMode !== 'range' && scaleMode !== 'choice') {
      throw new ConfigError(`RandomResize: scaleMode must be 'range' or 'choice', got '${scaleMode}'`);
    }
    const positive = (s: unknown): s is Scale => isPair(s) && s[0] > 0 && s[1] > 0;
    if (positive(scale)) {
      if (ratioRange === null) throw new ConfigError('RandomResize: a single scale [width, height] needs ratioRange [lo, hi]');
      if (!isPair(ratioRange) || ratioRange[0] > ratioRange[1] || ratioRange[0] <= 0) {
        throw new ConfigError(`RandomResize: ratioRange must be [lo, hi] with 0 < lo <= hi, got ${JSON.stringify(ratioRange)}`);
      }
      this.base = [scale[0], scale[1]];
    } else if (Array.isArray(scale) && scale.length > 0 && scale.every(positive)) {
      if (ratioRange !== null) throw new ConfigError('RandomResize: ratioRange needs a single scale [width, height], not a list of scales');
      if (scaleMode === 'range' && scale.length !== 2) {
        throw new ConfigError(`RandomResize: scaleMode 'range' needs exactly two scales (lower and upper bound), got ${scale.length}`);
      }
      this.list = (scale as Scale[]).map((s) => [s[0], s[1]]);
    } else {
      throw new ConfigError(`RandomResize: scale must be [width, height] or a list of [width, height], got ${JSON.stringify(scale)}`);
    }
  }

  /** Draws the target `[width, height]` scale. */
  sampleScale(rng: Rng): Scale {
    if (this.base !== null) {
      const [lo, hi] = this.options.ratioRange as number[];
      const ratio = rng.random() * (hi - lo) + lo;
      return [Math.trunc(this.base[0] * ratio), Math.trunc(this.base[1] * ratio)];
    }
    if (this.options.scaleMode === 'choice') return this.list[rng.randint(0, this.list.length)];
    const [a, b] = this.list;
    const w = rng.randint(Math.min(a[0], b[0]), Math.max(a[0], b[0]) + 1);
    const h = rng.randint(Math.min(a[1], b[1]), Math.max(a[1], b[1]) + 1);
    return [w, h];
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireImage(results, this.name);
    const scale = this.sampleScale(rng);
    const [h, w] = resizedShape(img.height, img.width, scale, this.options.keepRatio);
    return resizeResults(results, Math.max(1, h), Math.max(1, w));
  }
}

/** Registry entry of {@link RandomResize}. */
export const randomResizeSpec: ComponentSpec<RandomResizeOptions, Transform, unknown> = {
  name: 'RandomResize',
  description: 'resize image, label map and boxes to a random scale (mmcv RandomResize / RandomChoiceResize)',
  defaults: { scale: [2048, 512], ratioRange: [0.5, 2.0], scaleMode: 'range', keepRatio: true },
  kinds: { ratioRange: ['array', 'null'] },
  ranges: { ratioRange: RANGES.positive },
  docs: {
    scale: '[width, height], or a list of [width, height]',
    ratioRange: '[lo, hi] multiplier of a single scale, or null',
    scaleMode: "for a list of scales: 'range' (two bounds) or 'choice'",
    keepRatio: 'fit long side to max(scale) and short side to min(scale)',
  },
  build: (options) => new RandomResize(options),
};

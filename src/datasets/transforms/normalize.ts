import { ConfigError } from '../../core/errors.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { RANGES } from '../../registry/options.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';

/** Options of {@link Normalize}. */
export interface NormalizeOptions {
  /** Per-channel mean (RGB, 0..255 scale). Default ImageNet `[123.675, 116.28, 103.53]`. */
  mean: number[];
  /** Per-channel std. Default ImageNet `[58.395, 57.12, 57.375]`. */
  std: number[];
}

/** `(img − mean) / std` per channel; the image becomes float32. */
export class Normalize implements Transform {
  readonly name = 'Normalize';

  constructor(readonly options: NormalizeOptions) {
    if (options.mean.length !== 3 || options.std.length !== 3) throw new ConfigError('Normalize: mean and std need 3 values');
  }

  apply(results: PipelineResults): PipelineResults {
    const img = requireImage(results, this.name);
    const out = new Float32Array(img.data.length);
    const { mean, std } = this.options;
    const inv = std.map((s) => 1 / s);
    for (let i = 0; i < out.length; i += 3) {
      out[i] = (img.data[i] - mean[0]) * inv[0];
      out[i + 1] = (img.data[i + 1] - mean[1]) * inv[1];
      out[i + 2] = (img.data[i + 2] - mean[2]) * inv[2];
    }
    results.img = { ...img, data: out };
    return results;
  }
}

/** ImageNet mean and std on the 0..255 scale. */
export const IMAGENET_MEAN = [123.675, 116.28, 103.53];
/** See {@link IMAGENET_MEAN}. */
export const IMAGENET_STD = [58.395, 57.12, 57.375];

/** Registry entry of {@link Normalize}. */
export const normalizeSpec: ComponentSpec<NormalizeOptions, Transform, unknown> = {
  name: 'Normalize',
  description: 'subtract mean and divide by std per RGB channel (image becomes float32)',
  defaults: { mean: IMAGENET_MEAN, std: IMAGENET_STD },
  ranges: { std: RANGES.positive },
  docs: { mean: 'RGB mean on the 0..255 scale', std: 'RGB std on the 0..255 scale' },
  build: (options) => new Normalize(options),
};

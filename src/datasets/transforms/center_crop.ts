import type { ComponentSpec } from '../../registry/registry.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { cropResults } from './geometry.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link CenterCrop}. */
export interface CenterCropOptions {
  /** Crop size: one number (square) or `[width, height]`. */
  cropSize: number | number[];
}

/** Python's `round` (half to even), as mmcv uses for crop offsets. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Crops the centre (image, label map and boxes) as mmcv's `CenterCrop`: offset
 * `round((size − crop) / 2)` (half to even), crop clipped to the image.
 */
export class CenterCrop implements Transform {
  readonly name = 'CenterCrop';

  constructor(readonly options: CenterCropOptions) {}

  apply(results: PipelineResults): PipelineResults {
    const img = requireImage(results, this.name);
    const [cw, ch] = typeof this.options.cropSize === 'number' ? [this.options.cropSize, this.options.cropSize] : this.options.cropSize;
    const y = Math.max(0, roundHalfEven((img.height - ch) / 2));
    const x = Math.max(0, roundHalfEven((img.width - cw) / 2));
    return cropResults(results, y, x, Math.min(ch, img.height - y), Math.min(cw, img.width - x));
  }
}

/** Registry entry of {@link CenterCrop}. */
export const centerCropSpec: ComponentSpec<CenterCropOptions, Transform, unknown> = {
  name: 'CenterCrop',
  description: 'crop the centre to a fixed size',
  defaults: { cropSize: 224 },
  kinds: { cropSize: ['number', 'array'] },
  ranges: { cropSize: RANGES.positiveInt },
  docs: { cropSize: 'size, or [width, height]' },
  build: (options) => new CenterCrop(options),
};

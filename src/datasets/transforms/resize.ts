import { ConfigError } from '../../core/errors.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { resizeResults } from './geometry.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link Resize}. */
export interface ResizeOptions {
  /** Target `[width, height]` (mmcv order). */
  scale: number[];
  /**
   * Keep the aspect ratio: scale so that the long side fits `max(scale)` and the
   * short side fits `min(scale)` (mmcv's `rescale_size`). Default true.
   */
  keepRatio: boolean;
}

/** The output `[h, w]` of resizing `h × w` to `scale = [sw, sh]` (mmcv `rescale_size` when keeping the ratio). */
export function resizedShape(h: number, w: number, scale: readonly number[], keepRatio: boolean): [number, number] {
  const [sw, sh] = scale;
  if (!keepRatio) return [sh, sw];
  const longEdge = Math.max(sw, sh);
  const shortEdge = Math.min(sw, sh);
  const factor = Math.min(longEdge / Math.max(h, w), shortEdge / Math.min(h, w));
  return [Math.round(h * factor), Math.round(w * factor)];
}

/** Resizes image, label map and boxes to a fixed scale. */
export class Resize implements Transform {
  readonly name = 'Resize';

  constructor(readonly options: ResizeOptions) {
    if (options.scale.length !== 2) throw new ConfigError(`Resize: scale must be [width, height], got [${options.scale}]`);
  }

  apply(results: PipelineResults): PipelineResults {
    const img = requireImage(results, this.name);
    const [h, w] = resizedShape(img.height, img.width, this.options.scale, this.options.keepRatio);
    return resizeResults(results, h, w);
  }
}

/** Registry entry of {@link Resize}. */
export const resizeSpec: ComponentSpec<ResizeOptions, Transform, unknown> = {
  name: 'Resize',
  description: 'resize image, label map and boxes to [width, height], optionally keeping the aspect ratio',
  defaults: { scale: [224, 224], keepRatio: true },
  ranges: { scale: RANGES.positiveInt },
  docs: { scale: '[width, height]', keepRatio: 'fit long side to max(scale) and short side to min(scale)' },
  build: (options) => new Resize(options),
};

/** Options of {@link ResizeEdge}. */
export interface ResizeEdgeOptions {
  /** Target length of the chosen edge. */
  scale: number;
  /** Which edge to resize to `scale`: 'short' or 'long'. Default 'short'. */
  edge: string;
}

/** Resizes so that the short (or long) edge equals `scale`, keeping the ratio (mmpretrain's ResizeEdge). */
export class ResizeEdge implements Transform {
  readonly name = 'ResizeEdge';

  constructor(readonly options: ResizeEdgeOptions) {
    if (options.edge !== 'short' && options.edge !== 'long') throw new ConfigError(`ResizeEdge: edge must be 'short' or 'long', got '${options.edge}'`);
  }

  apply(results: PipelineResults): PipelineResults {
    const img = requireImage(results, this.name);
    const { height: h, width: w } = img;
    const ref = this.options.edge === 'short' ? Math.min(h, w) : Math.max(h, w);
    const f = this.options.scale / ref;
    return resizeResults(results, Math.round(h * f), Math.round(w * f));
  }
}

/** Registry entry of {@link ResizeEdge}. */
export const resizeEdgeSpec: ComponentSpec<ResizeEdgeOptions, Transform, unknown> = {
  name: 'ResizeEdge',
  description: 'resize so the short (or long) edge has a given length, keeping the ratio',
  defaults: { scale: 256, edge: 'short' },
  ranges: { scale: RANGES.positiveInt },
  docs: { scale: 'edge length in pixels', edge: "'short' or 'long'" },
  build: (options) => new ResizeEdge(options),
};

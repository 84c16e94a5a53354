import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { hsvToRgbOpenCV, rgbToHsvOpenCV, type Triple } from '../color.js';
import type { HostImage } from '../image.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { isPair } from './sampling.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link PhotoMetricDistortion}. */
export interface PhotoMetricDistortionOptions {
  /** Brightness shift drawn from `U(−delta, delta)` (0..255 scale). Default 32. */
  brightnessDelta: number;
  /** Contrast factor range. Default `[0.5, 1.5]`. */
  contrastRange: number[];
  /** Saturation factor range. Default `[0.5, 1.5]`. */
  saturationRange: number[];
  /** Hue shift drawn from `U(−delta, delta)`, in degrees. Default 18. */
  hueDelta: number;
}

/** The random choices of one {@link PhotoMetricDistortion} call (null: step skipped). */
export interface PhotoMetricParams {
  /** 1: contrast right after brightness; 0: contrast after the HSV steps. */
  mode: 0 | 1;
  /** Added to every channel, or null. */
  brightness: number | null;
  /** Multiplies every channel, or null. */
  contrast: number | null;
  /** Multiplies S, or null. */
  saturation: number | null;
  /** Added to H (degrees), or null. */
  hue: number | null;
}

function clip255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Applies the photometric steps with fixed parameters, per pixel in float32 on
 * the 0..255 scale (RGB, 3 channels):
 *
 * 1. brightness: `clip(x + β, 0, 255)`;
 * 2. contrast if `mode == 1`: `clip(x·α, 0, 255)`;
 * 3. if saturation or hue: RGB → HSV (OpenCV float: H degrees, S in [0, 1]),
 *    `S = clip(S·s, 0, 1)`, `H += δ` wrapped into [0, 360] (mmdet's rule), HSV → RGB;
 * 4. contrast if `mode == 0`.
 *
 * A uint8 image comes back uint8 (rounded half up and clipped once at the
 * end); a float image stays float.
 */
export function applyPhotoMetric(img: HostImage, p: PhotoMetricParams): HostImage {
  if (img.channels !== 3) throw new Error(`PhotoMetricDistortion: expected a 3-channel RGB image, got ${img.channels} channels`);
  const src = img.data;
  const isUint8 = src instanceof Uint8Array;
  const out = isUint8 ? new Uint8Array(src.length) : new Float32Array(src.length);
  const f = Math.fround;
  const hsv: Triple = [0, 0, 0];
  const rgb: Triple = [0, 0, 0];
  const px: Triple = [0, 0, 0];
  const doHsv = p.saturation !== null || p.hue !== null;
  for (let i = 0; i < src.length; i += 3) {
    px[0] = src[i];
    px[1] = src[i + 1];
    px[2] = src[i + 2];
    if (p.brightness !== null) for (let k = 0; k < 3; k++) px[k] = f(clip255(f(px[k] + p.brightness)));
    if (p.mode === 1 && p.contrast !== null) for (let k = 0; k < 3; k++) px[k] = f(clip255(f(px[k] * p.contrast)));
    if (doHsv) {
      rgbToHsvOpenCV(px[0], px[1], px[2], hsv);
      let h = f(hsv[0]);
      let s = f(hsv[1]);
      if (p.saturation !== null) s = Math.min(Math.max(f(s * p.saturation), 0), 1);
      if (p.hue !== null) {
        h = f(h + p.hue);
        if (h > 360) h = f(h - 360);
        if (h < 0) h = f(h + 360);
      }
      hsvToRgbOpenCV(h, s, hsv[2], rgb);
      for (let k = 0; k < 3; k++) px[k] = f(clip255(rgb[k]));
    }
    if (p.mode === 0 && p.contrast !== null) for (let k = 0; k < 3; k++) px[k] = f(clip255(f(px[k] * p.contrast)));
    for (let k = 0; k < 3; k++) out[i + k] = isUint8 ? Math.round(px[k]) : px[k];
  }
  return { data: out, height: img.height, width: img.width, channels: 3 };
}

/**
 * mmseg/mmdet's `PhotoMetricDistortion`: random brightness, contrast (before or
 * after the HSV steps), saturation and hue, each applied with probability 0.5.
 *
 * Draws, in this order: `mode`, the four on/off flags (each `randint(0, 2)`),
 * then the brightness, contrast, saturation and hue values (always drawn, as
 * mmdet does, so the stream position does not depend on the flags). The
 * arithmetic is {@link applyPhotoMetric}: float on the 0..255 scale with
 * clipping after each step (mmseg clips, mmdet does not), hue in degrees on
 * OpenCV's float HSV (mmdet; mmseg's uint8 HSV steps 2° per unit).
 */
export class PhotoMetricDistortion implements Transform {
  readonly name = 'PhotoMetricDistortion';

  constructor(readonly options: PhotoMetricDistortionOptions) {
    for (const key of ['contrastRange', 'saturationRange'] as const) {
      const v = options[key];
      if (!isPair(v) || v[0] > v[1] || v[0] < 0) throw new ConfigError(`PhotoMetricDistortion: ${key} must be [min, max] with 0 <= min <= max, got ${JSON.stringify(v)}`);
    }
    for (const key of ['brightnessDelta', 'hueDelta'] as const) {
      if (!(options[key] >= 0)) throw new ConfigError(`PhotoMetricDistortion: ${key} must be >= 0, got ${options[key]}`);
    }
  }

  /** Draws the random choices of one call. */
  sampleParams(rng: Rng): PhotoMetricParams {
    const mode = rng.randint(0, 2) as 0 | 1;
    const flags = [rng.randint(0, 2), rng.randint(0, 2), rng.randint(0, 2), rng.randint(0, 2)];
    const { brightnessDelta: bd, contrastRange: cr, saturationRange: sr, hueDelta: hd } = this.options;
    const delta = rng.uniform(-bd, bd);
    const alpha = rng.uniform(cr[0], cr[1]);
    const sat = rng.uniform(sr[0], sr[1]);
    const hue = rng.uniform(-hd, hd);
    return {
      mode,
      brightness: flags[0] === 1 ? delta : null,
      contrast: flags[1] === 1 ? alpha : null,
      saturation: flags[2] === 1 ? sat : null,
      hue: flags[3] === 1 ? hue : null,
    };
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireImage(results, this.name);
    results.img = applyPhotoMetric(img, this.sampleParams(rng));
    return results;
  }
}

/** Registry entry of {@link PhotoMetricDistortion}. */
export const photoMetricDistortionSpec: ComponentSpec<PhotoMetricDistortionOptions, Transform, unknown> = {
  name: 'PhotoMetricDistortion',
  description: 'random brightness, contrast, saturation and hue, each with probability 0.5 (mmseg/mmdet)',
  defaults: { brightnessDelta: 32, contrastRange: [0.5, 1.5], saturationRange: [0.5, 1.5], hueDelta: 18 },
  ranges: { brightnessDelta: RANGES.nonNegative, contrastRange: RANGES.nonNegative, saturationRange: RANGES.nonNegative, hueDelta: RANGES.nonNegative },
  docs: {
    brightnessDelta: 'max brightness shift on the 0..255 scale',
    contrastRange: '[min, max] contrast factor',
    saturationRange: '[min, max] saturation factor',
    hueDelta: 'max hue shift in degrees',
  },
  build: (options) => new PhotoMetricDistortion(options),
};

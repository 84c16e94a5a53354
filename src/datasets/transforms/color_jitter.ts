import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { grayTorch, hsvToRgbTorch, rgbToHsvTorch, type Triple } from '../color.js';
import type { HostImage } from '../image.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { permutation } from './sampling.js';

/** Options of {@link ColorJitter}: each a non-negative number or `[min, max]`. */
export interface ColorJitterOptions {
  /** Brightness factor from `[max(0, 1 − b), 1 + b]` or the given range. Default 0 (off). */
  brightness: number | number[];
  /** Contrast factor from `[max(0, 1 − c), 1 + c]` or the given range. Default 0 (off). */
  contrast: number | number[];
  /** Saturation factor from `[max(0, 1 − s), 1 + s]` or the given range. Default 0 (off). */
  saturation: number | number[];
  /** Hue shift (fraction of a turn) from `[−h, h]` (h ≤ 0.5) or the given range within [−0.5, 0.5]. Default 0 (off). */
  hue: number | number[];
}

/** The random choices of one {@link ColorJitter} call. */
export interface ColorJitterParams {
  /** Order of the steps: 0 brightness, 1 contrast, 2 saturation, 3 hue. */
  order: number[];
  /** Brightness factor (null: step off). */
  brightness: number | null;
  /** Contrast factor (null: step off). */
  contrast: number | null;
  /** Saturation factor (null: step off). */
  saturation: number | null;
  /** Hue shift in turns, within [−0.5, 0.5] (null: step off). */
  hue: number | null;
}

type Range = [number, number] | null;

function toRange(v: number | number[], name: string, center: number, lo: number, hi: number): Range {
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new ConfigError(`ColorJitter: ${name} must be a non-negative number or [min, max], got ${v}`);
    r = center === 1 ? [Math.max(0, 1 - v), 1 + v] : [-v, v];
  } else if (v.length === 2 && v.every((x) => Number.isFinite(x))) {
    r = [v[0], v[1]];
  } else {
    throw new ConfigError(`ColorJitter: ${name} must be a number or [min, max], got ${JSON.stringify(v)}`);
  }
  if (!(lo <= r[0] && r[0] <= r[1] && r[1] <= hi)) {
    throw new ConfigError(`ColorJitter: ${name} range [${r.join(', ')}] must satisfy ${lo} <= min <= max <= ${hi}`);
  }
  return r[0] === center && r[1] === center ? null : r;
}

/**
 * Applies the jitter steps with fixed parameters in float32 on the 0..255
 * scale, with torchvision's tensor arithmetic (bound 255): brightness
 * `clip(f·x)`, contrast `clip(f·x + (1−f)·mean(gray))`, saturation
 * `clip(f·x + (1−f)·gray)`, hue via torchvision's HSV with `h = (h + f) mod 1`.
 * A uint8 image comes back uint8 (rounded half up and clipped once at the end,
 * where torchvision's uint8 path truncates after every step); a float image
 * (0..255 scale) stays float.
 */
export function applyColorJitter(img: HostImage, p: ColorJitterParams): HostImage {
  if (img.channels !== 3) throw new Error(`ColorJitter: expected a 3-channel RGB image, got ${img.channels} channels`);
  const x = Float32Array.from(img.data);
  const n = x.length;
  const blend = (f: number, i: number, other: number): number => {
    const v = f * x[i] + (1 - f) * other;
    return v < 0 ? 0 : v > 255 ? 255 : v;
  };
  for (const step of p.order) {
    if (step === 0 && p.brightness !== null) {
      const f = p.brightness;
      for (let i = 0; i < n; i++) x[i] = blend(f, i, 0);
    } else if (step === 1 && p.contrast !== null) {
      const f = p.contrast;
      let sum = 0;
      for (let i = 0; i < n; i += 3) sum += Math.fround(grayTorch(x[i], x[i + 1], x[i + 2]));
      const mean = sum / (n / 3);
      for (let i = 0; i < n; i++) x[i] = blend(f, i, mean);
    } else if (step === 2 && p.saturation !== null) {
      const f = p.saturation;
      for (let i = 0; i < n; i += 3) {
        const g = Math.fround(grayTorch(x[i], x[i + 1], x[i + 2]));
        x[i] = blend(f, i, g);
        x[i + 1] = blend(f, i + 1, g);
        x[i + 2] = blend(f, i + 2, g);
      }
    } else if (step === 3 && p.hue !== null) {
      const f = p.hue;
      const hsv: Triple = [0, 0, 0];
      const rgb: Triple = [0, 0, 0];
      for (let i = 0; i < n; i += 3) {
        rgbToHsvTorch(Math.fround(x[i] / 255), Math.fround(x[i + 1] / 255), Math.fround(x[i + 2] / 255), hsv);
        const h = (((Math.fround(hsv[0]) + f) % 1) + 1) % 1;
        hsvToRgbTorch(Math.fround(h), Math.fround(hsv[1]), Math.fround(hsv[2]), rgb);
        x[i] = rgb[0] * 255;
        x[i + 1] = rgb[1] * 255;
        x[i + 2] = rgb[2] * 255;
      }
    }
  }
  if (img.data instanceof Uint8Array) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.min(255, Math.max(0, Math.round(x[i])));
    return { data: out, height: img.height, width: img.width, channels: 3 };
  }
  return { data: x, height: img.height, width: img.width, channels: 3 };
}

/**
 * Randomly changes brightness, contrast, saturation and hue in a random order:
 * torchvision's `ColorJitter` (mmpretrain's `ColorJitter`). Draws a permutation
 * of the four steps, then one factor per enabled step in the order brightness,
 * contrast, saturation, hue. See {@link applyColorJitter} for the arithmetic.
 */
export class ColorJitter implements Transform {
  readonly name = 'ColorJitter';
  private readonly ranges: [Range, Range, Range, Range];

  constructor(readonly options: ColorJitterOptions) {
    this.ranges = [
      toRange(options.brightness, 'brightness', 1, 0, Infinity),
      toRange(options.contrast, 'contrast', 1, 0, Infinity),
      toRange(options.saturation, 'saturation', 1, 0, Infinity),
      toRange(options.hue, 'hue', 0, -0.5, 0.5),
    ];
  }

  /** Draws the random choices of one call. */
  sampleParams(rng: Rng): ColorJitterParams {
    const order = permutation(rng, 4);
    const [b, c, s, h] = this.ranges.map((r) => (r === null ? null : rng.uniform(r[0], r[1])));
    return { order, brightness: b, contrast: c, saturation: s, hue: h };
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireImage(results, this.name);
    results.img = applyColorJitter(img, this.sampleParams(rng));
    return results;
  }
}

/** Registry entry of {@link ColorJitter}. */
export const colorJitterSpec: ComponentSpec<ColorJitterOptions, Transform, unknown> = {
  name: 'ColorJitter',
  description: 'random brightness, contrast, saturation and hue in random order (torchvision semantics)',
  defaults: { brightness: 0, contrast: 0, saturation: 0, hue: 0 },
  kinds: { brightness: ['number', 'array'], contrast: ['number', 'array'], saturation: ['number', 'array'], hue: ['number', 'array'] },
  docs: {
    brightness: 'jitter amount or [min, max] factor',
    contrast: 'jitter amount or [min, max] factor',
    saturation: 'jitter amount or [min, max] factor',
    hue: 'max shift (<= 0.5 turn) or [min, max] within [-0.5, 0.5]',
  },
  build: (options) => new ColorJitter(options),
};

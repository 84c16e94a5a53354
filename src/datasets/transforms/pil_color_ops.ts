/**
 * Pillow's per-pixel colour operations on uint8 RGB images (HWC), bit for bit
 * as Pillow 9.x computes them: the `ImageOps` look-up tables (autocontrast,
 * equalize, invert, solarize, posterize), timm's `solarize_add`, and the
 * `ImageEnhance` blends (Color, Contrast, Brightness, Sharpness) with Pillow's
 * float32 blend that truncates to uint8. These are the photometric operations
 * of timm's RandAugment.
 */
import type { HostImage } from '../image.js';

/** A uint8 RGB image: what every function here takes and returns. */
export interface RgbImage extends HostImage {
  data: Uint8Array;
}

/** Throws unless `img` is a 3-channel uint8 image (`op` names the caller). */
export function requireRgbUint8(img: HostImage, op: string): RgbImage {
  if (!(img.data instanceof Uint8Array) || img.channels !== 3) {
    throw new Error(`${op}: expected a uint8 RGB image (before Normalize), got ${img.data instanceof Uint8Array ? 'uint8' : 'float32'} with ${img.channels} channels`);
  }
  return img as RgbImage;
}

function like(img: RgbImage, data: Uint8Array): RgbImage {
  return { data, height: img.height, width: img.width, channels: 3 };
}

/** Applies one 256-entry table per channel (`luts[c][v]`), as `Image.point` does. */
export function applyLuts(img: RgbImage, luts: readonly (readonly number[])[]): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = luts[0][img.data[i]];
    out[i + 1] = luts[1][img.data[i + 1]];
    out[i + 2] = luts[2][img.data[i + 2]];
  }
  return like(img, out);
}

/** Per-channel histograms `[3][256]`. */
function histograms(img: RgbImage): number[][] {
  const h = [new Array<number>(256).fill(0), new Array<number>(256).fill(0), new Array<number>(256).fill(0)];
  for (let i = 0; i < img.data.length; i += 3) {
    h[0][img.data[i]]++;
    h[1][img.data[i + 1]]++;
    h[2][img.data[i + 2]]++;
  }
  return h;
}

const identity = (): number[] => Array.from({ length: 256 }, (_, i) => i);
const sameLut = (lut: number[]): number[][] => [lut, lut, lut];

/** `ImageOps.autocontrast(img)` (cutoff 0): each channel's [min, max] stretched to [0, 255]. */
export function autoContrast(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    if (hi <= lo) return identity();
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return Array.from({ length: 256 }, (_, ix) => Math.min(255, Math.max(0, Math.trunc(ix * scale + offset))));
  });
  return applyLuts(img, luts);
}

/** `ImageOps.equalize(img)`: per-channel histogram equalisation with Pillow's integer steps. */
export function equalize(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    const histo = h.filter((v) => v !== 0);
    if (histo.length <= 1) return identity();
    const step = Math.floor((histo.reduce((a, b) => a + b, 0) - histo[histo.length - 1]) / 255);
    if (step === 0) return identity();
    let n = Math.floor(step / 2);
    const lut: number[] = [];
    for (let i = 0; i < 256; i++) {
      lut.push(Math.floor(n / step));
      n += h[i];
    }
    return lut;
  });
  return applyLuts(img, luts);
}

/** `ImageOps.invert(img)`: `255 − v`. */
export function invert(img: RgbImage): RgbImage {
  return applyLuts(img, sameLut(Array.from({ length: 256 }, (_, i) => 255 - i)));
}

/** `ImageOps.solarize(img, threshold)`: `v < threshold ? v : 255 − v` (threshold 256: no change). */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  return applyLuts(img, sameLut(Array.from({ length: 256 }, (_, i) => (i < threshold ? i : 255 - i))));
}

/** timm's `solarize_add(img, add, thresh=128)`: `v < thresh ? min(255, v + add) : v`. */
export function solarizeAdd(img: RgbImage, add: number, threshold = 128): RgbImage {
  return applyLuts(img, sameLut(Array.from({ length: 256 }, (_, i) => (i < threshold ? Math.min(255, i + add) : i))));
}

/** `ImageOps.posterize(img, bits)`: keeps the `bits` (0..8) most significant bits; 8 or more: no change. */
export function posterize(img: RgbImage, bits: number): RgbImage {
  if (bits >= 8) return like(img, img.data.slice());
  const mask = ~(2 ** (8 - bits) - 1) & 0xff;
  return applyLuts(img, sameLut(Array.from({ length: 256 }, (_, i) => i & mask)));
}

/** Pillow's `RGB → L` conversion: `(19595·R + 38470·G + 7471·B + 0x8000) >> 16`. */
export function pilLuma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/**
 * `Image.blend(degenerate, img, factor)` as Pillow's C code computes it: in
 * float32, `d + f·(x − d)`, truncated to uint8 (clipped to [0, 255] when
 * `f` is outside [0, 1]). `degenerate` gives the value per element index.
 */
function blend(img: RgbImage, factor: number, degenerate: (i: number) => number): RgbImage {
  const f = Math.fround(factor);
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const d = degenerate(i);
    const v = Math.fround(d + Math.fround(f * (img.data[i] - d)));
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return like(img, out);
}

/** `ImageEnhance.Color(img).enhance(f)`: blends with the grey (`L`) image; 0 grey, 1 unchanged. */
export function enhanceColor(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  const gray = new Uint8Array(d.length / 3);
  for (let p = 0; p < gray.length; p++) gray[p] = pilLuma(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
  return blend(img, factor, (i) => gray[(i / 3) | 0]);
}

/** `ImageEnhance.Contrast(img).enhance(f)`: blends with the mean grey level, `int(mean(L) + 0.5)`. */
export function enhanceContrast(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  let sum = 0;
  for (let i = 0; i < d.length; i += 3) sum += pilLuma(d[i], d[i + 1], d[i + 2]);
  const mean = Math.trunc(sum / (d.length / 3) + 0.5);
  return blend(img, factor, () => mean);
}

/** `ImageEnhance.Brightness(img).enhance(f)`: blends with black. */
export function enhanceBrightness(img: RgbImage, factor: number): RgbImage {
  return blend(img, factor, () => 0);
}

/**
 * `img.filter(ImageFilter.SMOOTH)`: the 3x3 kernel `[1 1 1; 1 5 1; 1 1 1] / 13`
 * in float32 with +0.5 rounding, as Pillow's `ImagingFilter3x3`; the border
 * rows and columns are copied unchanged. Images smaller than 3x3 are copied.
 */
export function smoothFilter(img: RgbImage): RgbImage {
  const { height: h, width: w, data } = img;
  const out = data.slice();
  if (h < 3 || w < 3) return like(img, out);
  const k1 = Math.fround(1 / 13);
  const k5 = Math.fround(5 / 13);
  const f = Math.fround;
  const stride = w * 3;
  for (let y = 1; y < h - 1; y++) {
    for (let i = y * stride + 3; i < (y + 1) * stride - 3; i++) {
      // Pillow sums the row below, the centre row, then the row above, each as (left + centre) + right
      const b = i + stride;
      const t = i - stride;
      let ss = f(0.5);
      ss = f(ss + f(f(f(data[b - 3] * k1) + f(data[b] * k1)) + f(data[b + 3] * k1)));
      ss = f(ss + f(f(f(data[i - 3] * k1) + f(data[i] * k5)) + f(data[i + 3] * k1)));
      ss = f(ss + f(f(f(data[t - 3] * k1) + f(data[t] * k1)) + f(data[t + 3] * k1)));
      out[i] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
    }
  }
  return like(img, out);
}

/** `ImageEnhance.Sharpness(img).enhance(f)`: blends with {@link smoothFilter}; 0 smoothed, 2 sharpened. */
export function enhanceSharpness(img: RgbImage, factor: number): RgbImage {
  const smooth = smoothFilter(img).data;
  return blend(img, factor, (i) => smooth[i]);
}

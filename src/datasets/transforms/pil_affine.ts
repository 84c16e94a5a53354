/**
 * Pillow's affine resampling (`Image.transform(size, AFFINE, …)` and
 * `Image.rotate`) on uint8 RGB images, as Pillow 9.x computes it, for timm's
 * geometric RandAugment operations (ShearX/Y, TranslateX/YRel, Rotate).
 *
 * Each output pixel centre `(x + 0.5, y + 0.5)` maps to the source point
 * `(a·x' + b·y' + c, d·x' + e·y' + f)`. A source point outside
 * `[0, W) × [0, H)` takes the fill colour; inside, the neighbours are read with
 * edge clamping:
 * - `bilinear`: 2x2 neighbourhood, result truncated to uint8;
 * - `bicubic`: 4x4 neighbourhood with Pillow's transform kernel (cubic with
 *   a = −1), clipped to [0, 255] and truncated.
 */
import { ConfigError } from '../../core/errors.js';
import type { RgbImage } from './pil_color_ops.js';

/** Resampling filters of the affine operations (Pillow's `BILINEAR`, `BICUBIC`). */
export type PilResample = 'bilinear' | 'bicubic';

/** The six coefficients `[a, b, c, d, e, f]` of an output → input affine map. */
export type AffineCoeffs = readonly [number, number, number, number, number, number];

/** An RGB fill colour (0..255 each). */
export type FillColor = readonly [number, number, number];

function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/** `img.transform(img.size, Image.AFFINE, coeffs, resample, fillcolor=fill)`. */
export function affineTransform(img: RgbImage, coeffs: AffineCoeffs, resample: PilResample, fill: FillColor): RgbImage {
  const { height: h, width: w, data } = img;
  const [a0, a1, a2, a3, a4, a5] = coeffs;
  const out = new Uint8Array(data.length);
  const cx = (x: number): number => (x < 0 ? 0 : x < w ? x : w - 1);
  const cy = (y: number): number => (y < 0 ? 0 : y < h ? y : h - 1);
  const bicubic = resample === 'bicubic';
  for (let yo = 0; yo < h; yo++) {
    for (let xo = 0; xo < w; xo++) {
      const o = (yo * w + xo) * 3;
      const xi = a0 * (xo + 0.5) + a1 * (yo + 0.5) + a2;
      const yi = a3 * (xo + 0.5) + a4 * (yo + 0.5) + a5;
      if (!(xi >= 0 && xi < w && yi >= 0 && yi < h)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      const xs = xi - 0.5;
      const ys = yi - 0.5;
      const x = Math.floor(xs);
      const y = Math.floor(ys);
      const dx = xs - x;
      const dy = ys - y;
      if (!bicubic) {
        // element offsets of the 2x2 neighbourhood, edge-clamped
        const r0 = cy(y) * w;
        const r1 = cy(y + 1) * w;
        const x0 = cx(x);
        const x1 = cx(x + 1);
        const p00 = (r0 + x0) * 3;
        const p01 = (r0 + x1) * 3;
        const p10 = (r1 + x0) * 3;
        const p11 = (r1 + x1) * 3;
        for (let c = 0; c < 3; c++) {
          const top = data[p00 + c] + (data[p01 + c] - data[p00 + c]) * dx;
          const bottom = data[p10 + c] + (data[p11 + c] - data[p10 + c]) * dx;
          out[o + c] = Math.trunc(top + (bottom - top) * dy);
        }
      } else {
        // element offsets of the 4x4 neighbourhood (x−1..x+2, y−1..y+2), edge-clamped
        const q0 = cx(x - 1) * 3;
        const q1 = cx(x) * 3;
        const q2 = cx(x + 1) * 3;
        const q3 = cx(x + 2) * 3;
        const r0 = cy(y - 1) * w * 3;
        const r1 = cy(y) * w * 3;
        const r2 = cy(y + 1) * w * 3;
        const r3 = cy(y + 2) * w * 3;
        for (let c = 0; c < 3; c++) {
          const v1 = cubic(data[r0 + q0 + c], data[r0 + q1 + c], data[r0 + q2 + c], data[r0 + q3 + c], dx);
          const v2 = cubic(data[r1 + q0 + c], data[r1 + q1 + c], data[r1 + q2 + c], data[r1 + q3 + c], dx);
          const v3 = cubic(data[r2 + q0 + c], data[r2 + q1 + c], data[r2 + q2 + c], data[r2 + q3 + c], dx);
          const v4 = cubic(data[r3 + q0 + c], data[r3 + q1 + c], data[r3 + q2 + c], data[r3 + q3 + c], dx);
          const v = cubic(v1, v2, v3, v4, dy);
          out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
        }
      }
    }
  }
  return { data: out, height: h, width: w, channels: 3 };
}

/** Python's `round(v, 15)` (the decimal nearest to `v` at 15 places, read back as a double). */
function round15(v: number): number {
  return Number(v.toFixed(15));
}

/** Rotates by a multiple of 90° exactly (Pillow's `transpose` fast paths). */
function rotateQuarter(img: RgbImage, quarter: 1 | 2 | 3): RgbImage {
  const { height: h, width: w, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // source of output (y, x): 90° counter-clockwise (square), 180°, 270° (square)
      const [sy, sx] = quarter === 1 ? [x, w - 1 - y] : quarter === 2 ? [h - 1 - y, w - 1 - x] : [h - 1 - x, y];
      const o = (y * w + x) * 3;
      const s = (sy * w + sx) * 3;
      out[o] = data[s];
      out[o + 1] = data[s + 1];
      out[o + 2] = data[s + 2];
    }
  }
  return { data: out, height: h, width: w, channels: 3 };
}

/**
 * `img.rotate(degrees, resample, fillcolor=fill)`: counter-clockwise about the
 * image centre `(W/2, H/2)`, same size, with Pillow's matrix (cos/sin rounded
 * to 15 decimals) and its exact paths for 0°, 180° and (square images) 90°/270°.
 */
export function rotate(img: RgbImage, degrees: number, resample: PilResample, fill: FillColor): RgbImage {
  let angle = degrees % 360;
  if (angle < 0) angle += 360;
  if (angle === 0) return { ...img, data: img.data.slice() };
  if (angle === 180) return rotateQuarter(img, 2);
  if ((angle === 90 || angle === 270) && img.width === img.height) return rotateQuarter(img, angle === 90 ? 1 : 3);
  const cx = img.width / 2;
  const cy = img.height / 2;
  const rad = -(angle * (Math.PI / 180));
  const m = [round15(Math.cos(rad)), round15(Math.sin(rad)), 0, round15(-Math.sin(rad)), round15(Math.cos(rad)), 0];
  const c = m[0] * -cx + m[1] * -cy + m[2] + cx;
  const f = m[3] * -cx + m[4] * -cy + m[5] + cy;
  return affineTransform(img, [m[0], m[1], c, m[3], m[4], f], resample, fill);
}

/** timm's `shear_x`: coefficients `(1, factor, 0, 0, 1, 0)`. */
export function shearX(img: RgbImage, factor: number, resample: PilResample, fill: FillColor): RgbImage {
  return affineTransform(img, [1, factor, 0, 0, 1, 0], resample, fill);
}

/** timm's `shear_y`: coefficients `(1, 0, 0, factor, 1, 0)`. */
export function shearY(img: RgbImage, factor: number, resample: PilResample, fill: FillColor): RgbImage {
  return affineTransform(img, [1, 0, 0, factor, 1, 0], resample, fill);
}

/** timm's `translate_x_rel`: shifts by `pct · W` pixels (`(1, 0, pct·W, 0, 1, 0)`). */
export function translateXRel(img: RgbImage, pct: number, resample: PilResample, fill: FillColor): RgbImage {
  return affineTransform(img, [1, 0, pct * img.width, 0, 1, 0], resample, fill);
}

/** timm's `translate_y_rel`: shifts by `pct · H` pixels (`(1, 0, 0, 0, 1, pct·H)`). */
export function translateYRel(img: RgbImage, pct: number, resample: PilResample, fill: FillColor): RgbImage {
  return affineTransform(img, [1, 0, 0, 0, 1, pct * img.height], resample, fill);
}

/** Reads a resampling name, naming `path` and the choices on a typo. */
export function parseResample(v: string, path: string): PilResample {
  if (v !== 'bilinear' && v !== 'bicubic') throw new ConfigError(`${path}: resampling must be 'bilinear' or 'bicubic', got '${v}'`);
  return v;
}

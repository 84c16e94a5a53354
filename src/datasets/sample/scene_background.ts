/**
 * Textured, cluttered backgrounds for the synthetic shapes scenes: a random
 * colour gradient, low-frequency colour waves, patches of stripes, soft
 * blotches, a few faint line segments and per-pixel noise, each with a random
 * contrast, so a model cannot find objects by looking for a flat background.
 */
import { Prng } from './prng.js';

/** A float RGB image, HWC, values nominally in `[0, 255]` (not clamped). */
export interface FloatRgbImage {
  /** Side length in pixels (the image is square). */
  size: number;
  /** `size * size * 3` channel values, row-major, RGB interleaved. */
  data: Float32Array;
}

/** A random unit-ish colour direction scaled by `amplitude`. */
function colourDelta(rng: Prng, amplitude: number): [number, number, number] {
  // Mostly luminance with a random chroma part, so contrast varies realistically.
  const lum = rng.normal();
  return [amplitude * (0.7 * lum + 0.5 * rng.normal()), amplitude * (0.7 * lum + 0.5 * rng.normal()), amplitude * (0.7 * lum + 0.5 * rng.normal())];
}

/** Adds `weight(x, y) * delta` to every pixel. */
function addField(img: FloatRgbImage, delta: readonly [number, number, number], weight: (x: number, y: number) => number): void {
  const { size, data } = img;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = weight(x + 0.5, y + 0.5);
      if (w === 0) continue;
      const o = (y * size + x) * 3;
      data[o] += w * delta[0];
      data[o + 1] += w * delta[1];
      data[o + 2] += w * delta[2];
    }
  }
}

/** Bilinear gradient between four random corner colours. */
function fillGradient(rng: Prng, img: FloatRgbImage): void {
  const { size, data } = img;
  const base = [rng.uniform(40, 215), rng.uniform(40, 215), rng.uniform(40, 215)];
  const corners = [0, 1, 2, 3].map(() => base.map((b) => b + rng.normal() * rng.uniform(10, 50)));
  for (let y = 0; y < size; y++) {
    const v = (y + 0.5) / size;
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = (1 - u) * corners[0]![c]! + u * corners[1]![c]!;
        const bottom = (1 - u) * corners[2]![c]! + u * corners[3]![c]!;
        data[o + c] = (1 - v) * top + v * bottom;
      }
    }
  }
}

/** One or two smooth low-frequency colour waves across the whole image. */
function addWaves(rng: Prng, img: FloatRgbImage): void {
  const count = rng.int(1, 2);
  for (let i = 0; i < count; i++) {
    const angle = rng.uniform(0, Math.PI);
    const freq = (rng.uniform(0.3, 1.6) * 2 * Math.PI) / img.size;
    const phase = rng.uniform(0, 2 * Math.PI);
    const cx = Math.cos(angle);
    const cy = Math.sin(angle);
    addField(img, colourDelta(rng, rng.uniform(5, 25)), (x, y) => Math.sin(freq * (x * cx + y * cy) + phase));
  }
}

/** A soft region in which a texture is visible: whole image, half-plane or band. */
function softRegion(rng: Prng, size: number): (x: number, y: number) => number {
  const kind = rng.int(0, 2);
  if (kind === 0) return () => 1;
  const angle = rng.uniform(0, 2 * Math.PI);
  const nx = Math.cos(angle);
  const ny = Math.sin(angle);
  const offset = rng.uniform(0.25, 0.75) * size;
  const soft = rng.uniform(1, 6);
  const mid = size / 2;
  if (kind === 1) {
    return (x, y) => 1 / (1 + Math.exp(-((x - mid) * nx + (y - mid) * ny + mid - offset) / soft));
  }
  const halfWidth = rng.uniform(0.1, 0.3) * size;
  return (x, y) => {
    const d = Math.abs((x - mid) * nx + (y - mid) * ny + mid - offset);
    return 1 / (1 + Math.exp((d - halfWidth) / soft));
  };
}

/** Zero to two patches of stripes with random period, orientation, sharpness and contrast. */
function addStripes(rng: Prng, img: FloatRgbImage): void {
  const count = rng.pick([0, 1, 1, 2]);
  for (let i = 0; i < count; i++) {
    const angle = rng.uniform(0, Math.PI);
    const period = rng.uniform(3, 14);
    const phase = rng.uniform(0, 2 * Math.PI);
    const sharp = rng.uniform(0.5, 4);
    const norm = Math.tanh(sharp);
    const region = softRegion(rng, img.size);
    const cx = Math.cos(angle);
    const cy = Math.sin(angle);
    const k = (2 * Math.PI) / period;
    addField(img, colourDelta(rng, rng.uniform(3, 30)), (x, y) => {
      const r = region(x, y);
      return r < 1e-3 ? 0 : (r * Math.tanh(sharp * Math.sin(k * (x * cx + y * cy) + phase))) / norm;
    });
  }
}

/** A few soft, possibly elongated Gaussian blotches of random colour. */
function addBlotches(rng: Prng, img: FloatRgbImage): void {
  const count = rng.int(2, 7);
  const size = img.size;
  for (let i = 0; i < count; i++) {
    const mx = rng.uniform(0, size);
    const my = rng.uniform(0, size);
    const sx = rng.uniform(0.04, 0.22) * size;
    const sy = sx * rng.uniform(0.5, 2);
    const angle = rng.uniform(0, Math.PI);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    addField(img, colourDelta(rng, rng.uniform(10, 45)), (x, y) => {
      const dx = x - mx;
      const dy = y - my;
      const u = (dx * c + dy * s) / sx;
      const v = (-dx * s + dy * c) / sy;
      const q = u * u + v * v;
      return q > 16 ? 0 : Math.exp(-0.5 * q);
    });
  }
}

/** Zero to three faint straight line segments (unlabelled clutter). */
function addLines(rng: Prng, img: FloatRgbImage): void {
  const count = rng.int(0, 3);
  const size = img.size;
  for (let i = 0; i < count; i++) {
    const x0 = rng.uniform(0, size);
    const y0 = rng.uniform(0, size);
    const angle = rng.uniform(0, Math.PI);
    const length = rng.uniform(0.2, 0.8) * size;
    const halfWidth = rng.uniform(0.4, 1.2);
    const dx = Math.cos(angle);
    const dy = Math.sin(angle);
    addField(img, colourDelta(rng, rng.uniform(8, 35)), (x, y) => {
      const t = (x - x0) * dx + (y - y0) * dy;
      if (t < 0 || t > length) return 0;
      const d = Math.abs(-(x - x0) * dy + (y - y0) * dx);
      return d > halfWidth + 1 ? 0 : Math.min(1, halfWidth + 1 - d);
    });
  }
}

/** Adds i.i.d. Gaussian noise with standard deviation `sigma` to every channel. */
export function addPixelNoise(rng: Prng, img: FloatRgbImage, sigma: number): void {
  const { data } = img;
  for (let i = 0; i < data.length; i++) data[i] += sigma * rng.normal();
}

/**
 * Renders a `size`×`size` textured background from `rng`: gradient, waves,
 * stripe patches, blotches, faint lines and per-pixel noise (σ uniform in
 * [3, 12]). Values are left unclamped for later compositing.
 */
export function renderBackground(rng: Prng, size: number): FloatRgbImage {
  const img: FloatRgbImage = { size, data: new Float32Array(size * size * 3) };
  fillGradient(rng, img);
  addWaves(rng, img);
  addStripes(rng, img);
  addBlotches(rng, img);
  addLines(rng, img);
  addPixelNoise(rng, img, rng.uniform(3, 12));
  return img;
}

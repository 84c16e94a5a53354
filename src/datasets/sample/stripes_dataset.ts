/**
 * A synthetic ImageFolder classification set whose three classes differ in
 * structure only: horizontal stripes, vertical stripes and concentric rings.
 * Every image uses two random colours, a random period, phase and edge
 * sharpness, a slight random rotation, a faint illumination gradient and
 * additive noise, so neither colour nor exact frequency reveals the class.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { encodeJpeg, encodeRgbPng } from './image_io.js';
import { deriveSeed, Prng } from './prng.js';

/** Class names of the stripes set, in folder (and label index) order. */
export const STRIPE_CLASSES = ['horizontal', 'vertical', 'rings'] as const;

/** One class of the stripes set. */
export type StripeClass = (typeof STRIPE_CLASSES)[number];

/** Options of {@link renderStripesImage}. */
export interface StripesImageOptions {
  /** Side length of the square image. Default `64`. */
  size?: number;
  /** Seed of the image. Default `0`. */
  seed?: number;
}

/** Options of {@link writeStripesImageFolder}. */
export interface StripesImageFolderOptions {
  /** Training images per class. Default `60`. */
  numTrainPerClass?: number;
  /** Validation images per class. Default `30`. */
  numValPerClass?: number;
  /** Side length of the square images. Default `64`. */
  size?: number;
  /** Dataset seed. Default `0`. */
  seed?: number;
}

/** What {@link writeStripesImageFolder} wrote. */
export interface StripesImageFolderSummary {
  /** Dataset root (absolute). */
  root: string;
  /** Class folder names. */
  classes: StripeClass[];
  /** `<root>/train`. */
  trainDir: string;
  /** `<root>/val`. */
  valDir: string;
  /** Images per class in `train`. */
  numTrainPerClass: number;
  /** Images per class in `val`. */
  numValPerClass: number;
  /** Number of PNG files written (even indices). */
  numPng: number;
  /** Number of JPEG files written (odd indices). */
  numJpeg: number;
}

/** Minimum RGB distance between the two colours of an image. */
const MIN_COLOUR_DISTANCE = 110;

/** Two random colours at least {@link MIN_COLOUR_DISTANCE} apart (best of 50 draws). */
function colourPair(rng: Prng): [number[], number[]] {
  const a = rng.color();
  let b = rng.color();
  let best = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  for (let i = 0; i < 50 && best < MIN_COLOUR_DISTANCE; i++) {
    const c = rng.color();
    const d = Math.hypot(a[0] - c[0], a[1] - c[1], a[2] - c[2]);
    if (d > best) {
      b = c;
      best = d;
    }
  }
  return [a, b];
}

/**
 * Renders one `size`×`size` RGB image (HWC bytes) of class `cls`: stripes
 * of period `size/10`–`size/4` rotated by up to ±10°, or rings around a
 * centre in the middle 40% of the image (slightly elliptical, random
 * rotation), blended between two random colours, plus noise (σ 3–10).
 */
export function renderStripesImage(cls: StripeClass, options: StripesImageOptions = {}): Uint8Array {
  const size = options.size ?? 64;
  const rng = new Prng(options.seed ?? 0);
  const [c1, c2] = colourPair(rng);
  const period = rng.uniform(size / 10, size / 4);
  const phase = rng.uniform(0, 2 * Math.PI);
  const sharp = rng.uniform(0.8, 3);
  const norm = Math.tanh(sharp);
  const tilt = (rng.uniform(-10, 10) * Math.PI) / 180;
  const cx = cls === 'rings' ? rng.uniform(0.3, 0.7) * size : size / 2;
  const cy = cls === 'rings' ? rng.uniform(0.3, 0.7) * size : size / 2;
  const ringAngle = rng.uniform(0, Math.PI);
  const ringAspect = rng.uniform(0.85, 1.15);
  const lightAngle = rng.uniform(0, 2 * Math.PI);
  const light = rng.uniform(0, 20) / size;
  const sigma = rng.uniform(3, 10);
  const cos = Math.cos(cls === 'rings' ? ringAngle : tilt);
  const sin = Math.sin(cls === 'rings' ? ringAngle : tilt);
  const k = (2 * Math.PI) / period;

  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      let u: number;
      if (cls === 'horizontal') u = -dx * sin + dy * cos;
      else if (cls === 'vertical') u = dx * cos + dy * sin;
      else u = Math.hypot((dx * cos + dy * sin) * ringAspect, -dx * sin + dy * cos);
      const t = 0.5 + (0.5 * Math.tanh(sharp * Math.sin(k * u + phase))) / norm;
      const shade = light * (dx * Math.cos(lightAngle) + dy * Math.sin(lightAngle));
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = Math.round((1 - t) * c1[c]! + t * c2[c]! + shade + sigma * rng.normal());
        out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}

/**
 * Writes the stripes ImageFolder set: `<root>/{train,val}/<class>/<class>_NNNN.{png,jpg}`
 * for the classes {@link STRIPE_CLASSES}; even indices are PNG, odd ones JPEG
 * (quality 90). Image `i` of class `c` in split `s` uses seed
 * `deriveSeed(seed, 'stripes', s, c, i)`. Deterministic; files are overwritten.
 */
export async function writeStripesImageFolder(root: string, options: StripesImageFolderOptions = {}): Promise<StripesImageFolderSummary> {
  const numTrainPerClass = options.numTrainPerClass ?? 60;
  const numValPerClass = options.numValPerClass ?? 30;
  const size = options.size ?? 64;
  const seed = options.seed ?? 0;
  for (const [k, v] of [
    ['numTrainPerClass', numTrainPerClass],
    ['numValPerClass', numValPerClass],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`writeStripesImageFolder: ${k} must be a non-negative integer, got ${v}`);
  }
  const absRoot = path.resolve(root);
  let numPng = 0;
  let numJpeg = 0;
  for (const [split, count] of [
    ['train', numTrainPerClass],
    ['val', numValPerClass],
  ] as const) {
    for (const cls of STRIPE_CLASSES) {
      const dir = path.join(absRoot, split, cls);
      await fsp.mkdir(dir, { recursive: true });
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const rgb = renderStripesImage(cls, { size, seed: deriveSeed(seed, 'stripes', split, cls, i) });
          const png = i % 2 === 0;
          const bytes = png ? await encodeRgbPng(rgb, size, size) : await encodeJpeg(rgb, size, size, 90);
          await fsp.writeFile(path.join(dir, `${cls}_${String(i).padStart(4, '0')}.${png ? 'png' : 'jpg'}`), bytes);
          if (png) numPng++;
          else numJpeg++;
        }),
      );
    }
  }
  return {
    root: absRoot,
    classes: [...STRIPE_CLASSES],
    trainDir: path.join(absRoot, 'train'),
    valDir: path.join(absRoot, 'val'),
    numTrainPerClass,
    numValPerClass,
    numPng,
    numJpeg,
  };
}

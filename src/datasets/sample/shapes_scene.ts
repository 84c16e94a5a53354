/**
 * Renders one synthetic "shapes" scene: a textured background with one to
 * three non-overlapping, non-touching filled shapes (rectangle = 1,
 * ellipse = 2, triangle = 3) of random colour — or, with `overlap`, two to
 * five shapes of 1/6 to 1/2 of the image that occlude each other — together
 * with its semantic label map and per-object COCO-style annotations.
 */
import { Prng } from './prng.js';
import { renderBackground, type FloatRgbImage } from './scene_background.js';
import { rasterizeShape, sampleShape, type ShapeGeometry, type ShapeLabel, type ShapeMask } from './shape_geometry.js';

export { SHAPE_CLASS_NAMES, type ShapeLabel } from './shape_geometry.js';

/** Options of {@link renderShapesScene}. */
export interface ShapesSceneOptions {
  /** Side length of the square image in pixels. Default `96`. */
  size?: number;
  /** Seed of the scene; the same seed gives the same scene. Default `0`. */
  seed?: number;
  /** Minimum number of shapes. Default `1`. */
  minObjects?: number;
  /** Maximum number of shapes (fewer if they cannot be placed). Default `3`. */
  maxObjects?: number;
  /** Smallest shape extent in pixels. Default `round(size / 5)` (19 at 96). */
  minShapeSize?: number;
  /** Largest shape extent in pixels. Default `round(size * 0.52)` (50 at 96). */
  maxShapeSize?: number;
  /** Minimum number of background pixels between two shapes. Default `2`. */
  margin?: number;
  /**
   * Draw each shape's colour from its class's hue sector (rectangles reddish,
   * ellipses greenish, triangles bluish) instead of any colour contrasting with
   * the background. Default `true`: with 120 training scenes, shape alone is not
   * learnable in minutes on a CPU (see the README); `false` gives the shape-only set.
   */
  classColours?: boolean;
  /**
   * Let shapes overlap: later shapes occlude earlier ones, and every object keeps at
   * least {@link MIN_VISIBLE} of its pixels visible. Changes the defaults to 2–5
   * objects of `round(size / 6)` to `round(size / 2)` pixels, margin 0. Default `false`.
   */
  overlap?: boolean;
}

/** Smallest visible share of an object's own pixels in an `overlap` scene. */
export const MIN_VISIBLE = 0.4;

/** One object of a scene, in COCO conventions. */
export interface SceneObject {
  /** Class index (1 rectangle, 2 ellipse, 3 triangle). */
  label: ShapeLabel;
  /** Tight box of its pixels `[x, y, w, h]`: top-left pixel and pixel counts. */
  bbox: [number, number, number, number];
  /** Number of pixels of the object in the label map. */
  area: number;
  /** Outline, flat `[x0, y0, x1, y1, ...]` in continuous pixel coordinates (of the whole shape, occluded parts included). */
  polygon: number[];
  /** Whether a later shape hides part of it (only in `overlap` scenes); then `instanceMap` holds its visible pixels. */
  occluded: boolean;
}

/** A rendered scene. */
export interface ShapesScene {
  /** Image width in pixels (equals `height`). */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** RGB pixels, HWC, `height * width * 3` bytes. */
  rgb: Uint8Array;
  /** Semantic labels, HW: 0 background, else the object's class. */
  labelMap: Uint8Array;
  /** Instance ids, HW: 0 background, `i + 1` for `objects[i]`. */
  instanceMap: Uint8Array;
  /** The objects, in drawing order. */
  objects: SceneObject[];
}

const SHAPE_ATTEMPTS = 80;
const COLOUR_ATTEMPTS = 40;
const MIN_COLOUR_DISTANCE = 90;

/** Mean background colour under a mask. */
function meanColour(bg: FloatRgbImage, pixels: readonly number[]): [number, number, number] {
  const m: [number, number, number] = [0, 0, 0];
  for (const p of pixels) {
    m[0] += bg.data[3 * p]!;
    m[1] += bg.data[3 * p + 1]!;
    m[2] += bg.data[3 * p + 2]!;
  }
  return [m[0] / pixels.length, m[1] / pixels.length, m[2] / pixels.length];
}

/** A random colour (independent of the class) clearly distinct from `against`. */
function contrastingColour(rng: Prng, against: readonly number[]): [number, number, number] {
  let best = rng.color();
  let bestDist = -1;
  for (let i = 0; i < COLOUR_ATTEMPTS; i++) {
    const c = i === 0 ? best : rng.color();
    const d = Math.hypot(c[0] - against[0]!, c[1] - against[1]!, c[2] - against[2]!);
    if (d > bestDist) {
      best = c;
      bestDist = d;
    }
    if (d >= MIN_COLOUR_DISTANCE) break;
  }
  return best;
}

/**
 * A colour from the class's own hue sector (rectangle red 0°, ellipse green
 * 120°, triangle blue 240°, each ±{@link CLASS_HUE_SPREAD}°), saturation 0.6–1,
 * value 150–255. RGB in 0..255.
 */
function classColour(rng: Prng, label: ShapeLabel): [number, number, number] {
  const hue = ((label - 1) * 120 + rng.uniform(-CLASS_HUE_SPREAD, CLASS_HUE_SPREAD) + 360) % 360;
  const sat = rng.uniform(0.6, 1);
  const val = rng.uniform(150, 255);
  // HSV → RGB: channel n ∈ {5 (R), 3 (G), 1 (B)}.
  const channel = (n: number): number => {
    const k = (n + hue / 60) % 6;
    return val - val * sat * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [channel(5), channel(3), channel(1)];
}

/** Half-width of each class's hue sector in degrees. */
const CLASS_HUE_SPREAD = 35;

/** Whether any pixel of `mask` is blocked. */
function collides(mask: ShapeMask, blocked: Uint8Array): boolean {
  for (const p of mask.pixels) if (blocked[p]) return true;
  return false;
}

/** Marks the pixels of `mask` dilated by `margin` (Chebyshev) as blocked. */
function block(mask: ShapeMask, blocked: Uint8Array, size: number, margin: number): void {
  for (const p of mask.pixels) {
    const x = p % size;
    const y = (p - x) / size;
    for (let yy = Math.max(0, y - margin); yy <= Math.min(size - 1, y + margin); yy++) {
      for (let xx = Math.max(0, x - margin); xx <= Math.min(size - 1, x + margin); xx++) {
        blocked[yy * size + xx] = 1;
      }
    }
  }
}

/** Whether drawing `mask` on top would leave an earlier object less than {@link MIN_VISIBLE} of its pixels. */
function hidesTooMuch(mask: ShapeMask, instanceMap: Uint8Array, ownPixels: readonly number[]): boolean {
  const hidden = new Map<number, number>();
  for (const p of mask.pixels) {
    const id = instanceMap[p];
    if (id !== 0) hidden.set(id, (hidden.get(id) ?? 0) + 1);
  }
  if (hidden.size === 0) return false;
  const visible = new Array<number>(ownPixels.length).fill(0);
  for (const id of instanceMap) if (id !== 0) visible[id - 1]++;
  for (const [id, n] of hidden) if (visible[id - 1] - n < MIN_VISIBLE * ownPixels[id - 1]) return true;
  return false;
}

/** Sets each object's `bbox` and `area` to its visible pixels in `instanceMap`. */
function visibleBoxes(objects: SceneObject[], instanceMap: Uint8Array, size: number): void {
  const box = objects.map(() => [size, size, -1, -1, 0]);
  for (let p = 0; p < instanceMap.length; p++) {
    const id = instanceMap[p];
    if (id === 0) continue;
    const b = box[id - 1];
    const x = p % size;
    const y = (p - x) / size;
    b[0] = Math.min(b[0], x);
    b[1] = Math.min(b[1], y);
    b[2] = Math.max(b[2], x);
    b[3] = Math.max(b[3], y);
    b[4]++;
  }
  objects.forEach((o, i) => {
    const [x0, y0, x1, y1, n] = box[i];
    o.bbox = [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
    o.area = n;
  });
}

/**
 * Paints `shape` onto `img` with anti-aliased edges (4×4 supersampled
 * coverage), a random linear shading and per-pixel noise.
 */
function paintShape(rng: Prng, img: FloatRgbImage, shape: ShapeGeometry, colour: readonly number[]): void {
  const { size, data } = img;
  const [ex0, ey0, ex1, ey1] = shape.extent;
  const cx = (ex0 + ex1) / 2;
  const cy = (ey0 + ey1) / 2;
  const span = Math.max(ex1 - ex0, ey1 - ey0, 1);
  const angle = rng.uniform(0, 2 * Math.PI);
  const gx = Math.cos(angle) / span;
  const gy = Math.sin(angle) / span;
  const shade = rng.uniform(0, 50);
  const tint = [rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3)];
  const sigma = rng.uniform(2, 9);
  const xa = Math.max(0, Math.floor(ex0) - 1);
  const ya = Math.max(0, Math.floor(ey0) - 1);
  const xb = Math.min(size - 1, Math.ceil(ex1) + 1);
  const yb = Math.min(size - 1, Math.ceil(ey1) + 1);
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      let inside = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          if (shape.contains(x + 0.125 + 0.25 * sx, y + 0.125 + 0.25 * sy)) inside++;
        }
      }
      if (inside === 0) continue;
      const cov = inside / 16;
      const s = shade * ((x + 0.5 - cx) * gx + (y + 0.5 - cy) * gy);
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = colour[c]! + s * tint[c]! + sigma * rng.normal();
        data[o + c] = (1 - cov) * data[o + c]! + cov * v;
      }
    }
  }
}

/** Converts to bytes with rounding and clamping. */
function toBytes(img: FloatRgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(img.data[i]!);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/**
 * Renders one scene (see {@link ShapesSceneOptions} for defaults). Shapes are
 * placed by rejection sampling on their masks dilated by `margin`, so they
 * neither overlap nor touch; each object's `bbox` and `area` are computed
 * from exactly the pixels carrying its class in `labelMap`. With `overlap`,
 * a placement is rejected only when it would leave an earlier object less
 * than {@link MIN_VISIBLE} visible, and `bbox`/`area` are those of the
 * object's visible pixels (`instanceMap`).
 */
export function renderShapesScene(options: ShapesSceneOptions = {}): ShapesScene {
  const size = options.size ?? 96;
  const overlap = options.overlap ?? false;
  const minObjects = options.minObjects ?? (overlap ? 2 : 1);
  const maxObjects = options.maxObjects ?? (overlap ? 5 : 3);
  const minSize = options.minShapeSize ?? Math.max(4, Math.round(size / (overlap ? 6 : 5)));
  const maxSize = options.maxShapeSize ?? Math.max(minSize, Math.round(size * (overlap ? 0.5 : 0.52)));
  const margin = options.margin ?? (overlap ? 0 : 2);
  const classColours = options.classColours ?? true;
  if (!Number.isInteger(size) || size < 16) throw new Error(`renderShapesScene: size must be an integer >= 16, got ${size}`);
  if (minObjects < 1 || maxObjects < minObjects) {
    throw new Error(`renderShapesScene: need 1 <= minObjects <= maxObjects, got ${minObjects}..${maxObjects}`);
  }

  const rng = new Prng(options.seed ?? 0);
  const img = renderBackground(rng, size);
  const labelMap = new Uint8Array(size * size);
  const instanceMap = new Uint8Array(size * size);
  const blocked = new Uint8Array(size * size);
  const objects: SceneObject[] = [];
  /** Own pixel count of each object (overlap scenes). */
  const ownPixels: number[] = [];
  const wanted = rng.int(minObjects, maxObjects);

  for (let k = 0; k < wanted; k++) {
    const label = rng.int(1, 3) as ShapeLabel;
    for (let attempt = 0; attempt < SHAPE_ATTEMPTS; attempt++) {
      // Shrink the upper size bound as attempts fail, so crowded scenes still fit.
      const hi = maxSize - ((maxSize - minSize) * attempt) / SHAPE_ATTEMPTS;
      const shape = sampleShape(rng, label, size, minSize, hi);
      if (!shape) continue;
      const mask = rasterizeShape(shape, size);
      if (!mask || mask.pixels.length < 0.3 * minSize * minSize) continue;
      if (overlap ? hidesTooMuch(mask, instanceMap, ownPixels) : collides(mask, blocked)) continue;
      if (!overlap) block(mask, blocked, size, margin);
      const id = objects.length + 1;
      for (const p of mask.pixels) {
        const under = instanceMap[p];
        if (under !== 0) objects[under - 1].occluded = true;
        labelMap[p] = label;
        instanceMap[p] = id;
      }
      ownPixels.push(mask.pixels.length);
      const colour = classColours ? classColour(rng, label) : contrastingColour(rng, meanColour(img, mask.pixels));
      paintShape(rng, img, shape, colour);
      objects.push({ label, bbox: mask.bbox, area: mask.pixels.length, polygon: shape.polygon, occluded: false });
      break;
    }
  }
  if (overlap) visibleBoxes(objects, instanceMap, size);
  if (objects.length < minObjects) {
    throw new Error(`renderShapesScene: could not place ${minObjects} shape(s) in a ${size}px image (seed ${options.seed ?? 0})`);
  }
  return { width: size, height: size, rgb: toBytes(img), labelMap, instanceMap, objects };
}

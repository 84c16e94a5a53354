/**
 * Random geometry of the three shape classes of the synthetic shapes dataset
 * (rectangle, ellipse, triangle) and their rasterisation to pixel masks.
 *
 * Coordinates are continuous image coordinates, pixel `(i, j)` covering
 * `[i, i + 1) × [j, j + 1)`; a pixel belongs to a shape when its centre
 * `(i + 0.5, j + 0.5)` is inside it, as COCO polygons are rasterised.
 */
import { Prng } from './prng.js';

/** Class index of a shape: 1 rectangle, 2 ellipse, 3 triangle (0 is background). */
export type ShapeLabel = 1 | 2 | 3;

/** Class names indexed by label map value. */
export const SHAPE_CLASS_NAMES = ['background', 'rectangle', 'ellipse', 'triangle'] as const;

/** A sampled shape: its class, outline and point-membership test. */
export interface ShapeGeometry {
  /** Class index. */
  label: ShapeLabel;
  /** Outline as a flat `[x0, y0, x1, y1, ...]` list (rectangle 4, ellipse 16, triangle 3 points). */
  polygon: number[];
  /** Whether the continuous point `(x, y)` lies inside the shape. */
  contains(x: number, y: number): boolean;
  /** Continuous bounding box `[x0, y0, x1, y1]` of the outline. */
  extent: [number, number, number, number];
}

/** A rasterised shape mask restricted to its bounding box. */
export interface ShapeMask {
  /** Flat pixel indices `y * size + x` of the pixels inside the shape. */
  pixels: number[];
  /** Tight pixel box `[x, y, w, h]` (COCO convention). */
  bbox: [number, number, number, number];
}

/** Rounds to 2 decimals, keeping JSON compact. */
function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** A side length in `[minSize, maxSize]` with the other side keeping aspect ≤ `maxAspect`. */
function sides(rng: Prng, minSize: number, maxSize: number, maxAspect: number): [number, number] {
  const a = rng.uniform(minSize, maxSize);
  const lo = Math.max(minSize, a / maxAspect);
  const hi = Math.min(maxSize, a * maxAspect);
  const b = rng.uniform(lo, hi);
  return rng.chance(0.5) ? [a, b] : [b, a];
}

/** A position so that an object of extent `w`×`h` fits with a 1 px border. */
function place(rng: Prng, size: number, w: number, h: number): [number, number] | null {
  if (w > size - 2 || h > size - 2) return null;
  return [rng.uniform(1, size - 1 - w), rng.uniform(1, size - 1 - h)];
}

/** An axis-aligned rectangle with integer corners (so polygon area equals pixel area). */
function sampleRectangle(rng: Prng, size: number, minSize: number, maxSize: number): ShapeGeometry | null {
  const [fw, fh] = sides(rng, minSize, maxSize, 1.6);
  const w = Math.round(fw);
  const h = Math.round(fh);
  const pos = place(rng, size, w, h);
  if (!pos) return null;
  const x0 = Math.floor(pos[0]);
  const y0 = Math.floor(pos[1]);
  const x1 = x0 + w;
  const y1 = y0 + h;
  return {
    label: 1,
    polygon: [x0, y0, x1, y0, x1, y1, x0, y1],
    contains: (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1,
    extent: [x0, y0, x1, y1],
  };
}

/** An ellipse with random diameters (aspect ≤ 1.5) and rotation. */
function sampleEllipse(rng: Prng, size: number, minSize: number, maxSize: number): ShapeGeometry | null {
  const [dx, dy] = sides(rng, minSize, maxSize, 1.25);
  const a = dx / 2;
  const b = dy / 2;
  const theta = rng.uniform(0, Math.PI);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const hw = Math.sqrt(a * a * c * c + b * b * s * s);
  const hh = Math.sqrt(a * a * s * s + b * b * c * c);
  const pos = place(rng, size, 2 * hw, 2 * hh);
  if (!pos) return null;
  const cx = pos[0] + hw;
  const cy = pos[1] + hh;
  const polygon: number[] = [];
  for (let k = 0; k < 16; k++) {
    const t = (2 * Math.PI * k) / 16;
    const u = a * Math.cos(t);
    const v = b * Math.sin(t);
    polygon.push(r2(cx + u * c - v * s), r2(cy + u * s + v * c));
  }
  return {
    label: 2,
    polygon,
    contains: (x, y) => {
      const px = x - cx;
      const py = y - cy;
      const u = (px * c + py * s) / a;
      const v = (-px * s + py * c) / b;
      return u * u + v * v <= 1;
    },
    extent: [cx - hw, cy - hh, cx + hw, cy + hh],
  };
}

/** Smallest interior angle (radians) of triangle `p`. */
function minAngle(p: readonly number[]): number {
  let best = Math.PI;
  for (let i = 0; i < 3; i++) {
    const ax = p[2 * i]!;
    const ay = p[2 * i + 1]!;
    const bx = p[(2 * i + 2) % 6]! - ax;
    const by = p[(2 * i + 3) % 6]! - ay;
    const cx = p[(2 * i + 4) % 6]! - ax;
    const cy = p[(2 * i + 5) % 6]! - ay;
    const cos = (bx * cx + by * cy) / (Math.hypot(bx, by) * Math.hypot(cx, cy));
    best = Math.min(best, Math.acos(Math.max(-1, Math.min(1, cos))));
  }
  return best;
}

/** A triangle with random base, height (aspect ≤ 1.4), apex offset and rotation (angles ≥ 40°). */
function sampleTriangle(rng: Prng, size: number, minSize: number, maxSize: number): ShapeGeometry | null {
  const [base, height] = sides(rng, minSize, maxSize, 1.4);
  const apex = rng.uniform(0.3, 0.7) * base;
  const local = [0, 0, base, 0, apex, -height];
  if (minAngle(local) < (50 * Math.PI) / 180) return null;
  const theta = rng.uniform(0, 2 * Math.PI);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const gx = (base + apex) / 3;
  const gy = -height / 3;
  const rot: number[] = [];
  for (let i = 0; i < 3; i++) {
    const u = local[2 * i]! - gx;
    const v = local[2 * i + 1]! - gy;
    rot.push(u * c - v * s, u * s + v * c);
  }
  const xs = [rot[0]!, rot[2]!, rot[4]!];
  const ys = [rot[1]!, rot[3]!, rot[5]!];
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const w = Math.max(...xs) - minX;
  const h = Math.max(...ys) - minY;
  if (Math.max(w, h) > maxSize * 1.15) return null;
  const pos = place(rng, size, w, h);
  if (!pos) return null;
  const polygon = rot.map((v, i) => r2(v + (i % 2 === 0 ? pos[0] - minX : pos[1] - minY)));
  const [x0, y0, x1, y1, x2, y2] = polygon as [number, number, number, number, number, number];
  const edge = (ax: number, ay: number, bx: number, by: number, x: number, y: number): number => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  const orient = Math.sign(edge(x0, y0, x1, y1, x2, y2));
  return {
    label: 3,
    polygon,
    contains: (x, y) => orient * edge(x0, y0, x1, y1, x, y) >= 0 && orient * edge(x1, y1, x2, y2, x, y) >= 0 && orient * edge(x2, y2, x0, y0, x, y) >= 0,
    extent: [Math.min(x0, x1, x2), Math.min(y0, y1, y2), Math.max(x0, x1, x2), Math.max(y0, y1, y2)],
  };
}

/**
 * Samples a shape of class `label` whose extent is roughly `minSize`–`maxSize`
 * pixels and which lies inside a `size`×`size` image with a 1 px border.
 * Returns `null` when the draw is rejected (caller retries).
 */
export function sampleShape(rng: Prng, label: ShapeLabel, size: number, minSize: number, maxSize: number): ShapeGeometry | null {
  switch (label) {
    case 1:
      return sampleRectangle(rng, size, minSize, maxSize);
    case 2:
      return sampleEllipse(rng, size, minSize, maxSize);
    case 3:
      return sampleTriangle(rng, size, minSize, maxSize);
  }
}

/** Whether `pixels` (all inside `bbox` of a `size`-wide image) form one 8-connected piece. */
function isConnected(pixels: readonly number[], bbox: readonly [number, number, number, number], size: number): boolean {
  const [bx, by, bw, bh] = bbox;
  // Local grid over the box: 1 = in mask, 2 = reached.
  const grid = new Uint8Array(bw * bh);
  for (const p of pixels) grid[(Math.floor(p / size) - by) * bw + (p % size) - bx] = 1;
  const first = (Math.floor(pixels[0]! / size) - by) * bw + (pixels[0]! % size) - bx;
  grid[first] = 2;
  const stack = [first];
  let reached = 1;
  while (stack.length > 0) {
    const q = stack.pop()!;
    const x = q % bw;
    const y = (q - x) / bw;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(bh - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(bw - 1, x + 1); nx++) {
        const r = ny * bw + nx;
        if (grid[r] !== 1) continue;
        grid[r] = 2;
        reached++;
        stack.push(r);
      }
    }
  }
  return reached === pixels.length;
}

/**
 * Rasterises `shape` (pixel-centre rule) in a `size`×`size` image. Returns
 * `null` if the mask is empty or not a single 8-connected piece (thin tips can
 * break apart), so every object is one clean connected region.
 */
export function rasterizeShape(shape: ShapeGeometry, size: number): ShapeMask | null {
  const [ex0, ey0, ex1, ey1] = shape.extent;
  const xa = Math.max(0, Math.floor(ex0));
  const ya = Math.max(0, Math.floor(ey0));
  const xb = Math.min(size - 1, Math.ceil(ex1));
  const yb = Math.min(size - 1, Math.ceil(ey1));
  const pixels: number[] = [];
  let minX = size;
  let minY = size;
  let maxX = -1;
  let maxY = -1;
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      if (!shape.contains(x + 0.5, y + 0.5)) continue;
      pixels.push(y * size + x);
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (pixels.length === 0) return null;
  const bbox: [number, number, number, number] = [minX, minY, maxX - minX + 1, maxY - minY + 1];
  return isConnected(pixels, bbox, size) ? { pixels, bbox } : null;
}

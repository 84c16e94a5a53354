/**
 * Polygon and box rasterisation into COCO RLE, pixel-identical to pycocotools
 * `rleFrPoly` / `rleFrBbox`: the outline is traced on a 5× finer grid, the crossings
 * of pixel-centre columns are kept, and the runs between them are filled.
 */
import type { Rle } from './rle.js';

const UPSAMPLE = 5;

/** C's `(int)` cast: truncation toward zero. */
const toInt = (v: number): number => Math.trunc(v);

/** Rasterises one polygon `[x0, y0, x1, y1, ...]` (pixel coordinates, ≥ 3 points) into an `h × w` RLE. */
export function rleFromPolygon(xy: ArrayLike<number>, h: number, w: number): Rle {
  const k = Math.floor(xy.length / 2);
  const px: number[] = new Array(k + 1);
  const py: number[] = new Array(k + 1);
  for (let j = 0; j < k; j++) {
    px[j] = toInt(UPSAMPLE * xy[2 * j] + 0.5);
    py[j] = toInt(UPSAMPLE * xy[2 * j + 1] + 0.5);
  }
  px[k] = px[0];
  py[k] = py[0];
  // Dense outline points on the fine grid, one per step along the major axis of each edge.
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = px[j];
    let xe = px[j + 1];
    let ys = py[j];
    let ye = py[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      if (dx === 0) {
        // A repeated vertex: pycocotools divides 0 by 0 here and the C cast of NaN
        // yields INT_MIN on x86, which later clamps the crossing row to 0. Reproduce it.
        u.push(xs);
        v.push(-2147483648);
        continue;
      }
      const s = (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(toInt(ys + s * t + 0.5));
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(toInt(xs + s * t + 0.5));
      }
    }
  }
  // Where the outline crosses a pixel-centre column, record the first pixel row below it.
  const bx: number[] = [];
  const by: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / UPSAMPLE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / UPSAMPLE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bx.push(toInt(xd));
    by.push(toInt(yd));
  }
  // Sorted column-major crossing positions; the gaps between them are the runs.
  const a: number[] = bx.map((x, j) => x * h + by[j]);
  a.push(h * w);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= prev;
    prev = t;
  }
  // Two crossings at one position cancel: merge the runs around a zero-length gap.
  const counts: number[] = [];
  let j = 0;
  counts.push(a[j++]);
  while (j < a.length) {
    if (a[j] > 0) counts.push(a[j++]);
    else {
      j++;
      if (j < a.length) counts[counts.length - 1] += a[j++];
    }
  }
  return { h, w, counts };
}

/** Rasterises a box `[x, y, w, h]` as its 4-corner polygon (pycocotools `rleFrBbox`). */
export function rleFromBbox(bb: ArrayLike<number>, h: number, w: number): Rle {
  const xs = bb[0];
  const ys = bb[1];
  const xe = xs + bb[2];
  const ye = ys + bb[3];
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

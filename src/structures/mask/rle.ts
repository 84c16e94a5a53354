/**
 * Run-length encoded binary masks in the COCO layout (pycocotools `maskApi`):
 * pixels are read in column-major order (index `x · h + y`), and `counts`
 * alternates runs of 0s and 1s, always starting with a (possibly empty) run of 0s.
 */

/** An uncompressed RLE mask of `h × w` pixels. */
export interface Rle {
  h: number;
  w: number;
  /** Run lengths, 0-run first; they sum to `h · w` (empty for a 0×0 mask). */
  counts: number[];
}

/** Encodes one `h × w` row-major 0/1 mask (any non-zero byte counts as 1) starting at `offset`. */
export function rleEncodeRowMajor(data: Uint8Array, h: number, w: number, offset = 0): Rle {
  const counts: number[] = [];
  let run = 0;
  let value = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[offset + y * w + x] !== 0 ? 1 : 0;
      if (v !== value) {
        counts.push(run);
        run = 0;
        value = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { h, w, counts };
}

/** Decodes an RLE into a new row-major `h × w` Uint8Array of 0/1. */
export function rleDecodeRowMajor(rle: Rle): Uint8Array {
  const { h, w, counts } = rle;
  const out = new Uint8Array(h * w);
  let pos = 0;
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j];
    if (j % 2 === 1) {
      for (let k = pos; k < pos + n; k++) {
        const x = Math.floor(k / h);
        const y = k - x * h;
        out[y * w + x] = 1;
      }
    }
    pos += n;
  }
  return out;
}

/** Number of 1 pixels. */
export function rleArea(rle: Rle): number {
  let a = 0;
  for (let j = 1; j < rle.counts.length; j += 2) a += rle.counts[j];
  return a;
}

/** Tight box `[x, y, w, h]` of the 1 pixels (all zeros for an empty mask), as pycocotools `toBbox`. */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const { h, w } = rle;
  // A trailing 0-run does not touch the box; drop it.
  const m = Math.floor(rle.counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += rle.counts[j];
    // Even j: `cc` is the first pixel of a 1-run; odd j: `cc - 1` is its last pixel.
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // The run wraps over a column boundary, so it covers the full height.
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * Union (or intersection when `intersect`) of RLEs of one size, as pycocotools `merge`.
 * Masks of differing sizes give the empty 0×0 RLE, as pycocotools does.
 */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) return { h: 0, w: 0, counts: [] };
  const first = rles[0];
  if (rles.length === 1) return { h: first.h, w: first.w, counts: first.counts.slice() };
  const { h, w } = first;
  let acc = first.counts.slice();
  for (let i = 1; i < rles.length; i++) {
    const b = rles[i];
    if (b.h !== h || b.w !== w) return { h: 0, w: 0, counts: [] };
    const out: number[] = [];
    let ca = acc[0];
    let cb = b.counts[0];
    let va = false;
    let vb = false;
    let v = false;
    let ia = 1;
    let ib = 1;
    let cc = 0;
    let ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (ca === 0 && ia < acc.length) {
        ca = acc[ia++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (cb === 0 && ib < b.counts.length) {
        cb = b.counts[ib++];
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = intersect ? va && vb : va || vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    acc = out;
  }
  return { h, w, counts: acc };
}

/** Intersection and union pixel counts of two RLEs of one size. */
function rleIntersection(a: Rle, b: Rle): number {
  let ca = a.counts[0];
  let cb = b.counts[0];
  let va = false;
  let vb = false;
  let ia = 1;
  let ib = 1;
  let inter = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va && vb) inter += c;
    ct = 0;
    ca -= c;
    if (ca === 0 && ia < a.counts.length) {
      ca = a.counts[ia++];
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (cb === 0 && ib < b.counts.length) {
      cb = b.counts[ib++];
      vb = !vb;
    }
    ct += cb;
  }
  return inter;
}

/**
 * IoU matrix `[dt.length][gt.length]` of boxes `[x, y, w, h]`; for a crowd gt the
 * denominator is the detection's own area (pycocotools `bbIou`).
 */
export function bboxIou(dt: readonly (readonly number[])[], gt: readonly (readonly number[])[], iscrowd: readonly (boolean | number)[]): number[][] {
  return dt.map((d) =>
    gt.map((g, j) => {
      const iw = Math.min(d[0] + d[2], g[0] + g[2]) - Math.max(d[0], g[0]);
      if (iw <= 0) return 0;
      const ih = Math.min(d[1] + d[3], g[1] + g[3]) - Math.max(d[1], g[1]);
      if (ih <= 0) return 0;
      const inter = iw * ih;
      const da = d[2] * d[3];
      const union = iscrowd[j] ? da : da + g[2] * g[3] - inter;
      return inter / union;
    }),
  );
}

/**
 * Mask IoU matrix `[dt.length][gt.length]`; for a crowd gt the denominator is the
 * detection's area (pycocotools `rleIou`). Every mask must have the same size.
 */
export function rleIou(dt: readonly Rle[], gt: readonly Rle[], iscrowd: readonly (boolean | number)[]): number[][] {
  for (const r of [...dt, ...gt]) {
    const ref = dt[0] ?? gt[0];
    if (r.h !== ref.h || r.w !== ref.w) {
      throw new Error(`rleIou: masks must share one size, got ${r.h}x${r.w} and ${ref.h}x${ref.w}`);
    }
  }
  const dtBoxes = dt.map(rleToBbox);
  const gtBoxes = gt.map(rleToBbox);
  const boxIou = bboxIou(dtBoxes, gtBoxes, iscrowd);
  const dtAreas = dt.map(rleArea);
  const gtAreas = gt.map(rleArea);
  return dt.map((d, i) =>
    gt.map((g, j) => {
      if (boxIou[i][j] <= 0) return 0;
      const inter = rleIntersection(d, g);
      if (inter === 0) return 0;
      const union = iscrowd[j] ? dtAreas[i] : dtAreas[i] + gtAreas[j] - inter;
      return inter / union;
    }),
  );
}

/** The compact COCO string form of `counts` (pycocotools `rleToString`). */
export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    // Counts after the second are stored as differences to the count two before.
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** Parses the compact COCO string form back into counts (pycocotools `rleFrString`). */
export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let scale = 1;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error(`RLE string '${s}' ends inside a count`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE string '${s}' has invalid character '${s[p]}' at ${p}`);
      x += (c & 0x1f) * scale;
      more = (c & 0x20) !== 0;
      p++;
      scale *= 32;
      // A set sign bit in the last 5-bit group makes the value negative.
      if (!more && c & 0x10) x -= scale;
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

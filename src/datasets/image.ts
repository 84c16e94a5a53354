/**
 * Images in host memory (HWC, 3 channels) and the pixel operations the
 * transforms are built from. Resizing follows OpenCV's conventions
 * (`INTER_LINEAR`: source `(dst + 0.5)·in/out − 0.5`, clamped; `INTER_NEAREST`:
 * source `⌊dst·in/out⌋`), which mmcv uses.
 */

/** An image: `data[(y·width + x)·channels + c]`. */
export interface HostImage {
  data: Uint8Array | Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** Allocates an image of the same element type as `like`. */
function alloc(like: HostImage['data'], n: number): Uint8Array | Float32Array {
  return like instanceof Uint8Array ? new Uint8Array(n) : new Float32Array(n);
}

/** Bilinear resize (OpenCV `INTER_LINEAR` sampling). uint8 results are rounded. */
export function resizeBilinear(img: HostImage, outH: number, outW: number): HostImage {
  const { data, height: h, width: w, channels: c } = img;
  if (outH === h && outW === w) return { ...img, data: data.slice() };
  const out = alloc(data, outH * outW * c);
  const sy = h / outH;
  const sx = w / outW;
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const src = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    x0s[x] = Math.floor(src);
    x1s[x] = Math.min(x0s[x] + 1, w - 1);
    fxs[x] = src - x0s[x];
  }
  const round = data instanceof Uint8Array;
  for (let y = 0; y < outH; y++) {
    const srcY = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(srcY);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = srcY - y0;
    for (let x = 0; x < outW; x++) {
      const a = (y0 * w + x0s[x]) * c;
      const b = (y0 * w + x1s[x]) * c;
      const d = (y1 * w + x0s[x]) * c;
      const e = (y1 * w + x1s[x]) * c;
      const fx = fxs[x];
      const o = (y * outW + x) * c;
      for (let k = 0; k < c; k++) {
        const top = data[a + k] + (data[b + k] - data[a + k]) * fx;
        const bottom = data[d + k] + (data[e + k] - data[d + k]) * fx;
        const v = top + (bottom - top) * fy;
        out[o + k] = round ? Math.round(v) : v;
      }
    }
  }
  return { data: out, height: outH, width: outW, channels: c };
}

/** Nearest-neighbour resize (OpenCV `INTER_NEAREST`), for label maps and masks. */
export function resizeNearest(img: HostImage, outH: number, outW: number): HostImage {
  const { data, height: h, width: w, channels: c } = img;
  const out = alloc(data, outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.floor((y * h) / outH), h - 1);
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(Math.floor((x * w) / outW), w - 1);
      const src = (sy * w + sx) * c;
      const dst = (y * outW + x) * c;
      for (let k = 0; k < c; k++) out[dst + k] = data[src + k];
    }
  }
  return { data: out, height: outH, width: outW, channels: c };
}

/** Crops the rectangle `[y, y+ch) × [x, x+cw)`; parts outside the image are filled with `fill`. */
export function cropImage(img: HostImage, y: number, x: number, ch: number, cw: number, fill = 0): HostImage {
  const { data, height: h, width: w, channels: c } = img;
  const out = alloc(data, ch * cw * c);
  if (fill !== 0) out.fill(fill);
  const yStart = Math.max(0, -y);
  const yEnd = Math.min(ch, h - y);
  const xStart = Math.max(0, -x);
  const xEnd = Math.min(cw, w - x);
  if (xEnd > xStart) {
    for (let yy = yStart; yy < yEnd; yy++) {
      const src = ((y + yy) * w + (x + xStart)) * c;
      out.set(data.subarray(src, src + (xEnd - xStart) * c), (yy * cw + xStart) * c);
    }
  }
  return { data: out, height: ch, width: cw, channels: c };
}

/** Pads at the bottom and right to `outH × outW` with `fill`. */
export function padImage(img: HostImage, outH: number, outW: number, fill = 0): HostImage {
  return cropImage(img, 0, 0, outH, outW, fill);
}

/** Mirrors the image left-right. */
export function flipHorizontal(img: HostImage): HostImage {
  const { data, height: h, width: w, channels: c } = img;
  const out = alloc(data, data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * c;
      const dst = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[dst + k] = data[src + k];
    }
  }
  return { data: out, height: h, width: w, channels: c };
}

/** Mirrors the image top-bottom. */
export function flipVertical(img: HostImage): HostImage {
  const { data, height: h, width: w, channels: c } = img;
  const out = alloc(data, data.length);
  const row = w * c;
  for (let y = 0; y < h; y++) out.set(data.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  return { data: out, height: h, width: w, channels: c };
}

/** Converts to float32 (a copy). */
export function toFloatImage(img: HostImage): HostImage & { data: Float32Array } {
  return { ...img, data: Float32Array.from(img.data) };
}

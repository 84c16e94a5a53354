/**
 * Window operations of the Swin Transformer on NHWC maps: padding, cyclic
 * shift, window partition/reverse, the relative position index and the
 * shifted-window attention mask, each built exactly as the official code and
 * torchvision build them.
 */
import { tf } from '../../core/tf.js';
import { TensorCache } from '../../core/tensor_cache.js';
import { transposeReduced } from '../../nn/functional/transpose.js';

const constants = new TensorCache(128);

/** Zero-pads `[B, H, W, C]` at the bottom and right up to multiples of `mh` and `mw`. */
export function padBottomRight(x: tf.Tensor4D, mh: number, mw: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const padB = (mh - (h % mh)) % mh;
  const padR = (mw - (w % mw)) % mw;
  if (padB === 0 && padR === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [0, padB],
    [0, padR],
    [0, 0],
  ]);
}

function rollAxis(x: tf.Tensor4D, shift: number, axis: 1 | 2): tf.Tensor4D {
  const n = x.shape[axis];
  const k = ((shift % n) + n) % n;
  if (k === 0) return x;
  const head = axis === 1 ? x.slice([0, n - k, 0, 0], [-1, k, -1, -1]) : x.slice([0, 0, n - k, 0], [-1, -1, k, -1]);
  const tail = axis === 1 ? x.slice([0, 0, 0, 0], [-1, n - k, -1, -1]) : x.slice([0, 0, 0, 0], [-1, -1, n - k, -1]);
  return tf.concat([head, tail], axis);
}

/** `torch.roll(x, shifts=(sh, sw), dims=(1, 2))` on `[B, H, W, C]`. */
export function roll2d(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  return rollAxis(rollAxis(x, sh, 1), sw, 2);
}

/** `[B, Hp, Wp, C]` → `[B·nW, ws·ws, C]`, windows in row-major order. */
export function windowPartition(x: tf.Tensor4D, ws: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  const grid = x.reshape([b, h / ws, ws, w / ws, ws, c]); // [B, nH, ws, nW, ws, C]
  return transposeReduced(grid, [0, 1, 3, 2, 4, 5]) // [B, nH, nW, ws, ws, C]
    .reshape([b * (h / ws) * (w / ws), ws * ws, c]);
}

/** Inverse of {@link windowPartition}: `[B·nW, ws·ws, C]` → `[B, Hp, Wp, C]`. */
export function windowReverse(windows: tf.Tensor3D, ws: number, b: number, h: number, w: number): tf.Tensor4D {
  const c = windows.shape[2];
  const grid = windows.reshape([b, h / ws, w / ws, ws, ws, c]); // [B, nH, nW, ws, ws, C]
  return transposeReduced(grid, [0, 1, 3, 2, 4, 5]) // [B, nH, ws, nW, ws, C]
    .reshape([b, h, w, c]);
}

/**
 * Index of each (query, key) pair of a window into the `(2ws−1)²` bias table:
 * `(Δrow + ws − 1)·(2ws − 1) + (Δcol + ws − 1)`, flattened to `[ws⁴]` (int32, cached).
 */
export function relativePositionIndex(ws: number): tf.Tensor1D {
  return constants.get(`rpi:${ws}`, () => {
    const n = ws * ws;
    const idx = new Int32Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = Math.floor(i / ws);
      const ci = i % ws;
      for (let j = 0; j < n; j++) {
        const rj = Math.floor(j / ws);
        const cj = j % ws;
        idx[i * n + j] = (ri - rj + ws - 1) * (2 * ws - 1) + (ci - cj + ws - 1);
      }
    }
    return tf.tensor1d(idx, 'int32');
  });
}

/** Python slice bounds `[start:end]` resolved for a length-`n` axis (`end === null` means to the end). */
function pySlice(start: number, end: number | null, n: number): [number, number] {
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? n + v : v, 0), n);
  return [norm(start), end === null ? n : norm(end)];
}

/**
 * The additive attention mask of shifted windows, `[nW, N, N]` with 0 within a
 * region and −100 across regions, built on the padded map exactly as torchvision's
 * `shifted_window_attention` builds it (including a zero shift along one axis). Cached.
 */
export function shiftedWindowMask(padH: number, padW: number, ws: number, sh: number, sw: number): tf.Tensor3D {
  return constants.get(`mask:${padH}x${padW}:${ws}:${sh},${sw}`, () => {
    const region = new Int32Array(padH * padW);
    const hSlices: Array<[number, number | null]> = [
      [0, -ws],
      [-ws, -sh],
      [-sh, null],
    ];
    const wSlices: Array<[number, number | null]> = [
      [0, -ws],
      [-ws, -sw],
      [-sw, null],
    ];
    let count = 0;
    for (const [h0, h1] of hSlices) {
      for (const [w0, w1] of wSlices) {
        const [ha, hb] = pySlice(h0, h1, padH);
        const [wa, wb] = pySlice(w0, w1, padW);
        for (let r = ha; r < hb; r++) for (let c = wa; c < wb; c++) region[r * padW + c] = count;
        count++;
      }
    }
    const nH = padH / ws;
    const nW = padW / ws;
    const n = ws * ws;
    const mask = new Float32Array(nH * nW * n * n);
    for (let wr = 0; wr < nH; wr++) {
      for (let wc = 0; wc < nW; wc++) {
        const base = (wr * nW + wc) * n * n;
        for (let i = 0; i < n; i++) {
          const ri = region[(wr * ws + Math.floor(i / ws)) * padW + wc * ws + (i % ws)];
          for (let j = 0; j < n; j++) {
            const rj = region[(wr * ws + Math.floor(j / ws)) * padW + wc * ws + (j % ws)];
            mask[base + i * n + j] = ri === rj ? 0 : -100;
          }
        }
      }
    }
    return tf.tensor3d(mask, [nH * nW, n, n]);
  });
}

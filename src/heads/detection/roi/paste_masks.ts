/**
 * Pastes RoI mask predictions into the image, as mmdetection's `_do_paste_mask`
 * (mmdet/models/roi_heads/mask_heads/fcn_mask_head.py, mmdet 3.x) with `skip_empty=True` and one
 * box per chunk (what mmdet does on the CPU): each box's `M × M` mask is resampled bilinearly
 * (`grid_sample`, `align_corners=False`, zero padding) at the centres of the image pixels inside
 * the box grown by 1 pixel (floor/ceil, clipped to the image); pixels outside that region are 0.
 *
 * The sampling grid is a Cartesian product, so the resampling is `Wy · mask · Wxᵀ` per box with
 * `Wy` `[N, H, M]` and `Wx` `[N, W, M]` built on the host: two batched `matMul`s for all boxes.
 */
import { tf } from '../../../core/tf.js';

const f32 = Math.fround;

/**
 * The `[size, m]` row-major weights of one box side: row p samples the mask at image pixel p
 * (zero outside `[lo, hi)`).
 */
function axisWeights(start: number, end: number, lo: number, hi: number, m: number, out: Float32Array, offset: number): void {
  const extent = f32(end - start);
  for (let p = lo; p < hi; p++) {
    let g = f32(f32(f32(f32(f32(p + 0.5) - start) / extent) * 2) - 1);
    if (!Number.isFinite(g)) g = 0; // zero-size box: mmdet replaces ±inf by 0
    const src = f32(f32(f32(g + 1) * m) - 1) / 2;
    const low = Math.floor(src);
    const l = src - low;
    if (low >= 0 && low < m) out[offset + p * m + low] += 1 - l;
    if (low + 1 >= 0 && low + 1 < m) out[offset + p * m + low + 1] += l;
  }
}

/**
 * @param masks `[N, M, M]` mask probabilities (or logits) of each box, in the box frame.
 * @param boxes `[N·4]` x1, y1, x2, y2 in image pixels (the frame to paste into).
 * @param imgH image height. @param imgW image width.
 * @returns `[N, imgH, imgW]` float masks (threshold them, e.g. `>= 0.5`, for binary masks).
 */
export function pasteMasks(masks: tf.Tensor3D, boxes: Float32Array, imgH: number, imgW: number): tf.Tensor3D {
  const [n, mh, mw] = masks.shape;
  if (boxes.length !== n * 4) throw new Error(`pasteMasks: ${n} masks but ${boxes.length / 4} boxes (boxes must be [N·4])`);
  if (!(Number.isInteger(imgH) && imgH > 0 && Number.isInteger(imgW) && imgW > 0)) {
    throw new Error(`pasteMasks: image size must be positive integers, got ${imgH}×${imgW}`);
  }
  if (n === 0) return tf.zeros([0, imgH, imgW]);
  const wy = new Float32Array(n * imgH * mh);
  const wx = new Float32Array(n * imgW * mw);
  for (let i = 0; i < n; i++) {
    const [x0, y0, x1, y1] = [boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]].map(f32);
    const xLo = Math.max(Math.floor(x0) - 1, 0);
    const yLo = Math.max(Math.floor(y0) - 1, 0);
    const xHi = Math.min(Math.ceil(x1) + 1, imgW);
    const yHi = Math.min(Math.ceil(y1) + 1, imgH);
    axisWeights(y0, y1, yLo, yHi, mh, wy, i * imgH * mh);
    axisWeights(x0, x1, xLo, xHi, mw, wx, i * imgW * mw);
  }
  return tf.tidy(() => {
    const rows = tf.matMul(tf.tensor3d(wy, [n, imgH, mh]), masks); // [N, H, Mw]
    return tf.matMul(rows, tf.tensor3d(wx, [n, imgW, mw]), false, true) as tf.Tensor3D; // [N, H, W]
  });
}

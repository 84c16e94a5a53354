/**
 * Bicubic resizing with PyTorch's semantics (`F.interpolate(mode='bicubic',
 * align_corners=False)`: cubic convolution with A = -0.75, source index
 * `(dst + 0.5)·in/out − 0.5`, border indices clamped), written as two matrix
 * products so that it is differentiable and runs on every backend.
 */
import { tf } from '../../core/tf.js';

const A = -0.75;

function cubicNear(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1; // |x| <= 1
}

function cubicFar(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2
}

/**
 * The `[outSize, inSize]` matrix M such that `M · v` resizes a length-`inSize`
 * signal `v` to `outSize` samples, as PyTorch's bicubic upsampling does along one axis.
 */
export function bicubicMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const i0 = Math.floor(src);
    const t = src - i0;
    const weights = [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)];
    for (let k = 0; k < 4; k++) {
      const idx = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      m[o * inSize + idx] += weights[k];
    }
  }
  return m;
}

/**
 * Resizes NHWC maps bicubically (PyTorch `align_corners=False`).
 * @param x `[B, H, W, C]`
 * @returns `[B, outH, outW, C]`
 */
export function resizeBicubic(x: tf.Tensor4D, outH: number, outW: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h === outH && w === outW) return x.clone();
  return tf.tidy(() => {
    const mh = tf.tensor2d(bicubicMatrix(h, outH), [outH, h]);
    const mw = tf.tensor2d(bicubicMatrix(w, outW), [outW, w]);
    const alongH = x.transpose([1, 0, 2, 3]).reshape([h, b * w * c]); // [H, B*W*C]
    const y1 = tf.matMul(mh, alongH).reshape([outH, b, w, c]); // [outH, B, W, C]
    const alongW = y1.transpose([2, 1, 0, 3]).reshape([w, b * outH * c]); // [W, B*outH*C]
    const y2 = tf.matMul(mw, alongW).reshape([outW, b, outH, c]); // [outW, B, outH, C]
    return y2.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [B, outH, outW, C]
  });
}

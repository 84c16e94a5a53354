/**
 * Resampling of NHWC maps with PyTorch's exact semantics, differentiable on every
 * backend:
 *
 * - {@link resizeBilinear}: `F.interpolate(mode='bilinear', align_corners=...)`
 *   (no antialiasing), up or down;
 * - {@link resizeNearest}: `F.interpolate(mode='nearest')` (the legacy nearest mode,
 *   source index `⌊dst·in/out⌋`, computed in float32 as ATen does);
 * - {@link adaptiveAvgPool2d}: `F.adaptive_avg_pool2d`.
 *
 * Bilinear and nearest are separable gathers along H then W (2 taps per output for
 * bilinear), not tfjs' `resizeBilinear`: the cpu backend's `ResizeBilinearGrad`
 * ignores `halfPixelCenters` (and returns a transposed shape for non-square maps),
 * so its gradient is wrong for PyTorch's `align_corners=False` convention.
 * Adaptive average pooling is two products with small pooling matrices.
 */
import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';

const f32 = Math.fround;

/** The two source taps and the weight of the second, for each output index along one axis. */
export interface LinearTaps {
  /** First source index per output, `[out]`. */
  i0: Int32Array;
  /** Second source index per output, `[out]` (equal to `i0` at the border). */
  i1: Int32Array;
  /** Weight of `i1` (λ); `i0` has weight `1 − λ`. `[out]`. */
  lambda: Float32Array;
}

/**
 * PyTorch's linear-interpolation taps along one axis (ATen
 * `area_pixel_compute_source_index`, float32 arithmetic): source coordinate
 * `scale·(dst + 0.5) − 0.5` clamped at 0 with `scale = in/out`, or `dst·(in−1)/(out−1)`
 * with `alignCorners`.
 */
export function linearTaps(inSize: number, outSize: number, alignCorners: boolean): LinearTaps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const lambda = new Float32Array(outSize);
  const scale = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src = alignCorners ? f32(scale * o) : f32(f32(scale * f32(o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const idx = Math.min(Math.floor(src), inSize - 1);
    i0[o] = idx;
    i1[o] = idx < inSize - 1 ? idx + 1 : idx;
    lambda[o] = Math.min(Math.max(f32(src - idx), 0), 1);
  }
  return { i0, i1, lambda };
}

/**
 * PyTorch's `mode='nearest'` source indices along one axis (ATen `nearest_idx`):
 * identity when sizes match, `dst >> 1` when doubling, else `min(⌊dst·s⌋, in−1)`
 * in float32 with `s = in/out`, or `s = 1/scaleFactor` when a scale factor was given.
 */
export function nearestIndices(inSize: number, outSize: number, scaleFactor: number | null = null): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = scaleFactor !== null && scaleFactor > 0 ? f32(1 / scaleFactor) : f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) idx[o] = o;
    else if (outSize === 2 * inSize) idx[o] = o >> 1;
    else idx[o] = Math.min(Math.floor(f32(o * scale)), inSize - 1);
  }
  return idx;
}

/**
 * PyTorch's adaptive-average-pooling matrix along one axis, `[out, in]` row-major:
 * output `i` averages inputs `⌊i·in/out⌋ … ⌈(i+1)·in/out⌉ − 1`.
 */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return m;
}

function checkNhwc(x: tf.Tensor, what: string): void {
  if (x.rank !== 4) throw new ShapeError(`${what}: expected an NHWC map, got ${formatShape(x.shape)}`);
}

function checkSize(size: readonly number[], what: string): void {
  if (size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(`${what}: output size must be two positive integers, got ${formatShape(size)}`);
  }
}

/**
 * Linear interpolation along axis 1 (H) or 2 (W) of an NHWC map, with its own gradient.
 *
 * The forward is two gathers and a blend; recorded op by op, the tape would keep both gathered
 * maps, their difference and the blend (four tensors of the output's size). As one custom-gradient
 * op it keeps nothing: the backward is the transposed interpolation, each output gradient split
 * into weights `1 − λ` and `λ` and summed into its two source rows with one `unsortedSegmentSum`.
 */
function lerpAxis(x: tf.Tensor4D, axis: 1 | 2, taps: LinearTaps): tf.Tensor4D {
  const out = taps.i0.length;
  const inSize = x.shape[axis];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const src = args[0] as tf.Tensor4D;
    const a = tf.gather(src, tf.tensor1d(taps.i0, 'int32'), axis); // [B, out, W, C] or [B, H, out, C]
    const b = tf.gather(src, tf.tensor1d(taps.i1, 'int32'), axis);
    const lambda = tf.tensor(taps.lambda, axis === 1 ? [out, 1, 1] : [out, 1]); // broadcast over the axis
    return {
      value: a.add(b.sub(a).mul(lambda)),
      gradFunc: (dy: tf.Tensor) => adjointLerp(dy as tf.Tensor4D, axis, taps, inSize),
    };
  });
  return op(x) as tf.Tensor4D;
}

/** The transpose of {@link lerpAxis}: `dy` `[B, out, W, C]` (or `[B, H, out, C]`) to the input's shape. */
function adjointLerp(dy: tf.Tensor4D, axis: 1 | 2, taps: LinearTaps, inSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const out = taps.i0.length;
    const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3]; // the interpolated axis first
    const inverse = axis === 1 ? [1, 0, 2, 3] : [1, 2, 0, 3];
    const front = tf.transpose(dy, perm); // [out, ·, ·, C]
    const lambda = tf.tensor(taps.lambda, [out, 1, 1, 1]);
    const parts = tf.concat([front.mul(tf.scalar(1).sub(lambda)), front.mul(lambda)], 0); // [2·out, ·, ·, C]
    const ids = new Int32Array(2 * out);
    ids.set(taps.i0, 0);
    ids.set(taps.i1, out);
    const summed = tf.unsortedSegmentSum(parts, tf.tensor1d(ids, 'int32'), inSize); // [in, ·, ·, C]
    return tf.transpose(summed, inverse) as tf.Tensor4D;
  });
}

/**
 * Bilinear resize, as PyTorch `F.interpolate(x, size, mode='bilinear', align_corners)`.
 * @param x `[B, H, W, C]`
 * @param size `[outH, outW]`
 * @param alignCorners PyTorch's `align_corners`. Default `false`.
 * @returns `[B, outH, outW, C]` (a copy of `x` when the size is unchanged).
 */
export function resizeBilinear(x: tf.Tensor4D, size: readonly [number, number], alignCorners = false): tf.Tensor4D {
  checkNhwc(x, 'resizeBilinear');
  checkSize(size, 'resizeBilinear');
  const [, h, w] = x.shape;
  const [outH, outW] = size;
  return tf.tidy(() => {
    let y = x;
    if (outH !== h) y = lerpAxis(y, 1, linearTaps(h, outH, alignCorners));
    if (outW !== w) y = lerpAxis(y, 2, linearTaps(w, outW, alignCorners));
    return y === x ? x.clone() : y;
  });
}

/**
 * Nearest-neighbour resize, as PyTorch `F.interpolate(x, size, mode='nearest')`.
 * @param x `[B, H, W, C]`
 * @param size `[outH, outW]`
 * @returns `[B, outH, outW, C]`
 */
export function resizeNearest(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  checkNhwc(x, 'resizeNearest');
  checkSize(size, 'resizeNearest');
  return nearestGather(x, size, null);
}

/**
 * Nearest-neighbour upsampling by a scale factor, as PyTorch
 * `F.interpolate(x, scale_factor=s, mode='nearest')`: output size `⌊H·s⌋ × ⌊W·s⌋`.
 * @param x `[B, H, W, C]`
 * @returns `[B, ⌊H·s⌋, ⌊W·s⌋, C]`
 */
export function resizeNearestScale(x: tf.Tensor4D, scaleFactor: number): tf.Tensor4D {
  checkNhwc(x, 'resizeNearestScale');
  const [, h, w] = x.shape;
  const size: [number, number] = [Math.floor(h * scaleFactor), Math.floor(w * scaleFactor)];
  checkSize(size, 'resizeNearestScale');
  return nearestGather(x, size, scaleFactor);
}

function nearestGather(x: tf.Tensor4D, size: readonly [number, number], scaleFactor: number | null): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [outH, outW] = size;
  return tf.tidy(() => {
    let y = x;
    if (outH !== h) y = tf.gather(y, tf.tensor1d(nearestIndices(h, outH, scaleFactor), 'int32'), 1) as tf.Tensor4D; // [B, outH, W, C]
    if (outW !== w) y = tf.gather(y, tf.tensor1d(nearestIndices(w, outW, scaleFactor), 'int32'), 2) as tf.Tensor4D; // [B, outH, outW, C]
    return y === x ? x.clone() : y;
  });
}

/**
 * Adaptive average pooling, as PyTorch `F.adaptive_avg_pool2d(x, outSize)`: output
 * cell `(i, j)` averages rows `⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1` and the analogous
 * columns (bins overlap, or repeat when the output is larger than the input).
 * Computed as `P_h · x · P_wᵀ` with the pooling matrices of {@link adaptivePoolMatrix}.
 * @param x `[B, H, W, C]`
 * @param outSize `oh` (square) or `[oh, ow]`
 * @returns `[B, oh, ow, C]`
 */
export function adaptiveAvgPool2d(x: tf.Tensor4D, outSize: number | readonly [number, number]): tf.Tensor4D {
  checkNhwc(x, 'adaptiveAvgPool2d');
  const [oh, ow] = typeof outSize === 'number' ? [outSize, outSize] : outSize;
  checkSize([oh, ow], 'adaptiveAvgPool2d');
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    const ph = tf.tensor2d(adaptivePoolMatrix(h, oh), [oh, h]);
    const pw = tf.tensor2d(adaptivePoolMatrix(w, ow), [ow, w]);
    const alongH = x.transpose([1, 0, 2, 3]).reshape([h, b * w * c]); // [H, B*W*C]
    const y1 = tf.matMul(ph, alongH).reshape([oh, b, w, c]); // [oh, B, W, C]
    const alongW = y1.transpose([2, 1, 0, 3]).reshape([w, b * oh * c]); // [W, B*oh*C]
    const y2 = tf.matMul(pw, alongW).reshape([ow, b, oh, c]); // [ow, B, oh, C]
    return y2.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [B, oh, ow, C]
  });
}

/**
 * RoIAlign with the semantics of `torchvision.ops.roi_align` (= mmcv `RoIAlign` with
 * `pool_mode='avg'`): each output bin averages `gridH × gridW` bilinear samples, the grid being
 * `samplingRatio` per side or, when `samplingRatio <= 0`, `ceil(roiSize / outputSize)` per RoI
 * (adaptive); `aligned` shifts box corners by −0.5 pixel, and without it RoIs are at least 1×1.
 *
 * How it is computed. The bilinear weights of a sample are a product of a y weight and an x
 * weight, the sample grid of a bin is a Cartesian product and the out-of-map test
 * (`y < −1 || y > H || x < −1 || x > W`) splits into a y part and an x part. So for every RoI the
 * output is `Ay · F · Axᵀ`, with `Ay` `[outH, Ty]` the summed, averaged y weights over the `Ty`
 * distinct feature rows the RoI touches, and `Ax` `[outW, Tx]` the same for columns. The rows and
 * columns are built on the CPU from the RoI coordinates (RoIs are boxes, not trainable: like
 * torchvision, no gradient flows to them), then the whole batch of RoIs is one op chain:
 * one `gather` of the `[K, Ty, Tx, C]` patches and two batched `matMul`s. Its gradient with respect
 * to the features is the gradient of those ops (the gather's being one `scatterND`), on every backend.
 */
import { tf } from '../../core/tf.js';

/** Options of {@link roiAlign}. */
export interface RoiAlignOptions {
  /** Output `[height, width]` of each RoI, or one number for both. */
  outputSize: number | [number, number];
  /** Factor from box (input-image) coordinates to feature-map coordinates, e.g. 1/stride. Default 1. */
  spatialScale?: number;
  /** Samples per bin side; `<= 0` picks `ceil(roiSize / outputSize)` per RoI. Default 0 (adaptive). */
  samplingRatio?: number;
  /** Shift box corners by −0.5 pixel (torchvision `aligned=True`, mmdet's default). Default true. */
  aligned?: boolean;
}

/** The taps of one axis of one RoI: `weights` `[out, taps.length]` (row-major) over feature indices `taps`. */
interface AxisTaps {
  taps: number[];
  weights: Float64Array;
}

/**
 * The y (or x) weights of one RoI along one axis, as torchvision's `bilinear_interpolate`
 * computes them, summed per distinct feature index and divided by the grid size.
 */
function axisTaps(start: number, binSize: number, out: number, grid: number, size: number): AxisTaps {
  const perIndex = new Map<number, Float64Array>();
  const add = (index: number, bin: number, w: number): void => {
    let row = perIndex.get(index);
    if (row === undefined) {
      row = new Float64Array(out);
      perIndex.set(index, row);
    }
    row[bin] += w;
  };
  const count = grid > 0 ? grid : 1;
  for (let p = 0; p < out; p++) {
    for (let i = 0; i < grid; i++) {
      let v = start + p * binSize + ((i + 0.5) * binSize) / grid;
      if (v < -1 || v > size) continue; // the sample is zero
      if (v <= 0) v = 0;
      let low = Math.floor(v);
      let high: number;
      if (low >= size - 1) {
        low = size - 1;
        high = low;
        v = low;
      } else {
        high = low + 1;
      }
      const l = v - low;
      add(low, p, (1 - l) / count);
      if (high !== low) add(high, p, l / count);
      else add(low, p, l / count);
    }
  }
  const taps = [...perIndex.keys()].sort((a, b) => a - b);
  const weights = new Float64Array(out * taps.length);
  taps.forEach((t, j) => {
    const row = perIndex.get(t) as Float64Array;
    for (let p = 0; p < out; p++) weights[p * taps.length + j] = row[p];
  });
  return { taps, weights };
}

/** The grid and the per-axis taps of one RoI `[batchIndex, x1, y1, x2, y2]`. */
function roiTaps(roi: ArrayLike<number>, outH: number, outW: number, height: number, width: number, scale: number, samplingRatio: number, aligned: boolean): { y: AxisTaps; x: AxisTaps } {
  const offset = aligned ? 0.5 : 0;
  const x1 = roi[1] * scale - offset;
  const y1 = roi[2] * scale - offset;
  let roiW = roi[3] * scale - offset - x1;
  let roiH = roi[4] * scale - offset - y1;
  if (!aligned) {
    roiW = Math.max(roiW, 1);
    roiH = Math.max(roiH, 1);
  }
  const binH = roiH / outH;
  const binW = roiW / outW;
  const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(roiH / outH);
  const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(roiW / outW);
  // torchvision divides by max(gridH·gridW, 1); with no samples on either axis the output is 0 anyway.
  return {
    y: axisTaps(y1, binH, outH, Math.max(gridH, 0), height),
    x: axisTaps(x1, binW, outW, Math.max(gridW, 0), width),
  };
}

/**
 * `tf.gather(values, index)` along axis 0 whose gradient is one `scatterND` (duplicates summed)
 * instead of tfjs's `UnsortedSegmentSum`, which on the cpu backend costs a pass over all indices
 * per row of `values` (minutes for a feature pyramid).
 * @param values `[N, C]`; @param index `[M]` int32 rows; @returns `[M, C]`.
 */
function gatherRowsSummingGrad(values: tf.Tensor2D, index: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const v = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const shape = v.shape;
    save([index]); // kept for the backward pass, beyond the caller's tidy
    return {
      value: tf.gather(v, index),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0].expandDims(1), dy, shape),
    };
  });
  return op(values) as tf.Tensor2D;
}

/**
 * Pools each RoI of `rois` from the feature maps `features` to a fixed size.
 * @param features `[B, H, W, C]` feature maps (NHWC).
 * @param rois `[K, 5]` boxes `[batchIndex, x1, y1, x2, y2]` in input-image coordinates
 *   (read to the CPU; no gradient flows to them).
 * @returns `[K, outH, outW, C]`, differentiable with respect to `features`.
 */
export function roiAlign(features: tf.Tensor4D, rois: tf.Tensor2D, options: RoiAlignOptions): tf.Tensor4D {
  const [outH, outW] = typeof options.outputSize === 'number' ? [options.outputSize, options.outputSize] : options.outputSize;
  const scale = options.spatialScale ?? 1;
  const samplingRatio = options.samplingRatio ?? 0;
  const aligned = options.aligned ?? true;
  if (!(Number.isInteger(outH) && outH > 0 && Number.isInteger(outW) && outW > 0)) {
    throw new Error(`roiAlign: outputSize must be positive integers, got ${JSON.stringify(options.outputSize)}.`);
  }
  if (!(scale > 0)) throw new Error(`roiAlign: spatialScale must be > 0, got ${scale}.`);
  if (!Number.isInteger(samplingRatio)) throw new Error(`roiAlign: samplingRatio must be an integer, got ${samplingRatio}.`);
  if (features.rank !== 4) throw new Error(`roiAlign: features must be [B, H, W, C], got shape [${features.shape}].`);
  if (rois.rank !== 2 || rois.shape[1] !== 5) {
    throw new Error(`roiAlign: rois must be [K, 5] (batchIndex, x1, y1, x2, y2), got shape [${rois.shape}].`);
  }
  const [batch, height, width, channels] = features.shape;
  const k = rois.shape[0];
  if (k === 0) return tf.zeros([0, outH, outW, channels]);
  const roiData = rois.dataSync();

  const perRoi: Array<{ y: AxisTaps; x: AxisTaps; image: number }> = [];
  let ty = 1;
  let tx = 1;
  for (let r = 0; r < k; r++) {
    const row = roiData.subarray(r * 5, r * 5 + 5);
    const image = row[0];
    if (!(Number.isInteger(image) && image >= 0 && image < batch)) {
      throw new Error(`roiAlign: roi ${r} has batch index ${image}; expected an integer in [0, ${batch - 1}].`);
    }
    const t = roiTaps(row, outH, outW, height, width, scale, samplingRatio, aligned);
    perRoi.push({ ...t, image });
    ty = Math.max(ty, t.y.taps.length);
    tx = Math.max(tx, t.x.taps.length);
  }

  // Flat pixel indices [K, Ty, Tx] and the weight matrices [K, outH, Ty], [K, outW, Tx]; padded
  // taps point at pixel 0 of the image with weight 0.
  const index = new Int32Array(k * ty * tx);
  const wy = new Float32Array(k * outH * ty);
  const wx = new Float32Array(k * outW * tx);
  perRoi.forEach(({ y, x, image }, r) => {
    const base = image * height * width;
    for (let i = 0; i < ty; i++) {
      const row = i < y.taps.length ? y.taps[i] : 0;
      for (let j = 0; j < tx; j++) {
        const col = j < x.taps.length ? x.taps[j] : 0;
        index[(r * ty + i) * tx + j] = base + row * width + col;
      }
    }
    for (let p = 0; p < outH; p++) {
      for (let i = 0; i < y.taps.length; i++) wy[(r * outH + p) * ty + i] = y.weights[p * y.taps.length + i];
    }
    for (let q = 0; q < outW; q++) {
      for (let j = 0; j < x.taps.length; j++) wx[(r * outW + q) * tx + j] = x.weights[q * x.taps.length + j];
    }
  });

  return tf.tidy(() => {
    const flat = features.reshape([batch * height * width, channels]) as tf.Tensor2D; // [B*H*W, C]
    const patches = gatherRowsSummingGrad(flat, tf.tensor1d(index, 'int32')).reshape([k, ty, tx * channels]); // [K, Ty, Tx*C]
    const alongY = tf.matMul(tf.tensor3d(wy, [k, outH, ty]), patches); // [K, outH, Tx*C]
    const byColumn = alongY
      .reshape([k, outH, tx, channels])
      .transpose([0, 2, 1, 3])
      .reshape([k, tx, outH * channels]); // [K, Tx, outH*C]
    const alongX = tf.matMul(tf.tensor3d(wx, [k, outW, tx]), byColumn); // [K, outW, outH*C]
    return alongX.reshape([k, outW, outH, channels]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [K, outH, outW, C]
  });
}

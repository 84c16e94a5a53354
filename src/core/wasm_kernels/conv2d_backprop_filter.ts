/**
 * `Conv2DBackpropFilter` for the wasm backend: the gradient of `conv2d` with respect to its filter.
 *
 * dW[ky, kx, c, o] = Σ_{n, oy, ox} x[n, oy·sh + ky·dh − top, ox·sw + kx·dw − left, c] · dy[n, oy, ox, o]
 *
 * which is one matrix product per chunk of output positions:
 *
 *   dW [K, outC] += colT [K, Mc] · dy [Mc, outC],   K = kh·kw·inC,  Mc = positions in the chunk,
 *
 * where `colT` is the transposed im2col matrix of `x` (row k = (ky·kw + kx)·inC + c, zero where the
 * window falls into the padding). The product runs in the backend's own XNNPACK `BatchMatMul`,
 * whose fast path needs both operands untransposed (with a transpose it falls back to a scalar
 * loop ~12x slower) — hence the transposed im2col. Row k of the product is already the filter's
 * memory layout [kh, kw, inC, outC], so nothing is transposed on the way out.
 *
 * To build `colT` with contiguous copies, `x` is first transposed to [inC, N, H, W] by the
 * backend's `Transpose` kernel; every (k, output row) segment of `colT` is then a run of one input
 * row (strided by sw). Positions are split into chunks of whole output rows so the im2col buffer
 * stays under {@link COL_BUDGET_FLOATS}; a 1x1, stride-1, unpadded convolution uses the transposed
 * input itself as `colT`.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/**
 * Upper bound, in float32 elements, of one im2col chunk (4 Mi floats = 16 MiB of wasm heap).
 * Measured on [8,48,48,64] 3x3 and the [8,224,224,3] 7x7 stem: 2–8 Mi are equally fast.
 */
const COL_BUDGET_FLOATS = 4 * 1024 * 1024;

/** Runs shorter than this are copied by a JS loop rather than `copyWithin`. */
const MIN_COPY_RUN = 16;

/** Attributes of the kernel: tfjs-core's, plus the dilations the op itself never passes. */
type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/** Arguments the engine passes to the kernel. */
interface Args {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}

function f32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * Writes columns [0, (r1 − r0)·outW) of every row of `colT` (a [K, mc] matrix at element offset
 * `colOff` of `heap`) for output rows r0 ≤ r < r1 (r = n·outH + oy), reading the transposed input
 * xT [inC, N, H, W] at element offset `xtOff`.
 */
function gatherChunk(heap: Float32Array, colOff: number, mc: number, xtOff: number, info: tf.backend_util.Conv2DInfo, r0: number, r1: number): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const plane = batchSize * inHeight * inWidth; // one channel of xT
  const n0 = Math.floor(r0 / outHeight);
  const oy0 = r0 % outHeight;
  for (let ky = 0; ky < filterHeight; ky++) {
    const dyOff = ky * dilationHeight - top; // iy = oy·sh + dyOff
    for (let kx = 0; kx < filterWidth; kx++) {
      const ix0 = kx * dilationWidth - left; // input column seen by ox = 0
      // valid ox: 0 <= ix0 + ox·sw < inWidth
      const lo = ix0 >= 0 ? 0 : Math.min(outWidth, Math.ceil(-ix0 / strideWidth));
      const hi = Math.max(lo, Math.min(outWidth, Math.ceil((inWidth - ix0) / strideWidth)));
      const run = hi - lo;
      const useCopy = strideWidth === 1 && run >= MIN_COPY_RUN;
      for (let c = 0; c < inChannels; c++) {
        let off = colOff + ((ky * filterWidth + kx) * inChannels + c) * mc;
        const cBase = xtOff + c * plane + ix0 + lo * strideWidth;
        let n = n0;
        let oy = oy0;
        for (let r = r0; r < r1; r++) {
          const iy = oy * strideHeight + dyOff;
          if (iy < 0 || iy >= inHeight) {
            heap.fill(0, off, off + outWidth);
          } else {
            if (lo > 0) heap.fill(0, off, off + lo);
            if (hi < outWidth) heap.fill(0, off + hi, off + outWidth);
            const src = cBase + (n * inHeight + iy) * inWidth;
            if (useCopy) {
              heap.copyWithin(off + lo, src, src + run);
            } else {
              for (let d = off + lo, e = off + hi, q = src; d < e; d++, q += strideWidth) heap[d] = heap[q];
            }
          }
          off += outWidth;
          if (++oy === outHeight) {
            oy = 0;
            n++;
          }
        }
      }
    }
  }
}

/**
 * colT [K, Mc] · dy[rows r0..r1) [Mc, outC] for one chunk of output rows, through XNNPACK.
 * For a pointwise convolution `xT` itself is colT and the whole tensor is one chunk.
 */
function chunkProduct(
  backend: BackendWasm,
  batchMatMul: tf.KernelFunc,
  xT: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  r0: number,
  r1: number,
  pointwise: boolean,
): tf.TensorInfo {
  const { outWidth, outChannels } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const mc = (r1 - r0) * outWidth;
  // Allocate before taking views: an allocation may grow the heap and detach earlier views.
  const col: tf.TensorInfo = pointwise ? { dataId: xT.dataId, shape: [K, mc], dtype: 'float32' } : backend.makeOutput([K, mc], 'float32');
  let dyc: tf.TensorInfo | null = null;
  try {
    // A private copy of the dy rows: BatchMatMul caches its packed right operand by tensor id
    // (not by shape) until that tensor is disposed, so dy itself must not be handed to it.
    dyc = backend.makeOutput([mc, outChannels], 'float32');
    const dyv = f32(backend, dy);
    const heap = new Float32Array(dyv.buffer);
    const dyStart = (dyv.byteOffset >> 2) + r0 * outWidth * outChannels;
    heap.copyWithin(f32(backend, dyc).byteOffset >> 2, dyStart, dyStart + mc * outChannels);
    if (!pointwise) {
      gatherChunk(heap, f32(backend, col).byteOffset >> 2, mc, f32(backend, xT).byteOffset >> 2, info, r0, r1);
    }
    return batchMatMul({
      inputs: { a: col, b: dyc },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  } finally {
    if (!pointwise) backend.disposeData(col.dataId);
    if (dyc !== null) backend.disposeData(dyc.dataId);
  }
}

/**
 * Computes the gradient of a 2-D convolution with respect to its filter on the wasm backend.
 *
 * @param args.inputs `x` [N, H, W, inC] and `dy` [N, outH, outW, outC], float32, NHWC.
 * @param args.attrs strides, pad ('same' | 'valid' | number | explicit), dilations (optional),
 *   dimRoundingMode and filterShape [kh, kw, inC, outC]; `dataFormat` must be 'NHWC'.
 * @returns the filter gradient, shaped `filterShape`.
 * @throws Error for NCHW data, non-float32 inputs or a `dy` whose shape does not match the geometry.
 */
export function conv2DBackpropFilterWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') {
    throw new Error("Conv2DBackpropFilter (wasm): dataFormat 'NCHW' is not supported; use NHWC (the only layout the wasm backend runs).");
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): expected float32 x and dy, got ${x.dtype} and ${dy.dtype}.`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`Conv2DBackpropFilter (wasm): x and dy must be rank 4, got [${x.shape}] and [${dy.shape}].`);
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, attrs.dilations ?? 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const expected = [batchSize, outHeight, outWidth, outChannels];
  if (dy.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`Conv2DBackpropFilter (wasm): dy has shape [${dy.shape}] but x [${x.shape}] with filter [${filterShape}] ` + `gives [${expected}].`);
  }
  const K = filterShape[0] * filterShape[1] * filterShape[2];
  const rows = batchSize * outHeight; // one "row" = one output image row
  const outSize = K * outChannels;
  if (rows === 0 || outWidth === 0 || outSize === 0) {
    const zeros = backend.makeOutput(filterShape, 'float32');
    if (outSize > 0) f32(backend, zeros).fill(0);
    return zeros;
  }

  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (matMul === undefined || transpose === undefined) {
    throw new Error("Conv2DBackpropFilter (wasm): kernels 'BatchMatMul' and 'Transpose' must be registered for wasm.");
  }
  const pointwise =
    filterShape[0] === 1 &&
    filterShape[1] === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    outHeight === info.inHeight &&
    outWidth === info.inWidth &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0;
  const rowsPerChunk = pointwise ? rows : Math.max(1, Math.floor(COL_BUDGET_FLOATS / (outWidth * K)));

  // xT [inC, N, H, W]: every input row of one channel is contiguous.
  const xT = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm: [3, 0, 1, 2] } }) as tf.TensorInfo;
  let acc: tf.TensorInfo | null = null;
  try {
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const r1 = Math.min(rows, r0 + rowsPerChunk);
      const part = chunkProduct(backend, matMul.kernelFunc, xT, dy, info, r0, r1, pointwise);
      if (acc === null) {
        acc = part;
      } else {
        const av = f32(backend, { ...acc, shape: [outSize] });
        const pv = f32(backend, { ...part, shape: [outSize] });
        for (let i = 0; i < outSize; i++) av[i] += pv[i];
        backend.disposeData(part.dataId);
      }
    }
  } catch (err) {
    if (acc !== null) backend.disposeData(acc.dataId);
    throw err;
  } finally {
    backend.disposeData(xT.dataId);
  }
  return { dataId: (acc as tf.TensorInfo).dataId, shape: [...filterShape], dtype: 'float32' };
}

/** Kernel config registering {@link conv2DBackpropFilterWasm} as `Conv2DBackpropFilter` for 'wasm'. */
export const conv2DBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
};

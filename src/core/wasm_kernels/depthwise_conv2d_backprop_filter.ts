/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (missing from tfjs-backend-wasm 4.22):
 * the gradient of `depthwiseConv2d` with respect to its filter [kh, kw, inC, chMul].
 *
 * dW[ky, kx, c, q] = Σ_{n, oy, ox} x[n, iy, ix, c] · dy[n, oy, ox, c·chMul + q],
 * iy = oy·sh + ky·dh − top, ix = ox·sw + kx·dw − left.
 *
 * There is no channel mixing, so this is not a matrix product: one pass over the output positions
 * with the channel loop innermost (contiguous in x, dy and dW), accumulating in float64.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/** Arguments the engine passes to the kernel. */
interface Args {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: BackendWasm;
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs;
}

/**
 * Computes the gradient of a depthwise 2-D convolution with respect to its filter on the wasm backend.
 *
 * @param args.inputs `x` [N, H, W, inC] and `dy` [N, outH, outW, inC·chMul], float32, NHWC.
 * @param args.attrs strides, dilations, pad, dimRoundingMode and filterShape [kh, kw, inC, chMul].
 * @returns the filter gradient, shaped `filterShape`.
 * @throws Error for non-float32 inputs or a `dy` whose shape does not match the geometry.
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`DepthwiseConv2dNativeBackpropFilter (wasm): expected float32 x and dy, got ${x.dtype}, ${dy.dtype}.`);
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const expected = [batchSize, outHeight, outWidth, outChannels];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`DepthwiseConv2dNativeBackpropFilter (wasm): dy has shape [${dy.shape}] but x [${x.shape}] with filter ` + `[${filterShape}] gives [${expected}].`);
  }
  const chMul = outChannels / inChannels;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(filterHeight * filterWidth * outChannels);

  const out = backend.makeOutput([...filterShape], 'float32');
  // Views are taken after the allocation, which may have grown (and detached) the heap.
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const dyRow = (n * outHeight + oy) * outWidth;
      for (let ky = 0; ky < filterHeight; ky++) {
        const iy = oy * strideHeight + ky * dilationHeight - top;
        if (iy < 0 || iy >= inHeight) continue;
        const xRow = (n * inHeight + iy) * inWidth;
        for (let kx = 0; kx < filterWidth; kx++) {
          const wBase = (ky * filterWidth + kx) * outChannels;
          const ix0 = kx * dilationWidth - left;
          const lo = ix0 >= 0 ? 0 : Math.min(outWidth, Math.ceil(-ix0 / strideWidth));
          const hi = Math.min(outWidth, Math.ceil((inWidth - ix0) / strideWidth));
          for (let ox = lo; ox < hi; ox++) {
            const xBase = (xRow + ix0 + ox * strideWidth) * inChannels;
            const dyBase = (dyRow + ox) * outChannels;
            if (chMul === 1) {
              for (let c = 0; c < inChannels; c++) acc[wBase + c] += xv[xBase + c] * dyv[dyBase + c];
            } else {
              for (let c = 0, o = 0; c < inChannels; c++) {
                const xc = xv[xBase + c];
                for (let q = 0; q < chMul; q++, o++) acc[wBase + o] += xc * dyv[dyBase + o];
              }
            }
          }
        }
      }
    }
  }
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}

/** Kernel config registering {@link depthwiseConv2dNativeBackpropFilterWasm} for 'wasm'. */
export const depthwiseConv2dNativeBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as unknown as tf.KernelFunc,
};

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing from tfjs-backend-wasm 4.22):
 * the gradient of `depthwiseConv2d` with respect to its input.
 *
 * dx[n, iy, ix, c] = Σ_{ky, kx, q} dy[n, oy, ox, c·chMul + q] · w[ky, kx, c, q]
 * over the (oy, ox) with iy = oy·sh + ky·dh − top and ix = ox·sw + kx·dw − left.
 *
 * Computed as a scatter from every output position into dx with the channel loop innermost
 * (contiguous in dy, w and dx); each dx element receives at most kh·kw·chMul terms.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/** Arguments the engine passes to the kernel. */
interface Args {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: BackendWasm;
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs;
}

/**
 * Computes the gradient of a depthwise 2-D convolution with respect to its input on the wasm backend.
 *
 * @param args.inputs `dy` [N, outH, outW, inC·chMul] and `filter` [kh, kw, inC, chMul], float32, NHWC.
 * @param args.attrs strides, dilations, pad, dimRoundingMode and inputShape [N, H, W, inC].
 * @returns the input gradient, shaped `inputShape`.
 * @throws Error for non-float32 inputs or a `dy` whose shape does not match the geometry.
 */
export function depthwiseConv2dNativeBackpropInputWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new Error(`DepthwiseConv2dNativeBackpropInput (wasm): expected float32 dy and filter, got ${dy.dtype}, ${filter.dtype}.`);
  }
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, dilations ?? 1, pad, dimRoundingMode, true, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const expected = [batchSize, outHeight, outWidth, outChannels];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`DepthwiseConv2dNativeBackpropInput (wasm): dy has shape [${dy.shape}] but input [${inputShape}] with ` + `filter [${filter.shape}] gives [${expected}].`);
  }
  const chMul = outChannels / inChannels;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const out = backend.makeOutput([...inputShape], 'float32');
  // Views are taken after the allocation, which may have grown (and detached) the heap.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const wv = backend.typedArrayFromHeap(filter) as Float32Array;
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
              for (let c = 0; c < inChannels; c++) dx[xBase + c] += dyv[dyBase + c] * wv[wBase + c];
            } else {
              for (let c = 0, o = 0; c < inChannels; c++) {
                let s = 0;
                for (let q = 0; q < chMul; q++, o++) s += dyv[dyBase + o] * wv[wBase + o];
                dx[xBase + c] += s;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** Kernel config registering {@link depthwiseConv2dNativeBackpropInputWasm} for 'wasm'. */
export const depthwiseConv2dNativeBackpropInputWasmConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInputWasm as unknown as tf.KernelFunc,
};

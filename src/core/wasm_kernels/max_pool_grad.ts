/**
 * `MaxPoolGrad` for the wasm backend, replacing the one shipped in tfjs-backend-wasm 4.22, which
 * returns wrong gradients for many geometries (e.g. 2x2 stride 2 'valid' on 8x8, 3x3 stride 2
 * 'same' on 9x11: the gradient does not even sum to Σdy).
 *
 * dx[argmax of each pooling window] += dy[window], the argmax being the first maximum in
 * row-major window order (as TensorFlow and the cpu backend do); padding never wins. One pass over
 * the windows with the channel loop innermost (contiguous in x, dy and dx).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/** Arguments the engine passes to the kernel. */
interface Args {
  inputs: { dy: tf.TensorInfo; input: tf.TensorInfo; output?: tf.TensorInfo };
  backend: BackendWasm;
  attrs: tf.MaxPoolGradAttrs;
}

/**
 * Computes the gradient of a 2-D max pool with respect to its input on the wasm backend.
 *
 * @param args.inputs `dy` [N, outH, outW, C] and the pool's `input` [N, H, W, C], float32, NHWC
 *   (the pool's `output` is accepted and not needed).
 * @param args.attrs filterSize, strides, pad and dimRoundingMode of the forward pool.
 * @returns the input gradient, shaped like `input`.
 * @throws Error for non-float32 inputs or a `dy` whose shape does not match the geometry.
 */
export function maxPoolGradWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    throw new Error(`MaxPoolGrad (wasm): expected float32 dy and input, got ${dy.dtype}, ${input.dtype}.`);
  }
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth, dilationHeight, dilationWidth } = info;
  const expected = [batchSize, outHeight, outWidth, inChannels];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`MaxPoolGrad (wasm): dy has shape [${dy.shape}] but input [${input.shape}] pooled gives [${expected}].`);
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const C = inChannels;
  const best = new Float32Array(C);
  const where = new Int32Array(C);

  const out = backend.makeOutput([...input.shape], 'float32');
  // Views are taken after the allocation, which may have grown (and detached) the heap.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const xv = backend.typedArrayFromHeap(input) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const ix0 = ox * strideWidth - left;
        let found = false;
        for (let wy = 0; wy < effectiveFilterHeight; wy += dilationHeight) {
          const iy = iy0 + wy;
          if (iy < 0 || iy >= inHeight) continue;
          for (let wx = 0; wx < effectiveFilterWidth; wx += dilationWidth) {
            const ix = ix0 + wx;
            if (ix < 0 || ix >= inWidth) continue;
            const xb = ((n * inHeight + iy) * inWidth + ix) * C;
            if (!found) {
              for (let c = 0; c < C; c++) {
                best[c] = xv[xb + c];
                where[c] = xb + c;
              }
              found = true;
            } else {
              for (let c = 0; c < C; c++) {
                const v = xv[xb + c];
                if (v > best[c]) {
                  best[c] = v;
                  where[c] = xb + c;
                }
              }
            }
          }
        }
        if (!found) continue;
        const dyb = ((n * outHeight + oy) * outWidth + ox) * C;
        for (let c = 0; c < C; c++) dx[where[c]] += dyv[dyb + c];
      }
    }
  }
  return out;
}

/** Kernel config registering {@link maxPoolGradWasm} as `MaxPoolGrad` for 'wasm'. */
export const maxPoolGradWasmConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as tf.KernelFunc,
};

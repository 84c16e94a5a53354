/**
 * Registration of the training kernels that `@tensorflow/tfjs-backend-wasm` 4.22 lacks or gets wrong.
 */
import { tf } from '../tf.js';
import { batchMatMulWasmConfig } from './batch_mat_mul.js';
import { conv2DBackpropFilterWasmConfig } from './conv2d_backprop_filter.js';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './depthwise_conv2d_backprop_filter.js';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './depthwise_conv2d_backprop_input.js';
import { maxPoolGradWasmConfig } from './max_pool_grad.js';
import { identitySharingWasmConfig } from './identity.js';
import { unsortedSegmentSumWasmConfig } from './unsorted_segment_sum.js';

/** Kernels the wasm backend does not have: added unless something already provides them. */
const MISSING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  unsortedSegmentSumWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
];

/** Kernels the wasm backend ships with wrong results or a slow path: replaced by ours. */
const REPLACED_KERNELS: readonly tf.KernelConfig[] = [maxPoolGradWasmConfig, identitySharingWasmConfig, batchMatMulWasmConfig];

/**
 * Registers, for backend 'wasm', the training kernels that `@tensorflow/tfjs-backend-wasm` lacks —
 * `Conv2DBackpropFilter`, `UnsortedSegmentSum` (gradient of `gather`) and the two gradients of
 * `depthwiseConv2d` — and replaces its `MaxPoolGrad`, which is wrong for many pool geometries, and its
 * `Identity`, which copies every tensor the gradient tape saves (ours shares the buffer), and its
 * `BatchMatMul`, whose batched and transposed products run a scalar loop (ours keeps them on XNNPACK).
 *
 * Idempotent: it can be called any number of times, before or after the backend is initialised.
 * A missing kernel that is already registered (by an earlier call, or natively by a later tfjs
 * version) is left alone; a replaced kernel is registered again only if it is not already ours.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of MISSING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
  for (const config of REPLACED_KERNELS) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current === config) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
}

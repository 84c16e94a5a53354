/**
 * `Identity` for the wasm backend that shares its input's buffer instead of copying it.
 *
 * tfjs's gradient tape saves every tensor it needs for backward through `clone`, i.e. this kernel;
 * tfjs-backend-wasm 4.22's `Identity` copies the data, so every saved activation was stored twice
 * while its original was alive and a copy was paid for each one (hundreds per Swin training step).
 * The cpu backend shares the buffer (reference count), and the wasm backend's own `Reshape` already
 * does, so shared buffers are safe there: no wasm kernel writes into its input.
 */
import { tf } from '../tf.js';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function identitySharing(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  (args.backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registry entry replacing wasm's copying `Identity`. */
export const identitySharingWasmConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identitySharing as unknown as tf.KernelFunc,
};

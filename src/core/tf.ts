/**
 * The single entry point to TensorFlow.js for the whole framework.
 *
 * `@tensorflow/tfjs` is imported (not only `tfjs-core`) because it registers the
 * gradient of every kernel; the `cpu` backend comes with it and the `wasm`
 * backend is registered here as well. `@tensorflow/tfjs-node(-gpu)` registers
 * the `tensorflow` backend into this same core when {@link selectBackend} loads it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };

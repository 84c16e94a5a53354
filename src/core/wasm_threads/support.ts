/** Whether this JavaScript engine can run tfjs-backend-wasm's threaded-SIMD build. */
import { createRequire } from 'node:module';
import { tf } from '../tf.js';

const requireFromHere = createRequire(import.meta.url);

/**
 * Why the threaded-SIMD build cannot run here, or null when it can: it needs
 * `SharedArrayBuffer`, shared WebAssembly memory, wasm SIMD and `worker_threads`.
 */
export async function wasmThreadsUnavailableReason(): Promise<string | null> {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(memory.buffer instanceof SharedArrayBuffer)) return 'WebAssembly memory cannot be shared';
  } catch (err) {
    return `WebAssembly memory cannot be shared (${err instanceof Error ? err.message : String(err)})`;
  }
  if ((await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) !== true) return 'WebAssembly SIMD is not supported';
  try {
    requireFromHere('node:worker_threads');
  } catch {
    return "Node's worker_threads module is not available";
  }
  return null;
}

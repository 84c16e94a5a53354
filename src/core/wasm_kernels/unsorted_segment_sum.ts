/**
 * `UnsortedSegmentSum` for the wasm backend (the gradient of `gather`), with TensorFlow semantics:
 *
 *   out[s, ...] = Σ_{i : segmentIds[i] = s} x[i, ...],   out shape [numSegments, ...x.shape.slice(ids.rank)]
 *
 * Ids that are negative or ≥ numSegments are skipped. One pass over typed-array views of the
 * wasm heap; each id adds a contiguous run of `inner` values.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/** Arguments the engine passes to the kernel. */
interface Args {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: BackendWasm;
  attrs: tf.UnsortedSegmentSumAttrs;
}

/**
 * Sums the slices of `x` that share a segment id, on the wasm backend.
 *
 * @param args.inputs `x` (float32 or int32) and `segmentIds` (int32), whose shape is a prefix of x's.
 * @param args.attrs `numSegments`, the size of the output's first dimension.
 * @returns a tensor of shape [numSegments, ...x.shape.slice(segmentIds.rank)] and x's dtype.
 * @throws Error when the shapes are incompatible or numSegments is not a non-negative integer.
 */
export function unsortedSegmentSumWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum (wasm): numSegments must be a non-negative integer, got ${numSegments}.`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): x must be float32 or int32, got ${x.dtype}.`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be int32, got ${segmentIds.dtype}.`);
  }
  const idRank = segmentIds.shape.length;
  if (idRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}].`);
  }
  const innerShape = x.shape.slice(idRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const outShape = [numSegments, ...innerShape];
  const outSize = numSegments * inner;

  const out = backend.makeOutput(outShape, x.dtype);
  if (outSize === 0) return out;
  // Views are taken after the allocation, which may have grown (and detached) the heap.
  const ov = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  ov.fill(0);
  const nIds = tf.util.sizeFromShape(segmentIds.shape);
  if (nIds === 0 || inner === 0) return out;
  const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    let o = s * inner;
    const end = o + inner;
    let src = i * inner;
    while (o < end) ov[o++] += xv[src++];
  }
  return out;
}

/** Kernel config registering {@link unsortedSegmentSumWasm} as `UnsortedSegmentSum` for 'wasm'. */
export const unsortedSegmentSumWasmConfig: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
};

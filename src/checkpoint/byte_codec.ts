/**
 * Conversion between raw element bytes (little- or big-endian) and the typed
 * arrays of host tensors. The result never aliases the input bytes.
 */

import { DTYPE_INFO, type HostData, type HostDataMap, type HostDType } from './host_tensor.js';

/** True when this machine stores typed arrays little-endian. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `itemsize`-byte element, in place. */
export function byteSwapInPlace(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * Returns `count` elements of `dtype` read from `bytes` (stored with the given
 * byte order) as a properly aligned typed array. The result is a copy unless
 * `owned` is true (the caller hands over `bytes` and will not touch them
 * again), the byte order is the host's and the bytes are aligned — then it
 * is a view of the same memory.
 */
export function decodeElements<D extends HostDType>(dtype: D, bytes: Uint8Array, count: number, littleEndian = true, owned = false): HostDataMap[D] {
  const info = DTYPE_INFO[dtype];
  const nbytes = count * info.itemsize;
  if (bytes.length < nbytes) {
    throw new RangeError(`decodeElements: expected ${nbytes} bytes for ${count} ${dtype} elements, found ${bytes.length}`);
  }
  if (owned && littleEndian === HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % info.itemsize === 0) {
    return new info.arrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, count) as HostDataMap[D];
  }
  const copy = new Uint8Array(nbytes);
  copy.set(bytes.subarray(0, nbytes));
  if (littleEndian !== HOST_IS_LITTLE_ENDIAN) byteSwapInPlace(copy, info.itemsize);
  return new info.arrayType(copy.buffer, 0, count) as HostDataMap[D];
}

/**
 * Returns the little-endian bytes of a typed array. On a little-endian host
 * this is a view of the same memory (no copy); otherwise a swapped copy.
 */
export function encodeElementsLE(data: HostData, itemsize: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return view;
  const copy = Uint8Array.from(view);
  byteSwapInPlace(copy, itemsize);
  return copy;
}

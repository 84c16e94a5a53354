/**
 * Materialises a strided view of a storage (what `torch.Tensor.as_strided`
 * describes) as a dense C-order host tensor: storage offset, arbitrary
 * non-negative strides (transposed views, slices with steps, 0-stride
 * expanded dimensions), 0-d and empty tensors.
 */

import { formatShape } from '../../core/errors.js';
import { DTYPE_INFO, numel, type HostDataMap, type HostDType, type HostTensor } from '../host_tensor.js';

/**
 * Copies the elements of the view (offset, shape, stride) of `storage` into a
 * new dense tensor. Throws a RangeError, prefixed by `what`, when the view
 * reaches outside the storage or the geometry is malformed.
 */
export function materializeStrided<D extends HostDType>(dtype: D, storage: HostDataMap[D], offset: number, shape: readonly number[], stride: readonly number[], what: string): HostTensor<D> {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`${what}: expected a non-negative storage offset, found ${offset}`);
  if (shape.length !== stride.length) {
    throw new RangeError(`${what}: size ${formatShape(shape)} and stride ${formatShape(stride)} have different lengths`);
  }
  if (!stride.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new RangeError(`${what}: expected non-negative integer strides, found ${formatShape(stride)}`);
  }
  const n = numel(shape);
  const out = new DTYPE_INFO[dtype].arrayType(n) as HostDataMap[D];
  const dims = [...shape];
  if (n === 0) return { dtype, shape: dims, data: out };

  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
  if (last >= storage.length) {
    throw new RangeError(`${what}: view (offset ${offset}, size ${formatShape(shape)}, stride ${formatShape(stride)}) reaches element ${last}, ` + `but the storage holds ${storage.length} elements`);
  }

  if (isContiguous(shape, stride)) {
    (out as { set(a: ArrayLike<unknown>): void }).set(storage.subarray(offset, offset + n) as ArrayLike<unknown>);
    return { dtype, shape: dims, data: out };
  }

  // Odometer over all dimensions but the last; the innermost loop is a strided copy.
  const src = storage as unknown as ArrayLike<number> & { [i: number]: number };
  const dst = out as unknown as { [i: number]: number };
  const rank = shape.length;
  const innerSize = shape[rank - 1];
  const innerStride = stride[rank - 1];
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let k = 0, p = base; k < innerSize; k++, p += innerStride) dst[o++] = src[p];
    let d = rank - 2;
    while (d >= 0) {
      index[d]++;
      base += stride[d];
      if (index[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      index[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return { dtype, shape: dims, data: out };
}

/** True when the strides are those of a C-contiguous layout (size-1 dims ignored). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Small layout operations on host tensors, used by checkpoint converters. */
import { numel, toFloat32, type HostTensor } from '../host_tensor.js';

/** Permutes the axes of a tensor (as `x.permute(perm)` followed by `.contiguous()`). Any dtype is converted to float32. */
export function permuteHost(t: HostTensor, perm: readonly number[]): HostTensor<'float32'> {
  const src = toFloat32(t);
  const shape = src.shape;
  const outShape = perm.map((p) => shape[p]);
  const rank = shape.length;
  const srcStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= shape[i];
  }
  const stridesInOut = perm.map((p) => srcStrides[p]);
  const out = new Float32Array(numel(outShape));
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += idx[d] * stridesInOut[d];
    out[o] = src.data[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: 'float32', shape: outShape, data: out };
}

/** Same data, new shape (element count must match). */
export function reshapeHost<T extends HostTensor>(t: T, shape: number[]): T {
  if (numel(shape) !== numel(t.shape)) throw new RangeError(`reshape: [${t.shape}] has ${numel(t.shape)} elements, not ${numel(shape)}`);
  return { ...t, shape: [...shape] };
}

/** Picks entries along axis 0 in the given order. */
export function takeRowsHost(t: HostTensor, rows: readonly number[]): HostTensor<'float32'> {
  const src = toFloat32(t);
  const inner = numel(src.shape.slice(1));
  const out = new Float32Array(rows.length * inner);
  rows.forEach((r, i) => out.set(src.data.subarray(r * inner, (r + 1) * inner), i * inner));
  return { dtype: 'float32', shape: [rows.length, ...src.shape.slice(1)], data: out };
}

/**
 * Host tensors: a dtype, a shape and a typed array in C (row-major) order.
 * They are what the checkpoint readers return and the writers accept; they
 * do not depend on TensorFlow.js.
 */

import { CheckpointError, formatShape } from '../core/errors.js';
import { decodeBFloat16Array, decodeFloat16Array } from './half.js';

/**
 * The typed array that holds each dtype. float16 and bfloat16 hold their raw
 * 16-bit patterns; bool holds 0 or 1 per element.
 */
export interface HostDataMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** Element types a host tensor can have. */
export type HostDType = keyof HostDataMap;

/** Any of the typed arrays a host tensor can hold. */
export type HostData = HostDataMap[HostDType];

/**
 * A dense tensor in host memory. `data.length` equals `numel(shape)`;
 * elements are in C order. `shape` is `[]` for a 0-d (scalar) tensor.
 */
export interface HostTensor<D extends HostDType = HostDType> {
  /** Element type. */
  dtype: D;
  /** Dimensions, outermost first. */
  shape: number[];
  /** Elements in C order (float16/bfloat16 as raw bit patterns). */
  data: HostDataMap[D];
}

/** Static facts about one dtype. */
export interface DTypeInfo {
  /** Bytes per element. */
  itemsize: number;
  /** Constructor of the typed array that holds it. */
  arrayType:
    | Float32ArrayConstructor
    | Float64ArrayConstructor
    | Uint16ArrayConstructor
    | BigInt64ArrayConstructor
    | Int32ArrayConstructor
    | Int16ArrayConstructor
    | Int8ArrayConstructor
    | Uint8ArrayConstructor;
  /** True for float32/float64/float16/bfloat16. */
  isFloat: boolean;
}

/** Itemsize and storage array type of every host dtype. */
export const DTYPE_INFO: Readonly<Record<HostDType, DTypeInfo>> = {
  float32: { itemsize: 4, arrayType: Float32Array, isFloat: true },
  float64: { itemsize: 8, arrayType: Float64Array, isFloat: true },
  float16: { itemsize: 2, arrayType: Uint16Array, isFloat: true },
  bfloat16: { itemsize: 2, arrayType: Uint16Array, isFloat: true },
  int64: { itemsize: 8, arrayType: BigInt64Array, isFloat: false },
  int32: { itemsize: 4, arrayType: Int32Array, isFloat: false },
  int16: { itemsize: 2, arrayType: Int16Array, isFloat: false },
  int8: { itemsize: 1, arrayType: Int8Array, isFloat: false },
  uint8: { itemsize: 1, arrayType: Uint8Array, isFloat: false },
  bool: { itemsize: 1, arrayType: Uint8Array, isFloat: false },
};

/** True when `value` is one of the host dtype names. */
export function isHostDType(value: unknown): value is HostDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_INFO, value);
}

/**
 * Number of elements of a shape (1 for `[]`). Throws a RangeError when a
 * dimension is not a non-negative integer or the product is not a safe integer.
 */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`numel: expected non-negative integer dimensions, found shape ${formatShape(shape)}`);
    }
    n *= d;
    if (!Number.isSafeInteger(n)) {
      throw new RangeError(`numel: element count of shape ${formatShape(shape)} exceeds 2^53`);
    }
  }
  return n;
}

/** Allocates a zero-filled host tensor. */
export function emptyHostTensor<D extends HostDType>(dtype: D, shape: number[]): HostTensor<D> {
  const data = new DTYPE_INFO[dtype].arrayType(numel(shape)) as HostDataMap[D];
  return { dtype, shape: [...shape], data };
}

/**
 * True when `value` is a structurally valid host tensor: a known dtype, an
 * integer shape and the matching typed array with `numel(shape)` elements.
 */
export function isHostTensor(value: unknown): value is HostTensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (!isHostDType(v.dtype) || !Array.isArray(v.shape)) return false;
  if (!v.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return false;
  const info = DTYPE_INFO[v.dtype];
  return v.data instanceof info.arrayType && (v.data as HostData).length === numel(v.shape as number[]);
}

/**
 * Throws an error of `ErrorClass` (CheckpointError by default), naming `what`,
 * unless `t` is a valid host tensor whose data length matches its shape.
 */
export function assertHostTensor(t: unknown, what: string, ErrorClass: new (message: string) => Error = CheckpointError): asserts t is HostTensor {
  if (typeof t !== 'object' || t === null) {
    throw new ErrorClass(`${what}: expected a HostTensor {dtype, shape, data}, found ${describe(t)}`);
  }
  const v = t as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (!isHostDType(v.dtype)) {
    throw new ErrorClass(`${what}: expected dtype one of ${Object.keys(DTYPE_INFO).join(', ')}, found ${JSON.stringify(v.dtype)}`);
  }
  if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new ErrorClass(`${what}: expected shape to be an array of non-negative integers, found ${describe(v.shape)}`);
  }
  const info = DTYPE_INFO[v.dtype];
  if (!(v.data instanceof info.arrayType)) {
    throw new ErrorClass(`${what}: expected dtype ${v.dtype} data in a ${info.arrayType.name}, found ${describe(v.data)}`);
  }
  const n = numel(v.shape as number[]);
  if ((v.data as HostData).length !== n) {
    throw new ErrorClass(`${what}: shape ${formatShape(v.shape as number[])} needs ${n} elements, data has ${(v.data as HostData).length}`);
  }
}

/**
 * Converts any host tensor to float32. float16 and bfloat16 are decoded
 * exactly; float64 and integers are rounded to the nearest float32. Returns
 * the input itself when it already is float32.
 */
export function toFloat32(t: HostTensor): HostTensor<'float32'> {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return t as HostTensor<'float32'>;
    case 'float16':
      return { dtype: 'float32', shape, data: decodeFloat16Array(t.data as Uint16Array) };
    case 'bfloat16':
      return { dtype: 'float32', shape, data: decodeBFloat16Array(t.data as Uint16Array) };
    case 'int64': {
      const src = t.data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return { dtype: 'float32', shape, data: out };
    }
    default:
      return { dtype: 'float32', shape, data: Float32Array.from(t.data as ArrayLike<number>) };
  }
}

/**
 * Converts an integer or bool host tensor to int32. int64 values outside
 * [-2^31, 2^31) throw a RangeError naming `what` and the offending element.
 * Float tensors are rejected (use toFloat32 for them).
 */
export function toInt32(t: HostTensor, what = 'tensor'): HostTensor<'int32'> {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'int32':
      return t as HostTensor<'int32'>;
    case 'int64': {
      const src = t.data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v < -2147483648n || v > 2147483647n) {
          throw new RangeError(`${what}: expected int64 values within int32 range [-2147483648, 2147483647], found ${v} at flat index ${i}`);
        }
        out[i] = Number(v);
      }
      return { dtype: 'int32', shape, data: out };
    }
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'bool':
      return { dtype: 'int32', shape, data: Int32Array.from(t.data as ArrayLike<number>) };
    default:
      throw new RangeError(`${what}: expected an integer or bool tensor for int32 conversion, found dtype ${t.dtype}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

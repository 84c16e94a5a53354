/**
 * The built-in whitelist of Python globals the safe unpickler understands:
 * containers (`collections.OrderedDict`, `builtins.set`, ...), `_codecs.encode`
 * (how protocol 2 stores bytes), `copyreg` helpers and NumPy scalars and
 * arrays. Each handler only builds data; unknown globals are left to the
 * unpickler, which turns them into inert PickleObjects.
 */

import { decodeElements } from '../byte_codec.js';
import { float16BitsToNumber } from '../half.js';
import { DTYPE_INFO, numel, type HostDType, type HostTensor } from '../host_tensor.js';
import { PickleCallable, PickleGlobal, PickleObject, type PickleBuildable } from './pickle_types.js';

/** Returns the handler for a global, or undefined when it is not whitelisted. */
export function resolveBuiltinGlobal(module: string, name: string): unknown {
  const key = `${module === '__builtin__' ? 'builtins' : module === 'copy_reg' ? 'copyreg' : module}.${name}`;
  const normalized = key.replace(/^numpy\._core\./, 'numpy.core.');
  if (!Object.prototype.hasOwnProperty.call(HANDLERS, normalized)) return undefined;
  return new PickleCallable(module, name, HANDLERS[normalized]);
}

type Handler = (args: readonly unknown[], kwargs?: Map<unknown, unknown>) => unknown;

const HANDLERS: Readonly<Record<string, Handler>> = {
  'collections.OrderedDict': (args) => toMap(args[0]),
  'collections.defaultdict': () => new Map(),
  'builtins.dict': (args) => toMap(args[0]),
  'builtins.list': (args) => (args.length === 0 ? [] : [...iterate(args[0])]),
  'builtins.tuple': (args) => Object.freeze(args.length === 0 ? [] : [...iterate(args[0])]),
  'builtins.set': (args) => new Set(args.length === 0 ? [] : iterate(args[0])),
  'builtins.frozenset': (args) => new Set(args.length === 0 ? [] : iterate(args[0])),
  'builtins.bytearray': (args) => toBytes(args[0], args[1]),
  'builtins.bytes': (args) => toBytes(args[0], args[1]),
  '_codecs.encode': (args) => toBytes(args[0], args[1]),
  'copyreg._reconstructor': (args) => instantiate(args[0], []),
  'copyreg.__newobj__': (args) => instantiate(args[0], args.slice(1)),
  'numpy.dtype': (args) => new NumpyDType(String(args[0])),
  'numpy.core.multiarray.scalar': (args) => numpyScalar(args[0], args[1]),
  'numpy.core.multiarray._reconstruct': (args) => new NumpyArrayPlaceholder(args),
};

function instantiate(cls: unknown, args: readonly unknown[]): unknown {
  if (cls instanceof PickleGlobal) return new PickleObject(cls.module, cls.name, args);
  if (cls instanceof PickleCallable) return cls.call(args);
  return new PickleObject('<unknown>', 'object', args);
}

function* iterate(value: unknown): Iterable<unknown> {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) || value instanceof Set) yield* value;
  else if (value instanceof Map) yield* value.keys();
  else if (typeof value === 'string') yield* value;
  else throw new Error(`expected an iterable argument, found ${typeof value}`);
}

function toMap(value: unknown): Map<unknown, unknown> {
  if (value instanceof Map) return new Map(value);
  const m = new Map<unknown, unknown>();
  for (const pair of iterate(value)) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error('expected (key, value) pairs');
    m.set(pair[0], pair[1]);
  }
  return m;
}

/** bytes(str, encoding) / bytearray(...) / _codecs.encode(str, encoding). */
function toBytes(value: unknown, encoding: unknown): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  if (typeof value === 'number') return new Uint8Array(value);
  if (typeof value !== 'string') throw new Error(`expected a string to encode, found ${typeof value}`);
  const enc = typeof encoding === 'string' ? encoding.toLowerCase().replace(/_/g, '-') : 'utf-8';
  if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1' || enc === 'ascii') {
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) throw new Error(`character U+${c.toString(16)} cannot be encoded as ${enc}`);
      out[i] = c;
    }
    return out;
  }
  if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(value);
  throw new Error(`unsupported encoding ${JSON.stringify(encoding)}; expected latin1 or utf-8`);
}

/** numpy dtype kind+size (e.g. 'f4') → host dtype. */
const NUMPY_KIND: Readonly<Record<string, HostDType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
};

/** A `numpy.dtype` as pickled: a type string plus the byte order from its BUILD state. */
export class NumpyDType implements PickleBuildable {
  /** '<', '>' or '|' once BUILD has run. */
  byteOrder = '<';
  /** Other parts of the pickled state, kept for inspection. */
  state: unknown;

  /** @param code NumPy type code such as 'f8', 'i8', 'b1', 'O8', 'U5'. */
  constructor(readonly code: string) {}

  /** Host dtype, or undefined for types without one. */
  get hostDType(): HostDType | undefined {
    return Object.prototype.hasOwnProperty.call(NUMPY_KIND, this.code) ? NUMPY_KIND[this.code] : undefined;
  }

  /** Records the byte order from the state tuple `(version, byteorder, ...)`. */
  setState(state: unknown): unknown {
    this.state = state;
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteOrder = state[1];
    return this;
  }
}

/** numpy.core.multiarray.scalar(dtype, bytes) → number / bigint / boolean. */
function numpyScalar(dtype: unknown, raw: unknown): unknown {
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? toBytes(raw, 'latin1') : undefined;
  const host = dtype instanceof NumpyDType ? dtype.hostDType : undefined;
  if (bytes === undefined || host === undefined || bytes.length !== DTYPE_INFO[host].itemsize) {
    return new PickleObject('numpy.core.multiarray', 'scalar', [dtype, raw]);
  }
  const decoded = decodeElements(host, bytes, 1, (dtype as NumpyDType).byteOrder !== '>');
  if (host === 'bool') return decoded[0] !== 0;
  if (host === 'float16') return float16BitsToNumber(decoded[0] as number);
  const v = decoded[0];
  return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` placeholder: its
 * BUILD state `(version, shape, dtype, is_fortran, rawdata)` turns it into a
 * HostTensor for supported dtypes, or a PickleObject otherwise.
 */
export class NumpyArrayPlaceholder implements PickleBuildable {
  /** @param args The `_reconstruct` arguments, kept for the opaque fallback. */
  constructor(readonly args: readonly unknown[]) {}

  /** Finishes the array from its pickled state. */
  setState(state: unknown): unknown {
    const opaque = new PickleObject('numpy', 'ndarray', this.args, state);
    if (!Array.isArray(state) || state.length < 5) return opaque;
    const [, shape, dtype, fortran, raw] = state as unknown[];
    const host = dtype instanceof NumpyDType ? dtype.hostDType : undefined;
    const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? toBytes(raw, 'latin1') : undefined;
    if (host === undefined || bytes === undefined || fortran === true) return opaque;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) return opaque;
    const dims = [...(shape as number[])];
    const count = numel(dims);
    if (bytes.length !== count * DTYPE_INFO[host].itemsize) return opaque;
    const tensor: HostTensor = { dtype: host, shape: dims, data: decodeElements(host, bytes, count, (dtype as NumpyDType).byteOrder !== '>') };
    return tensor;
  }
}

/**
 * Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0):
 * the magic string `\x93NUMPY`, a version, a little-endian header length
 * (2 bytes in v1, 4 in v2/v3), a Python-literal header dict with `descr`,
 * `fortran_order` and `shape`, then the raw elements.
 *
 * Supported dtypes: '<f4', '<f8', '<f2', '<i8', '<i4', '<i2', '|i1', '|u1',
 * '|b1' (little-endian, C order). Big-endian data, Fortran order and other
 * dtypes throw a DataError naming the file and what was found.
 */

import { DataError, formatShape } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic_write.js';
import { decodeElements, encodeElementsLE } from './byte_codec.js';
import { bufferSource, fileSource, type ByteSource } from './byte_source.js';
import { assertHostTensor, DTYPE_INFO, numel, type HostDType, type HostTensor } from './host_tensor.js';
import { parsePythonLiteral, type PyLiteral } from './npy_header.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Element type code (descr without byte order) of each supported host dtype. */
const KIND_TO_DTYPE: Readonly<Record<string, HostDType>> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
};

const DTYPE_TO_DESCR: Readonly<Partial<Record<HostDType, string>>> = {
  float32: '<f4',
  float64: '<f8',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};

/** Options of readNpy. */
export interface ReadNpyOptions {
  /** Name used in error messages when reading from a buffer (default `<buffer>`). */
  name?: string;
}

/**
 * Reads a .npy file (by path) or buffer into a HostTensor. Trailing bytes
 * after the data are ignored, as NumPy does; missing bytes throw a DataError.
 */
export function readNpy(pathOrBuffer: string | Uint8Array, options: ReadNpyOptions = {}): HostTensor {
  let src: ByteSource;
  if (typeof pathOrBuffer === 'string') {
    try {
      src = fileSource(pathOrBuffer);
    } catch (err) {
      throw new DataError(`${pathOrBuffer}: expected a readable .npy file (${(err as Error).message})`, { cause: err });
    }
  } else {
    src = bufferSource(pathOrBuffer, options.name ?? '<buffer>');
  }
  try {
    return readFromSource(src);
  } finally {
    src.close();
  }
}

function readFromSource(src: ByteSource): HostTensor {
  const file = src.name;
  const fail: (msg: string) => never = (msg) => {
    throw new DataError(`${file}: ${msg}`);
  };
  const pre = src.read(0, 12);
  if (pre.length < 10 || !MAGIC.every((b, i) => pre[i] === b)) {
    fail(`not a .npy file: expected the magic string \\x93NUMPY and a version, found ${pre.length} bytes starting ${hex(pre.subarray(0, 8))}`);
  }
  const major = pre[6];
  const minor = pre[7];
  const view = new DataView(pre.buffer, pre.byteOffset, pre.length);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (pre.length < 12) fail('truncated .npy preamble: expected a 4-byte header length');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${minor}; expected 1.0, 2.0 or 3.0`);
  }
  const headerBytes = src.read(headerStart, headerLength);
  if (headerBytes.length < headerLength) {
    fail(`truncated .npy header: expected ${headerLength} header bytes, found ${headerBytes.length}`);
  }
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let header: PyLiteral;
  try {
    header = parsePythonLiteral(headerText);
  } catch (err) {
    return fail(`malformed .npy header ${JSON.stringify(headerText.trim())}: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail(`expected the .npy header to be a dict, found ${JSON.stringify(headerText.trim())}`);
  }
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string') {
    return fail(`unsupported dtype ${JSON.stringify(descr)} (structured or missing); expected one of ${Object.values(DTYPE_TO_DESCR).join(', ')}`);
  }
  if (typeof fortran !== 'boolean') fail(`expected 'fortran_order' to be True or False, found ${JSON.stringify(fortran)}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && d >= 0)) {
    return fail(`expected 'shape' to be a tuple of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const dtype = parseDescr(descr, fail);
  if (fortran === true) {
    fail(`fortran_order=True (dtype '${descr}', shape ${formatShape(dims)}) is not supported; expected C order — save np.ascontiguousarray(a) instead`);
  }
  let count = 0;
  try {
    count = numel(dims);
  } catch {
    fail(`shape ${formatShape(dims)} has more than 2^53 elements`);
  }
  const nbytes = count * DTYPE_INFO[dtype].itemsize;
  const dataStart = headerStart + headerLength;
  const bytes = src.read(dataStart, nbytes);
  if (bytes.length < nbytes) {
    fail(`truncated .npy file: the header says dtype '${descr}' shape ${formatShape(dims)} (${nbytes} data bytes), ` + `found only ${bytes.length} data bytes`);
  }
  return { dtype, shape: dims, data: decodeElements(dtype, bytes, count, true, true) }; // fresh bytes
}

function parseDescr(descr: string, fail: (msg: string) => never): HostDType {
  const supported = Object.values(DTYPE_TO_DESCR).join(', ');
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  const dtype = m !== null && Object.prototype.hasOwnProperty.call(KIND_TO_DTYPE, m[2]) ? KIND_TO_DTYPE[m[2]] : undefined;
  if (m === null || dtype === undefined) return fail(`unsupported dtype '${descr}'; expected one of ${supported}`);
  if (m[1] === '>' && DTYPE_INFO[dtype].itemsize > 1) {
    return fail(`big-endian dtype '${descr}' is not supported; expected little-endian '<${m[2]}' — convert with a.astype('<${m[2]}')`);
  }
  return dtype;
}

/**
 * Writes a HostTensor as a .npy file (format 1.0, or 2.0 for headers of 64 KiB
 * and more), C order, little-endian, atomically (temporary file + rename).
 * bfloat16 has no NumPy dtype and throws a DataError.
 */
export function writeNpy(path: string, t: HostTensor): void {
  assertHostTensor(t, `${path}: tensor`, DataError);
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (descr === undefined) {
    throw new DataError(`${path}: dtype ${t.dtype} has no NumPy equivalent; expected one of ${Object.keys(DTYPE_TO_DESCR).join(', ')}`);
  }
  const shapeRepr = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  let major = 1;
  let prefixLength = 10;
  if (dict.length + 1 + prefixLength > 65535) {
    major = 2;
    prefixLength = 12;
  }
  const total = prefixLength + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(dict);
  const preamble = new Uint8Array(prefixLength);
  preamble.set(MAGIC);
  preamble[6] = major;
  preamble[7] = 0;
  const view = new DataView(preamble.buffer);
  if (major === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  const data = encodeElementsLE(t.data, DTYPE_INFO[t.dtype].itemsize);
  writeFileAtomic(
    path,
    (sink) => {
      sink(preamble);
      sink(headerBytes);
      sink(data);
    },
    (msg, cause) => new DataError(msg, { cause }),
  );
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}

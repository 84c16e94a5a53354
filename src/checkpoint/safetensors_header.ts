/**
 * Parsing and validation of the safetensors header, following the format
 * specification (https://github.com/huggingface/safetensors, "Format"):
 *
 * - 8 bytes: N, an unsigned little-endian 64-bit integer, the header size;
 * - N bytes: a UTF-8 JSON object starting with `{`, possibly right-padded
 *   with spaces, mapping tensor names to `{dtype, shape, data_offsets}` plus
 *   an optional `__metadata__` string-to-string map;
 * - the rest: the byte buffer. `data_offsets` are `[begin, end)` relative to
 *   its start; tensors must cover it entirely, without gaps or overlaps.
 *
 * Every check of the reference implementation is applied, and each failure
 * names the file and the offending tensor.
 */

import { CheckpointError, formatShape } from '../core/errors.js';
import type { ByteSource } from './buffer_source.js';
import { DTYPE_INFO, type HostDType } from './host_tensor.js';

/** Largest header accepted, as in the reference implementation (100 MB). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

/** Safetensors dtype codes this library reads and writes. */
export const SAFETENSORS_DTYPE_TO_HOST: Readonly<Record<string, HostDType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** Safetensors dtype code of each host dtype. */
export const HOST_TO_SAFETENSORS_DTYPE: Readonly<Record<HostDType, string>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** Valid spec dtype codes that have no host dtype here. */
const UNSUPPORTED_CODES = new Set(['U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E4M3FN', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/** One tensor entry of a validated header. */
export interface SafetensorsEntry {
  /** Tensor name (the JSON key). */
  name: string;
  /** Element type. */
  dtype: HostDType;
  /** Dimensions. */
  shape: number[];
  /** Start offset in the byte buffer (relative to its first byte). */
  begin: number;
  /** End offset (exclusive) in the byte buffer. */
  end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** N, the JSON header size in bytes; the byte buffer starts at 8 + N. */
  headerSize: number;
  /** Tensor entries sorted by data offset. */
  entries: SafetensorsEntry[];
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

/**
 * Reads and validates the header of a safetensors file or buffer. Throws a
 * CheckpointError naming `src.name` (and the tensor, where one is at fault)
 * for any violation of the format.
 */
export function parseSafetensorsHeader(src: ByteSource): SafetensorsHeader {
  const file = src.name;
  const fail: (msg: string) => never = (msg) => {
    throw new CheckpointError(`${file}: invalid safetensors file: ${msg}`);
  };
  if (src.size < 8) fail(`expected at least 8 bytes (the header length), found a ${src.size}-byte file`);
  const prefix = src.read(0, 8);
  const n64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(SAFETENSORS_MAX_HEADER_SIZE)) {
    fail(`header length ${n64} exceeds the limit of ${SAFETENSORS_MAX_HEADER_SIZE} bytes (corrupt or not a safetensors file)`);
  }
  const n = Number(n64);
  if (8 + n > src.size) {
    fail(`header length says ${n} bytes but only ${src.size - 8} bytes follow the 8-byte length prefix (truncated or not a safetensors file)`);
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(src.read(8, n));
  } catch {
    fail('the JSON header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`expected the JSON header to start with '{', found ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected the header to be a JSON object');

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(info, fail);
      continue;
    }
    entries.push(parseEntry(name, info, fail));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const dataLength = src.size - 8 - n;
  let expected = 0;
  let previous: string | undefined;
  for (const e of entries) {
    const where = `tensor '${e.name}'`;
    if (e.end < e.begin) fail(`${where}: data_offsets [${e.begin}, ${e.end}] end before they begin`);
    if (e.begin !== expected) {
      const after = previous === undefined ? 'the start of the byte buffer' : `the end of tensor '${previous}'`;
      fail(
        `${where}: expected data_offsets to begin at ${expected} (${after}), found [${e.begin}, ${e.end}] — ` +
          (e.begin > expected ? `a gap of ${e.begin - expected} bytes` : `an overlap of ${expected - e.begin} bytes`),
      );
    }
    const elements = checkedNumel(e.shape);
    const nbytes = elements === undefined ? undefined : elements * DTYPE_INFO[e.dtype].itemsize;
    if (nbytes === undefined || !Number.isSafeInteger(nbytes)) fail(`${where}: shape ${formatShape(e.shape)} overflows`);
    if (nbytes !== e.end - e.begin) {
      fail(
        `${where}: expected ${nbytes} bytes for ${HOST_TO_SAFETENSORS_DTYPE[e.dtype]} shape ${formatShape(e.shape)}, ` + `found data_offsets [${e.begin}, ${e.end}] spanning ${e.end - e.begin} bytes`,
      );
    }
    expected = e.end;
    previous = e.name;
  }
  if (expected !== dataLength) {
    fail(
      `expected the tensors to cover the whole ${dataLength}-byte data buffer, found them ending at byte ${expected}` +
        (expected < dataLength ? ` (${dataLength - expected} trailing bytes)` : ` (file truncated by ${expected - dataLength} bytes)`),
    );
  }
  return { headerSize: n, entries, metadata };
}

function parseMetadata(info: unknown, fail: (msg: string) => never): Record<string, string> {
  if (info === null) return {};
  if (typeof info !== 'object' || Array.isArray(info)) {
    fail(`expected __metadata__ to be an object of strings, found ${jsonType(info)}`);
  }
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`expected __metadata__ value '${k}' to be a string, found ${jsonType(v)}`);
    pairs.push([k, v as string]);
  }
  return Object.fromEntries(pairs);
}

function parseEntry(name: string, info: unknown, fail: (msg: string) => never): SafetensorsEntry {
  const where = `tensor '${name}'`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    return fail(`${where}: expected an object {dtype, shape, data_offsets}, found ${jsonType(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') return fail(`${where}: expected a string dtype, found ${jsonType(dtype)}`);
  const host = Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_TO_HOST, dtype) ? SAFETENSORS_DTYPE_TO_HOST[dtype] : undefined;
  if (host === undefined) {
    const supported = Object.keys(SAFETENSORS_DTYPE_TO_HOST).join(', ');
    return fail(`${where}: ${UNSUPPORTED_CODES.has(dtype) ? 'unsupported' : 'unknown'} dtype ${JSON.stringify(dtype)}; expected one of ${supported}`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    return fail(`${where}: expected shape to be an array of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    return fail(`${where}: expected data_offsets to be [begin, end] with non-negative integers, found ${JSON.stringify(offsets)}`);
  }
  return { name, dtype: host, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

function isIndex(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkedNumel(shape: number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

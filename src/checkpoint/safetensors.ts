/**
 * Reading and writing safetensors files (header layout and validation in
 * safetensors_header.ts). Tensors are read straight from the file into their
 * own aligned typed arrays; writing streams tensor by tensor into a temporary
 * file that is renamed over the target only once complete.
 */

import * as fs from 'node:fs';

import { CheckpointError } from '../core/errors.js';
import { writeFileAtomic, type ChunkSink } from '../core/atomic_write.js';
import { decodeElements, encodeElementsLE } from './byte_codec.js';
import { bufferSource, fileSource, type ByteSource } from './byte_source.js';
import { DTYPE_INFO, isHostDType, numel, type HostData, type HostTensor } from './host_tensor.js';
import { HOST_TO_SAFETENSORS_DTYPE, parseSafetensorsHeader, type SafetensorsHeader } from './safetensors_header.js';

/** The content of a safetensors file. */
export interface SafetensorsContent {
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, HostTensor>;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

/** Options of readSafetensors. */
export interface ReadSafetensorsOptions {
  /** Name used in error messages when reading from a buffer (default `<buffer>`). */
  name?: string;
}

/**
 * Reads a safetensors file (by path) or buffer. The header is validated
 * completely before any tensor is read; violations throw a CheckpointError
 * naming the file and the offending tensor.
 */
export function readSafetensors(pathOrBuffer: string | Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsContent {
  const src = openSource(pathOrBuffer, options.name);
  try {
    const header = parseSafetensorsHeader(src);
    const base = 8 + header.headerSize;
    const tensors = new Map<string, HostTensor>();
    for (const e of header.entries) {
      const count = numel(e.shape);
      const bytes = src.read(base + e.begin, e.end - e.begin);
      if (bytes.length !== e.end - e.begin) {
        throw new CheckpointError(`${src.name}: tensor '${e.name}': expected ${e.end - e.begin} bytes, could read only ${bytes.length}`);
      }
      tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data: decodeElements(e.dtype, bytes, count, true, true) }); // src.read returns fresh bytes
    }
    return { tensors, metadata: header.metadata };
  } finally {
    src.close();
  }
}

/** Async variant of readSafetensors for a path (reads the file, then parses it). */
export async function readSafetensorsAsync(path: string): Promise<SafetensorsContent> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (err) {
    throw new CheckpointError(`${path}: expected a readable safetensors file (${(err as Error).message})`, { cause: err });
  }
  return readSafetensors(bytes, { name: path });
}

/**
 * Reads and validates only the header of a safetensors file or buffer:
 * tensor names, dtypes, shapes and offsets, without loading any data.
 */
export function readSafetensorsHeader(pathOrBuffer: string | Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsHeader {
  const src = openSource(pathOrBuffer, options.name);
  try {
    return parseSafetensorsHeader(src);
  } finally {
    src.close();
  }
}

/** Tensors to write, by name. */
export type TensorsByName = Map<string, HostTensor> | Record<string, HostTensor>;

/**
 * Writes tensors (and an optional string metadata map) as a safetensors file,
 * atomically: the data goes to `<path>.tmp-<pid>-<random>`, is fsynced and
 * renamed over `path`; on any error the temporary file is removed and an
 * existing file at `path` is left untouched. Layout follows the reference
 * writer: tensors sorted by decreasing itemsize then name, header padded
 * with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(path: string, tensors: TensorsByName, metadata?: Record<string, string>): void {
  const plan = planLayout(tensors, metadata, path);
  writeFileAtomic(
    path,
    (sink) => emit(plan, sink, path),
    (msg, cause) => new CheckpointError(msg, { cause }),
  );
}

/** Serializes tensors to safetensors bytes in memory (same layout as writeSafetensors). */
export function serializeSafetensors(tensors: TensorsByName, metadata?: Record<string, string>): Uint8Array {
  const plan = planLayout(tensors, metadata, '<buffer>');
  const out = new Uint8Array(plan.totalSize);
  let pos = 0;
  emit(
    plan,
    (chunk) => {
      out.set(chunk, pos);
      pos += chunk.length;
    },
    '<buffer>',
  );
  return out;
}

interface PlannedTensor {
  name: string;
  tensor: HostTensor;
  nbytes: number;
}

interface Plan {
  header: Uint8Array;
  tensors: PlannedTensor[];
  totalSize: number;
}

function openSource(pathOrBuffer: string | Uint8Array, name: string | undefined): ByteSource {
  if (typeof pathOrBuffer !== 'string') return bufferSource(pathOrBuffer, name ?? '<buffer>');
  try {
    return fileSource(pathOrBuffer);
  } catch (err) {
    throw new CheckpointError(`${pathOrBuffer}: expected a readable safetensors file (${(err as Error).message})`, { cause: err });
  }
}

/** Validates names, dtypes and shapes and builds the header; data is not touched yet. */
function planLayout(tensors: TensorsByName, metadata: Record<string, string> | undefined, file: string): Plan {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const planned: PlannedTensor[] = entries.map(([name, tensor]) => {
    const where = `${file}: tensor '${name}'`;
    if (name === '__metadata__') throw new CheckpointError(`${where}: '__metadata__' is reserved by the format and cannot name a tensor`);
    if (typeof tensor !== 'object' || tensor === null || !isHostDType(tensor.dtype)) {
      throw new CheckpointError(`${where}: expected a HostTensor with a known dtype, found ${JSON.stringify((tensor as { dtype?: unknown } | null)?.dtype)}`);
    }
    let count: number;
    try {
      count = numel(tensor.shape);
    } catch (err) {
      throw new CheckpointError(`${where}: ${(err as Error).message}`);
    }
    return { name, tensor, nbytes: count * DTYPE_INFO[tensor.dtype].itemsize };
  });
  planned.sort((a, b) => {
    const d = DTYPE_INFO[b.tensor.dtype].itemsize - DTYPE_INFO[a.tensor.dtype].itemsize;
    return d !== 0 ? d : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`${file}: metadata '${k}': expected a string value, found ${typeof v}`);
    }
    parts.push(`"__metadata__":${JSON.stringify(Object.fromEntries(Object.entries(metadata)))}`);
  }
  let offset = 0;
  for (const p of planned) {
    const info = { dtype: HOST_TO_SAFETENSORS_DTYPE[p.tensor.dtype], shape: p.tensor.shape, data_offsets: [offset, offset + p.nbytes] };
    parts.push(`${JSON.stringify(p.name)}:${JSON.stringify(info)}`);
    offset += p.nbytes;
  }
  let json = `{${parts.join(',')}}`;
  const utf8Length = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (utf8Length % 8)) % 8);
  const header = new TextEncoder().encode(json);
  return { header, tensors: planned, totalSize: 8 + header.length + offset };
}

/** Writes the length prefix, header and each tensor's bytes to `sink`. */
function emit(plan: Plan, sink: ChunkSink, file: string): void {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(plan.header.length), true);
  sink(prefix);
  sink(plan.header);
  for (const p of plan.tensors) {
    const data: HostData = p.tensor.data;
    const info = DTYPE_INFO[p.tensor.dtype];
    if (!(data instanceof info.arrayType) || data.byteLength !== p.nbytes) {
      throw new CheckpointError(
        `${file}: tensor '${p.name}': expected ${p.nbytes} bytes of ${p.tensor.dtype} data in a ${info.arrayType.name} ` + `for shape [${p.tensor.shape.join(',')}], found ${describeData(data)}`,
      );
    }
    sink(encodeElementsLE(data, info.itemsize));
  }
}

function describeData(data: unknown): string {
  if (ArrayBuffer.isView(data)) return `a ${data.constructor.name} of ${data.byteLength} bytes`;
  return data === null ? 'null' : typeof data;
}

/**
 * Decoding a safetensors file that is already in memory (an `ArrayBuffer` from
 * `fetch` or a file picker, a Node `Buffer`). No file system access: the browser
 * build reads weights with this; {@link readSafetensors} reads files.
 */
import { CheckpointError } from '../core/errors.js';
import { bufferSource } from './buffer_source.js';
import { decodeElements } from './byte_codec.js';
import { numel, type HostTensor } from './host_tensor.js';
import { parseSafetensorsHeader } from './safetensors_header.js';

/** Tensors (in file order) and `__metadata__` of a safetensors buffer. */
export interface DecodedSafetensors {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

/**
 * Validates the header completely, then decodes every tensor.
 * @param name used in error messages (a file name or URL). Default `<buffer>`.
 * @throws CheckpointError naming `name` and the tensor when the bytes are not a valid safetensors file.
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer, name = '<buffer>'): DecodedSafetensors {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const src = bufferSource(view, name);
  const header = parseSafetensorsHeader(src);
  const base = 8 + header.headerSize;
  const tensors = new Map<string, HostTensor>();
  for (const e of header.entries) {
    const raw = src.read(base + e.begin, e.end - e.begin);
    if (raw.length !== e.end - e.begin) {
      throw new CheckpointError(`${name}: tensor '${e.name}': expected ${e.end - e.begin} bytes, could read only ${raw.length}`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data: decodeElements(e.dtype, raw, numel(e.shape), true, true) });
  }
  return { tensors, metadata: header.metadata };
}

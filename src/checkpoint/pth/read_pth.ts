/**
 * Loading PyTorch checkpoints written by `torch.save` (PyTorch >= 1.6 zip
 * format): a zip archive `<archive>/data.pkl` (the pickled object, protocol 2)
 * whose tensors reference storages stored as `<archive>/data/<key>` entries.
 */

import * as fs from 'node:fs';

import { CheckpointError } from '../../core/errors.js';
import { decodeElements } from '../byte_codec.js';
import { DTYPE_INFO, isHostTensor, type HostTensor } from '../host_tensor.js';
import { PickleObject } from './pickle_types.js';
import { parseStoragePid, TorchStorage, torchGlobalResolver } from './torch_globals.js';
import { unpickle } from './unpickler.js';
import { ZipReader } from './zip_reader.js';

const RESAVE_HINT = 're-save it with torch >= 1.6 (`torch.save(obj, f)`, whose default is the zip format)';

/**
 * Reads a `.pth`/`.pt` checkpoint and returns the unpickled object: dicts as
 * Map, tensors as HostTensor (materialised, C order), unknown classes as
 * PickleObject. Throws a CheckpointError naming the file for legacy
 * (pre-1.6) files, truncated archives and malformed pickles.
 */
export function readPth(path: string): unknown {
  rejectLegacyFormat(path);
  const zip = ZipReader.open(path);
  try {
    const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name)) ?? zip.entries.find((e) => e.name.endsWith('data.pkl'));
    if (pkl === undefined) {
      const names = zip.entries.slice(0, 8).map((e) => e.name);
      throw new CheckpointError(`${path}: expected a torch.save archive with an '<archive>/data.pkl' entry, found entries [${names.join(', ')}${zip.entries.length > 8 ? ', ...' : ''}]`);
    }
    const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
    const byteOrderEntry = zip.entry(`${prefix}byteorder`);
    const littleEndian = byteOrderEntry === undefined || new TextDecoder().decode(zip.read(byteOrderEntry)).trim() !== 'big';
    const storages = new Map<string, TorchStorage>();

    const persistentLoad = (pid: unknown): unknown => {
      const p = parseStoragePid(pid, path);
      const known = storages.get(p.key);
      if (known !== undefined) return known;
      const storage = new TorchStorage(p.typeName, p.dtype, p.key, p.location, p.numel, () => {
        const entryName = `${prefix}data/${p.key}`;
        const dtype = p.dtype ?? 'uint8';
        const nbytes = p.numel * DTYPE_INFO[dtype].itemsize;
        if (zip.entry(entryName) === undefined) {
          throw new CheckpointError(`${path}: storage '${p.key}': expected archive entry '${entryName}', found none`);
        }
        const bytes = zip.read(entryName);
        if (bytes.length < nbytes) {
          throw new CheckpointError(`${path}: storage '${p.key}' (${p.typeName}): expected ${nbytes} bytes for ${p.numel} elements, found ${bytes.length}`);
        }
        return decodeElements(dtype, bytes, p.numel, littleEndian, true); // zip.read returns fresh bytes
      });
      storages.set(p.key, storage);
      return storage;
    };

    return unpickle(zip.read(pkl), { name: path, resolveGlobal: torchGlobalResolver(path), persistentLoad });
  } finally {
    zip.close();
  }
}

/** Throws the "legacy format" CheckpointError for pre-1.6 torch files (raw pickle or tar). */
function rejectLegacyFormat(path: string): void {
  let head: Buffer;
  try {
    const fd = fs.openSync(path, 'r');
    try {
      head = Buffer.alloc(264);
      head = head.subarray(0, fs.readSync(fd, head, 0, 264, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new CheckpointError(`${path}: expected a readable checkpoint file (${(err as Error).message})`, { cause: err });
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) {
    throw new CheckpointError(`${path}: expected a zip-format checkpoint, found a legacy (pre-1.6) torch serialization (a raw pickle stream); ${RESAVE_HINT}`);
  }
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') {
    throw new CheckpointError(`${path}: expected a zip-format checkpoint, found a legacy tar-format torch file; ${RESAVE_HINT}`);
  }
}

/** Keys under which training frameworks nest the model weights, in lookup order. */
const NESTED_KEYS = ['state_dict', 'model', 'module'] as const;

/**
 * Picks the state dict (parameter name → tensor) out of a loaded checkpoint:
 * the object itself when it is a dict whose values are all tensors, else its
 * 'state_dict', 'model' or 'module' entry (first that holds one, searched the
 * same way, at most three levels deep). Nothing else is flattened. Throws a
 * CheckpointError naming `path` and the top-level keys otherwise.
 */
export function extractStateDict(obj: unknown, path: string): Map<string, HostTensor> {
  const found = findStateDict(obj, 0);
  if (found !== undefined) return found;
  let what: string;
  if (obj instanceof Map) {
    const keys = [...obj.keys()].map((k) => (typeof k === 'string' ? `'${k}'` : String(k)));
    const nonTensor = [...obj.entries()].find(([, v]) => !isHostTensor(v));
    what =
      `a dict with keys [${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ', ...' : ''}]` +
      (nonTensor !== undefined ? ` (entry ${String(nonTensor[0])} is ${describe(nonTensor[1])}, not a tensor)` : '');
  } else {
    what = describe(obj);
  }
  throw new CheckpointError(`${path}: expected a state dict (a dict of tensors, or a dict with a 'state_dict', 'model' or 'module' entry holding one), found ${what}`);
}

function findStateDict(obj: unknown, depth: number): Map<string, HostTensor> | undefined {
  if (!(obj instanceof Map)) return undefined;
  if ([...obj.entries()].every(([k, v]) => typeof k === 'string' && isHostTensor(v))) {
    return new Map(obj as Map<string, HostTensor>);
  }
  if (depth >= 3) return undefined;
  for (const key of NESTED_KEYS) {
    if (obj.has(key)) {
      const inner = findStateDict(obj.get(key), depth + 1);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleObject) return `a ${value.qualifiedName} object`;
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (value instanceof Map) return 'a dict';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `a ${typeof value}`;
}

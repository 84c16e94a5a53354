/**
 * Handlers for the PyTorch globals that `torch.save` writes into `data.pkl`:
 * tensor rebuild functions, parameters, `torch.Size`, and the storage types
 * named in persistent ids. Everything else in a checkpoint (optimizer
 * classes, numpy types, user classes) stays an inert PickleObject.
 */

import { CheckpointError } from '../../core/errors.js';
import type { HostData, HostDType, HostTensor } from '../host_tensor.js';
import { PickleCallable, PickleGlobal, PickleObject, type GlobalResolver } from './pickle_types.js';
import { materializeStrided } from './tensor_rebuild.js';

/** Host dtype of each `torch.<X>Storage` type name (UntypedStorage is bytes). */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, HostDType>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/**
 * A storage referenced by a persistent id `('storage', type, key, location,
 * numel)`; its data (the archive entry `data/<key>`) is decoded on first use
 * and shared by every tensor viewing it.
 */
export class TorchStorage {
  private cached: HostData | undefined;

  /**
   * @param typeName Storage type as pickled, e.g. `torch.FloatStorage`.
   * @param dtype Element type, undefined when the storage type is not supported.
   * @param key Archive key (`data/<key>`).
   * @param location Device it was saved from, e.g. `cpu` or `cuda:0` (ignored: data is loaded to host).
   * @param numel Element count the pickle declares.
   * @param loader Reads and decodes the elements.
   */
  constructor(
    readonly typeName: string,
    readonly dtype: HostDType | undefined,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
    private readonly loader: () => HostData,
  ) {}

  /** The decoded elements (loaded once). */
  get data(): HostData {
    this.cached ??= this.loader();
    return this.cached;
  }
}

/**
 * Builds the resolver for torch globals; error messages name `file`.
 * Returns undefined for globals it does not handle.
 */
export function torchGlobalResolver(file: string): GlobalResolver {
  const rebuildTensor = (args: readonly unknown[], fn: string): HostTensor => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorage)) {
      throw new CheckpointError(`${file}: ${fn}: expected a storage (persistent id) as first argument, found ${typeof storage}`);
    }
    const what = `${file}: storage '${storage.key}' (${storage.typeName})`;
    if (storage.dtype === undefined) {
      const supported = Object.keys(TORCH_STORAGE_DTYPES).join(', ');
      throw new CheckpointError(`${what}: unsupported storage type; expected one of ${supported}`);
    }
    if (typeof offset !== 'number' || !isIntList(size) || !isIntList(stride)) {
      throw new CheckpointError(`${what}: ${fn}: expected (storage, offset, size, stride) with integers, found malformed arguments`);
    }
    try {
      return materializeStrided(storage.dtype, storage.data, offset, size, stride, what);
    } catch (err) {
      if (err instanceof RangeError) throw new CheckpointError(err.message, { cause: err });
      throw err;
    }
  };

  const handlers: Record<string, (args: readonly unknown[]) => unknown> = {
    'torch._utils._rebuild_tensor_v2': (args) => rebuildTensor(args, '_rebuild_tensor_v2'),
    'torch._utils._rebuild_tensor': (args) => rebuildTensor(args, '_rebuild_tensor'),
    'torch._utils._rebuild_parameter': (args) => args[0],
    'torch._utils._rebuild_parameter_with_state': (args) => args[0],
    'torch._tensor._rebuild_from_type_v2': (args) => {
      const [func, newType, funcArgs, state] = args;
      if (func instanceof PickleCallable && Array.isArray(funcArgs)) return func.call(funcArgs);
      return new PickleObject('torch._tensor', '_rebuild_from_type_v2', [func, newType, funcArgs], state);
    },
    'torch.Size': (args) => Object.freeze(Array.isArray(args[0]) ? [...(args[0] as unknown[])] : []),
  };

  return (module, name) => {
    const key = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(handlers, key)) return undefined;
    return new PickleCallable(module, name, handlers[key]);
  };
}

/**
 * Decodes a persistent id tuple into its parts, or throws a CheckpointError
 * naming `file` when it is not a `('storage', type, key, location, numel)` id.
 */
export function parseStoragePid(pid: unknown, file: string): { typeName: string; dtype: HostDType | undefined; key: string; location: string; numel: number } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new CheckpointError(`${file}: expected persistent ids ('storage', type, key, location, numel), found ${describePid(pid)}`);
  }
  const [, type, key, location, count] = pid as unknown[];
  const typeName = type instanceof PickleGlobal ? type.toString() : String(type);
  const short = type instanceof PickleGlobal && (type.module === 'torch' || type.module === 'torch.cuda') ? type.name : '';
  const dtype = Object.prototype.hasOwnProperty.call(TORCH_STORAGE_DTYPES, short) ? TORCH_STORAGE_DTYPES[short] : undefined;
  if (typeof key !== 'string' || typeof count !== 'number') {
    throw new CheckpointError(`${file}: persistent id ${describePid(pid)}: expected a string key and an integer element count`);
  }
  return { typeName, dtype, key, location: String(location), numel: count };
}

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isSafeInteger(d));
}

function describePid(pid: unknown): string {
  if (Array.isArray(pid)) return `(${pid.map((p) => (typeof p === 'string' ? `'${p}'` : String(p))).join(', ')})`;
  return JSON.stringify(pid) ?? String(pid);
}

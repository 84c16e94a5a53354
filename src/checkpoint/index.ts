/**
 * Checkpoint and array file formats without TensorFlow.js: safetensors, .npy
 * and PyTorch `.pth` (zip + safe unpickler), all exchanging HostTensors.
 */

export * from './host_tensor.js';
export * from './half.js';
export { readSafetensors, readSafetensorsAsync, readSafetensorsHeader, writeSafetensors, serializeSafetensors } from './safetensors.js';
export type { SafetensorsContent, ReadSafetensorsOptions, TensorsByName } from './safetensors.js';
export type { SafetensorsEntry, SafetensorsHeader } from './safetensors_header.js';
export { readNpy, writeNpy } from './npy.js';
export type { ReadNpyOptions } from './npy.js';
export { writeFileAtomic } from '../core/atomic_write.js';
export { ZipReader, type ZipEntry } from './pth/zip_reader.js';
export { unpickle, type UnpickleOptions } from './pth/unpickler.js';
export { PickleObject, PickleGlobal, PickleCallable, getPickleState, isPickleTuple } from './pth/pickle_types.js';
export { readPth, extractStateDict } from './pth/read_pth.js';
export { TorchStorage } from './pth/torch_globals.js';

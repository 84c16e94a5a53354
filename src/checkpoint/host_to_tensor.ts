/** Host tensors ↔ tfjs tensors (no file system: shared by the Node and browser builds). */
import { tf } from '../core/tf.js';
import { CheckpointError } from '../core/errors.js';
import type { LoadReport, Module } from '../nn/module.js';
import { toFloat32, toInt32, type HostTensor } from './host_tensor.js';

/** Host tensor → tfjs tensor (floats as float32, integers and bools as int32). */
export function hostToTensor(t: HostTensor, name = 'tensor'): tf.Tensor {
  if (t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16' || t.dtype === 'bfloat16') {
    return tf.tensor(toFloat32(t).data, t.shape, 'float32');
  }
  return tf.tensor(toInt32(t, name).data, t.shape, 'int32');
}

/** tfjs tensor → host tensor (float32 or int32), reading its data synchronously. */
export function tensorToHost(t: tf.Tensor): HostTensor {
  if (t.dtype === 'float32') return { dtype: 'float32', shape: [...t.shape], data: t.dataSync() as Float32Array };
  if (t.dtype === 'int32' || t.dtype === 'bool') {
    return { dtype: 'int32', shape: [...t.shape], data: Int32Array.from(t.dataSync() as ArrayLike<number>) };
  }
  throw new CheckpointError(`Cannot store a tensor of dtype ${t.dtype}`);
}

/**
 * Loads host tensors into a model (the temporary tfjs tensors are disposed).
 * @param source named in error messages (file, URL).
 * @throws CheckpointError when a shape does not fit, or (strict, the default) keys are missing or unexpected.
 */
export function loadHostStateInto(model: Module, state: ReadonlyMap<string, HostTensor>, options: { strict?: boolean; source?: string } = {}): LoadReport {
  const source = options.source ?? '<weights>';
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of state) tensors.set(name, hostToTensor(t, `${source}: ${name}`));
    return model.loadStateDict(tensors, { strict: options.strict ?? true, source });
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

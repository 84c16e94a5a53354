/**
 * The on-disk layout of a training checkpoint (`iter_N.ckpt.safetensors`,
 * `best_<metric>_iter_N.ckpt.safetensors`): one safetensors file whose model
 * tensors are prefixed `model.`, optimizer tensors `optimizer.`, hook tensors `hooks.`, with the
 * non-tensor training state as JSON in the metadata. Kept in this lower layer so
 * that every weights reader can take the model weights out of such a file.
 */
import type { HostTensor } from './host_tensor.js';

/** `__metadata__.format` of a training checkpoint. */
export const TRAINING_CHECKPOINT_FORMAT = 'densekit-checkpoint-v1';
/** Prefix of model tensors in a training checkpoint. */
export const MODEL_PREFIX = 'model.';
/** Prefix of optimizer tensors in a training checkpoint. */
export const OPTIMIZER_PREFIX = 'optimizer.';
/** Prefix of tensors runner hooks add to a training checkpoint (e.g. `hooks.ema.<param>` of the EMA hook). */
export const HOOKS_PREFIX = 'hooks.';

/** Whether a safetensors file's metadata marks it as a training checkpoint. */
export function isTrainingCheckpoint(metadata: Record<string, string>): boolean {
  return metadata.format === TRAINING_CHECKPOINT_FORMAT;
}

/** The model weights of a training checkpoint, under the model's own names (optimizer state dropped). */
export function modelWeightsOf(tensors: Map<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [k, t] of tensors) if (k.startsWith(MODEL_PREFIX)) out.set(k.slice(MODEL_PREFIX.length), t);
  return out;
}

/**
 * The NaN guard's building blocks: finiteness checks of tensors (on the device)
 * and of host tensors (before a checkpoint is written), and the error that
 * names the failing iteration and the last checkpoint whose tensors are finite.
 * Small units, so that the runner (and later a hook) can call them.
 */
import { tf } from '../core/tf.js';
import type { HostTensor } from '../checkpoint/host_tensor.js';

/** Which quantity of an optimizer update was found non-finite. */
export type NonFiniteQuantity = 'loss' | 'gradient' | 'weights';

/**
 * Thrown when a loss term, the gradients or the updated weights hold NaN or ±Inf.
 * Nothing non-finite is written: training stops (or rolls back, see `nanGuard`).
 */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';

  /**
   * @param iter 1-based number of the iteration whose update failed (as in `scalars.jsonl`).
   * @param quantity what was non-finite.
   * @param values the loss terms (and `grad_norm` when known) of that iteration.
   * @param lastGoodCheckpoint the newest checkpoint on disk (every written checkpoint is finite), or null.
   */
  constructor(
    readonly iter: number,
    readonly values: Record<string, number>,
    readonly quantity: NonFiniteQuantity = 'loss',
    readonly lastGoodCheckpoint: string | null = null,
  ) {
    const shown = Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const what = quantity === 'loss' ? 'Loss became non-finite' : quantity === 'gradient' ? 'Gradients became non-finite' : 'Weights became non-finite after the update';
    const where =
      lastGoodCheckpoint === null
        ? 'No checkpoint had been written before it.'
        : `The last checkpoint with finite weights is ${lastGoodCheckpoint}; evaluate it, fine-tune from it with --load-from, or resume from it with --resume.`;
    super(
      `${what} at iteration ${iter}${shown === '' ? '' : ` (${shown})`}. Training stopped; nothing non-finite was saved. ${where} ` +
        `(Lower the learning rate, enable optimWrapper.clipGrad, or check the data.)`,
    );
  }

  /** The loss terms of the failing iteration (same as `values`). */
  get losses(): Record<string, number> {
    return this.values;
  }

  /** The same error naming the last good checkpoint. */
  withLastGoodCheckpoint(path: string | null): NonFiniteLossError {
    return new NonFiniteLossError(this.iter, this.values, this.quantity, path);
  }
}

/**
 * Whether every element of every float tensor is finite, with one small
 * reduction per tensor and one read-back. Integer tensors are always finite.
 */
export function allFinite(tensors: readonly tf.Tensor[]): boolean {
  const floats = tensors.filter((t) => t.dtype === 'float32');
  if (floats.length === 0) return true;
  const total = tf.tidy(() => tf.addN(floats.map((t) => t.abs().max())));
  const value = total.dataSync()[0];
  total.dispose();
  return Number.isFinite(value);
}

/** Names of the host tensors that hold a NaN or ±Inf (float dtypes only). */
export function nonFiniteHostTensors(tensors: ReadonlyMap<string, HostTensor>): string[] {
  const bad: string[] = [];
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
    const data = t.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        bad.push(name);
        break;
      }
    }
  }
  return bad;
}

import { tf } from '../core/tf.js';
import { globalRng } from '../core/rng.js';
import type { Module } from './module.js';

let recomputeDepth = 0;

/**
 * True while a checkpointed forward is being re-run inside its backward pass.
 * Layers with side effects in training (BatchNorm's running statistics) skip them then,
 * so a checkpointed block updates its state exactly once per step, as without checkpointing.
 */
export function isRecomputing(): boolean {
  return recomputeDepth > 0;
}

/**
 * Activation checkpointing (PyTorch's `torch.utils.checkpoint`, mmdet's `with_cp`):
 * runs `run(x)` without keeping its intermediates for the backward pass, and recomputes them
 * there, under a fresh gradient tape, to get the gradients of `x` and of every trainable
 * variable of `module`.
 *
 * Only `x` (shared, not copied) and the output are held between forward and backward.
 *
 * Randomness: the forward draws its dropout / drop-path seeds from {@link globalRng}; the
 * generator's state before the forward is remembered and restored for the recompute, so the
 * recompute draws the very same seeds, hence the same masks. The generator is put back to where it
 * was afterwards, so checkpointing does not shift the random stream of later code.
 *
 * `run` must be a pure function of `x` and the module's variables (plus those seeds).
 *
 * @returns `run(x)`, whose gradient w.r.t. `x` and the variables equals the gradient of an
 * un-checkpointed `run(x)`.
 */
export function checkpoint<T extends tf.Tensor>(module: Module, run: (x: T) => T, x: T): T {
  const variables = [...module.trainableVariables().values()];
  const rng = globalRng();
  const rngBeforeForward = rng.getState();
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as T;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const value = run(input);
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => recomputeGradients(run, saved[0] as T, variables, dy, rngBeforeForward),
    };
  });
  return op(x, ...variables) as T;
}

/** The backward of {@link checkpoint}: re-runs `run` under a tape and returns `[dx, ...dvariables]`. */
function recomputeGradients<T extends tf.Tensor>(run: (x: T) => T, x: T, variables: tf.Variable[], dy: tf.Tensor, rngBeforeForward: ReturnType<ReturnType<typeof globalRng>['getState']>): tf.Tensor[] {
  const rng = globalRng();
  const rngNow = rng.getState();
  const engine = tf.engine();
  // tfjs's engine.gradients starts a new tape when no tape is recording (as during the outer
  // backward pass) and clears `activeTape` when it ends; the outer backward still needs its own
  // tape afterwards (to dispose its saved tensors), so it is put back.
  const outerTape = engine.state.activeTape;
  rng.setState(rngBeforeForward);
  recomputeDepth++;
  try {
    const { value, grads } = engine.gradients(() => run(x), [x, ...variables], dy, true);
    value.dispose();
    return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? x : variables[i - 1]));
  } finally {
    recomputeDepth--;
    engine.state.activeTape = outerTape;
    rng.setState(rngNow);
  }
}

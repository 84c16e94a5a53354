/**
 * Reverse-mode gradients that free memory as the backward pass goes, as PyTorch's autograd does.
 *
 * tfjs's own `tf.variableGrads` / `engine.gradients` keep two things alive until the whole
 * backward pass has ended:
 * - every tensor a kernel saved for its gradient (the forward activations), and
 * - the gradient of every intermediate tensor.
 *
 * So the peak of a training step is all activations plus all intermediate gradients. PyTorch
 * frees a node's saved tensors once its backward has run, and the gradient of a tensor once its
 * producer has consumed it. {@link variableGradsEarlyRelease} does the same on tfjs's tape:
 * - after the backward of a tape node has run, the node's saved tensors are released;
 * - the gradient of a node's output is released once that node has consumed it (each tensor is
 *   the output of exactly one node, which comes before all its consumers on the tape, so by then
 *   its gradient is complete).
 *
 * The arithmetic is tfjs's, in tfjs's order (reverse tape order, inputs in their declared order,
 * gradients summed with `add` as they arrive), so the gradients are bit-identical to
 * `tf.variableGrads`' (a test checks it on every backend).
 *
 * It drives tfjs-core's internal tape (`engine.state.activeTape`, `startTape`/`endTape`), which
 * `@tensorflow/tfjs-core` 4.22.0, the pinned version, has; {@link assertTapeInternals} fails
 * loudly if a different tfjs lacks them.
 */
import { tf } from './tf.js';

/** One recorded kernel call on tfjs's tape (tfjs-core's `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The parts of tfjs-core's `Engine` this driver uses. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(nameOrFn: string, fn: () => T): T;
}

/** The gradients of {@link variableGradsEarlyRelease}: the value of `f` and one gradient per variable name. */
export interface ValueAndGrads {
  /** `f()`. */
  value: tf.Scalar;
  /** Gradient of `value` with respect to each variable that it depends on, by `variable.name`. */
  grads: tf.NamedTensorMap;
}

/** Throws when the installed tfjs-core does not have the tape internals this driver relies on. */
export function assertTapeInternals(engine: unknown): asserts engine is EngineInternals {
  const e = engine as Partial<EngineInternals>;
  for (const m of ['startTape', 'endTape', 'scopedRun', 'tidy'] as const) {
    if (typeof e[m] !== 'function') {
      throw new Error(`variableGradsEarlyRelease: tfjs-core's engine has no ${m}() (written for @tensorflow/tfjs-core 4.22.0); use tf.variableGrads instead`);
    }
  }
  if (typeof e.state?.gradientDepth !== 'number') {
    throw new Error("variableGradsEarlyRelease: tfjs-core's engine state has no gradientDepth (written for @tensorflow/tfjs-core 4.22.0)");
  }
}

/**
 * The nodes of `tape` on a path from one of `xs` to `y`, in tape order, each with its inputs
 * reduced to those that depend on `xs` (the same subgraph tfjs's `getFilteredNodesXToY` selects).
 */
function nodesBetween(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const reachedFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      reachedFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const leadsToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      leadsToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  const selected: TapeNode[] = [];
  for (const node of tape) {
    if (!reachedFromX.has(node.id) || !leadsToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    selected.push({ ...node, inputs });
  }
  return selected;
}

/**
 * Like `tf.variableGrads(f, varList)`, with activations and intermediate gradients released as
 * soon as the backward pass no longer needs them (see the file comment).
 *
 * Must not be called while another gradient tape is recording (it is the outermost gradient
 * computation, as a training step is); nested gradient computations inside `f`'s custom
 * gradients (activation checkpointing) are fine.
 *
 * @param f returns the scalar to differentiate; every tensor it creates except the result is freed.
 * @param varList the variables to differentiate with respect to (default: all trainable variables).
 * @throws when `f` does not return a scalar, when none of the variables reaches it, or when
 *   called inside another gradient computation.
 */
export function variableGradsEarlyRelease(f: () => tf.Scalar, varList?: tf.Variable[]): ValueAndGrads {
  const engine: unknown = tf.engine();
  assertTapeInternals(engine);
  if (engine.state.gradientDepth !== 0) throw new Error('variableGradsEarlyRelease: called while a gradient tape is recording (use it as the outermost gradient computation)');
  const variables = varList ?? trainableVariables();
  if (variables.length === 0) throw new Error('variableGradsEarlyRelease: no variables to differentiate with respect to');

  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  const tape = engine.state.activeTape ?? [];
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    const got = y instanceof tf.Tensor ? `shape [${y.shape.join(',')}]` : typeof y;
    tf.dispose(y);
    releaseTape(engine, tape);
    throw new Error(`variableGradsEarlyRelease: f() must return a scalar tensor, got ${got}`);
  }
  const nodes = nodesBetween(tape, variables, y);

  const grads = engine.tidy('backward', () => {
    const gradOf = new Map<number, tf.Tensor>();
    gradOf.set(y.id, tf.onesLike(y));
    const keepIds = new Set<number>(variables.map((v) => v.id));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (node.gradient === undefined) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((o) => gradOf.get(o.id) ?? null);
      const inputGradients = node.gradient(dys);
      // Tensors the backward of this node may hand back unchanged: such a gradient is copied
      // (a new handle on the same buffer) before the originals are released below.
      const released = new Set<tf.Tensor>([...dys.filter((d): d is tf.Tensor => d !== null), ...(node.saved ?? [])]);
      for (const [name, x] of Object.entries(node.inputs)) {
        const thunk = inputGradients[name];
        if (thunk === undefined) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}. Available gradients found: ${Object.keys(inputGradients).join(', ')}.`);
        let dx = engine.tidy(name, thunk);
        if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
        if (!tf.util.arraysEqual(dx.shape, x.shape))
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape.join(',')}', which does not match the shape of the input '${x.shape.join(',')}'`,
          );
        if (released.has(dx)) dx = dx.clone();
        const previous = gradOf.get(x.id);
        if (previous === undefined) gradOf.set(x.id, dx);
        else {
          gradOf.set(x.id, tf.add(previous, dx));
          previous.dispose();
          dx.dispose();
        }
      }
      for (const o of node.outputs) {
        if (keepIds.has(o.id)) continue;
        gradOf.get(o.id)?.dispose();
        gradOf.delete(o.id);
      }
      for (const t of node.saved ?? []) t.dispose();
    }
    const named: tf.NamedTensorMap = {};
    for (const v of variables) {
      const g = gradOf.get(v.id);
      if (g !== undefined) named[v.name] = g;
    }
    return named;
  });
  releaseTape(engine, tape);
  if (Object.keys(grads).length === 0) {
    y.dispose();
    throw new Error('variableGradsEarlyRelease: none of the variables reaches the value of f (no gradient to compute)');
  }
  return { value: y as tf.Scalar, grads };
}

/** Frees what the tape still holds and stops recording into it (as engine.gradients does at depth 0). */
function releaseTape(engine: EngineInternals, tape: TapeNode[]): void {
  for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  engine.state.activeTape = null;
}

/** All trainable variables registered with tfjs. */
function trainableVariables(): tf.Variable[] {
  const registered = (tf.engine() as unknown as { registeredVariables: Record<string, tf.Variable> }).registeredVariables;
  return Object.values(registered).filter((v) => v.trainable);
}

/**
 * The optimizer base: parameter groups, the update loop, learning-rate factors
 * and a complete, tensor-valued state dict (so a checkpoint resumes bit-exactly).
 *
 * Subclasses ({@link AdamW}, {@link SGD}) define the per-parameter update; this
 * class owns the bookkeeping shared by all of them, in the manner of
 * `torch.optim.Optimizer`.
 */
import { tf } from '../core/tf.js';
import { CheckpointError, ShapeError, formatShape } from '../core/errors.js';

/** One parameter handed to an optimizer: its full dotted name and its variable. */
export interface ParamRef {
  /** Full dotted name, e.g. `backbone.layers.0.blocks.1.attn.qkv.weight`. */
  name: string;
  /** The variable the optimizer updates in place. */
  variable: tf.Variable;
}

/**
 * A parameter group as given to an optimizer (what {@link buildParamGroups}
 * returns). Learning rate and weight decay are derived from the optimizer's own
 * base values unless given explicitly.
 */
export interface ParamGroupInput {
  /** The parameters of the group. */
  params: ParamRef[];
  /** Multiplier of the optimizer's base learning rate. Default 1. */
  lrMult?: number;
  /** Multiplier of the optimizer's base weight decay. Default 1. */
  decayMult?: number;
  /** Initial learning rate. Default `baseLr · lrMult`. */
  lr?: number;
  /** Weight decay. Default `baseWeightDecay · decayMult`. */
  weightDecay?: number;
  /** Label used in logs. Default `group{i}`. */
  label?: string;
}

/** A resolved parameter group, as held by an optimizer. */
export interface ParamGroup {
  /** The parameters of the group. */
  readonly params: readonly ParamRef[];
  /** Current learning rate (set each iteration by {@link Optimizer.setLrFactor} or a schedule). */
  lr: number;
  /** Learning rate before any schedule: `baseLr · lrMult` (mmengine's `initial_lr`). */
  readonly initialLr: number;
  /** Weight decay of the group (already multiplied by `decayMult`). */
  weightDecay: number;
  /** Multiplier of the base learning rate. */
  readonly lrMult: number;
  /** Multiplier of the base weight decay. */
  readonly decayMult: number;
  /** Label used in logs. */
  readonly label: string;
}

/** Base hyper-parameters shared by every optimizer. */
export interface OptimizerBase {
  /** Base learning rate. */
  lr: number;
  /** Base weight decay. */
  weightDecay: number;
}

/**
 * Per-parameter optimizer state: the number of updates the parameter received
 * (torch's per-parameter `step`) and named slot variables (e.g. `exp_avg`).
 */
export interface ParamState {
  /** Updates applied to this parameter so far. */
  step: number;
  /** Slot variables, owned by the optimizer. */
  readonly slots: Map<string, tf.Variable>;
}

/** Options of {@link Optimizer.loadStateDict}. */
export interface OptimizerLoadOptions {
  /** Throw when the state names a parameter this optimizer does not hold. Default `true`. */
  strict?: boolean;
  /** Name of the source (e.g. a checkpoint path), used in error messages. */
  source?: string;
}

/** Key of the global step counter in a state dict. */
export const STEP_COUNT_KEY = 'step_count';
/** Prefix of the per-parameter entries of a state dict: `state.<param name>.<slot>`. */
export const STATE_PREFIX = 'state.';

/**
 * Base class of optimizers over parameter groups.
 *
 * Lifecycle, per iteration: set the learning rate ({@link setLrFactor} or
 * `ScheduleSet.apply`), compute gradients, then {@link step}. The optimizer
 * owns its state variables: release them with {@link dispose}.
 *
 * State dict layout (all tensors; see {@link stateDict}):
 * - `step_count`: int32 scalar, number of {@link step} calls;
 * - `state.<param>.step`: int32 scalar, updates received by that parameter;
 * - `state.<param>.<slot>`: float32 tensor of the parameter's shape, one per slot
 *   (`exp_avg`, `exp_avg_sq` for AdamW; `momentum_buffer` for SGD with momentum).
 */
export abstract class Optimizer {
  /** The resolved parameter groups. */
  readonly groups: ParamGroup[];
  /** Base learning rate (the configured `lr`). */
  readonly baseLr: number;
  /** Base weight decay (the configured `weightDecay`). */
  readonly baseWeightDecay: number;
  /** Number of {@link step} calls so far (restored by {@link loadStateDict}). */
  stepCount = 0;

  /** Per-parameter state, created at a parameter's first update. */
  protected readonly state = new Map<string, ParamState>();
  private readonly byName = new Map<string, { ref: ParamRef; group: ParamGroup }>();
  private disposed = false;

  /**
   * @param groups parameter groups; a parameter may appear in only one group.
   * @param base the optimizer's base learning rate and weight decay.
   * @throws Error on a duplicate parameter name or a non-float32 parameter.
   */
  protected constructor(groups: readonly ParamGroupInput[], base: OptimizerBase) {
    this.baseLr = base.lr;
    this.baseWeightDecay = base.weightDecay;
    this.groups = groups.map((g, i) => {
      const lrMult = g.lrMult ?? 1;
      const decayMult = g.decayMult ?? 1;
      const initialLr = g.lr ?? base.lr * lrMult;
      return {
        params: [...g.params],
        lr: initialLr,
        initialLr,
        weightDecay: g.weightDecay ?? base.weightDecay * decayMult,
        lrMult,
        decayMult,
        label: g.label ?? `group${i}`,
      };
    });
    for (const group of this.groups) {
      for (const ref of group.params) {
        if (this.byName.has(ref.name)) throw new Error(`${this.constructor.name}: parameter '${ref.name}' is in two groups`);
        if (ref.variable.dtype !== 'float32') {
          throw new Error(`${this.constructor.name}: parameter '${ref.name}' is ${ref.variable.dtype}, expected float32`);
        }
        this.byName.set(ref.name, { ref, group });
      }
    }
  }

  /** Every slot variable of every parameter (e.g. AdamW's `exp_avg`, `exp_avg_sq`), for finiteness checks. */
  slotVariables(): tf.Variable[] {
    return [...this.state.values()].flatMap((s) => [...s.slots.values()]);
  }

  /** Names of the slot variables each parameter gets (e.g. `['exp_avg', 'exp_avg_sq']`). */
  protected abstract get slotNames(): readonly string[];

  /**
   * Updates one parameter. Called inside `tf.tidy`: write results with
   * `variable.assign(...)` (the parameter and `state.slots`); temporaries are
   * released by the tidy. `state.step` is already incremented.
   *
   * @param param the parameter variable.
   * @param grad its gradient (same shape; not to be disposed).
   * @param state the parameter's state; slots exist (zero-initialised) unless
   *   the subclass creates them lazily with {@link createSlot}.
   * @param group the parameter's group (current `lr`, `weightDecay`).
   */
  protected abstract updateParam(param: tf.Variable, grad: tf.Tensor, state: ParamState, group: ParamGroup): void;

  /** Whether slots are created as zeros before the first update. Default true; SGD creates its buffer lazily. */
  protected get eagerSlots(): boolean {
    return true;
  }

  /** Creates (or replaces) a slot variable holding a copy of `value`; safe inside `tf.tidy`. */
  protected createSlot(state: ParamState, slot: string, value: tf.Tensor): tf.Variable {
    const old = state.slots.get(slot);
    const variable = tf.variable(value, false);
    // tfjs keeps a newly created variable alive across tf.tidy.
    state.slots.set(slot, variable);
    old?.dispose();
    return variable;
  }

  /**
   * Applies one update to every parameter of the groups that has an entry in
   * `grads` (others are left untouched, with their state, as torch skips
   * parameters whose `.grad` is `None`). Gradients of names the optimizer does
   * not hold are ignored. The gradients are not disposed.
   *
   * @throws ShapeError when a gradient's shape differs from its parameter's.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>): void {
    this.assertAlive();
    for (const group of this.groups) {
      for (const { name, variable } of group.params) {
        const grad = grads.get(name);
        if (grad === undefined) continue;
        if (!shapesEqual(grad.shape, variable.shape)) {
          throw new ShapeError(`${this.constructor.name}: gradient of '${name}' has shape ${formatShape(grad.shape)}, ` + `parameter ${formatShape(variable.shape)}`);
        }
        const state = this.stateOf(name, variable);
        state.step += 1;
        tf.tidy(() => {
          const g = grad.dtype === 'float32' ? grad : grad.cast('float32');
          this.updateParam(variable, g, state, group);
        });
      }
    }
    this.stepCount += 1;
  }

  private stateOf(name: string, variable: tf.Variable): ParamState {
    let state = this.state.get(name);
    if (state === undefined) {
      state = { step: 0, slots: new Map() };
      if (this.eagerSlots) {
        for (const slot of this.slotNames) {
          const zeros = tf.zerosLike(variable);
          state.slots.set(slot, tf.variable(zeros, false));
          zeros.dispose();
        }
      }
      this.state.set(name, state);
    }
    return state;
  }

  /** Sets every group's learning rate to `baseLr · lrMult · factor` (its `initialLr · factor`). */
  setLrFactor(factor: number): void {
    for (const group of this.groups) group.lr = group.initialLr * factor;
  }

  /** Current learning rate of each group, in group order. */
  get lrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /**
   * The full optimizer state as fresh tensors that the CALLER OWNS and must
   * dispose (clones share memory with the live state until it changes; the
   * values stay valid after later steps). Layout: see the class documentation.
   * Learning rates are not included: they are a pure function of the
   * iteration (set again by the schedule before each step).
   */
  stateDict(): Map<string, tf.Tensor> {
    this.assertAlive();
    const out = new Map<string, tf.Tensor>();
    out.set(STEP_COUNT_KEY, tf.scalar(this.stepCount, 'int32'));
    for (const [name, state] of this.state) {
      out.set(`${STATE_PREFIX}${name}.step`, tf.scalar(state.step, 'int32'));
      for (const [slot, variable] of state.slots) out.set(`${STATE_PREFIX}${name}.${slot}`, tf.clone(variable));
    }
    return out;
  }

  /**
   * Restores a state saved by {@link stateDict} (the tensors are copied; the
   * caller keeps ownership of `state`). Parameters without saved state start
   * fresh, as after construction.
   *
   * @throws CheckpointError on a slot of the wrong shape, an unknown slot or,
   *   with `strict`, state of a parameter this optimizer does not hold.
   */
  loadStateDict(state: ReadonlyMap<string, tf.Tensor>, options: OptimizerLoadOptions = {}): void {
    this.assertAlive();
    const strict = options.strict ?? true;
    const source = options.source !== undefined ? ` from ${options.source}` : '';
    const slots = new Set([...this.slotNames, 'step']);
    const entries = new Map<string, Map<string, tf.Tensor>>();
    for (const [key, value] of state) {
      if (key === STEP_COUNT_KEY) continue;
      if (!key.startsWith(STATE_PREFIX)) {
        if (strict) throw new CheckpointError(`${this.constructor.name}: unexpected optimizer state key '${key}'${source}`);
        continue;
      }
      const dot = key.lastIndexOf('.');
      const name = key.slice(STATE_PREFIX.length, dot);
      const slot = key.slice(dot + 1);
      const owner = this.byName.get(name);
      if (owner === undefined) {
        if (strict) {
          throw new CheckpointError(`${this.constructor.name}: optimizer state${source} names unknown parameter '${name}'`);
        }
        continue;
      }
      if (!slots.has(slot)) {
        throw new CheckpointError(`${this.constructor.name}: unknown optimizer slot '${slot}' for '${name}'${source} ` + `(expected one of ${[...slots].join(', ')})`);
      }
      if (slot !== 'step' && !shapesEqual(value.shape, owner.ref.variable.shape)) {
        throw new CheckpointError(`${this.constructor.name}: state '${key}'${source} has shape ${formatShape(value.shape)}, ` + `parameter ${formatShape(owner.ref.variable.shape)}`);
      }
      let m = entries.get(name);
      if (m === undefined) entries.set(name, (m = new Map()));
      m.set(slot, value);
    }
    for (const [name, m] of entries) {
      if (!m.has('step')) throw new CheckpointError(`${this.constructor.name}: optimizer state of '${name}'${source} lacks 'step'`);
    }
    // Validation done: replace the state.
    this.clearState();
    const count = state.get(STEP_COUNT_KEY);
    this.stepCount = count === undefined ? 0 : Math.round(count.dataSync()[0]);
    for (const [name, m] of entries) {
      const ps: ParamState = { step: Math.round((m.get('step') as tf.Tensor).dataSync()[0]), slots: new Map() };
      for (const [slot, value] of m) {
        if (slot === 'step') continue;
        const copy = tf.tidy(() => (value.dtype === 'float32' ? tf.clone(value) : value.cast('float32')));
        ps.slots.set(slot, tf.variable(copy, false));
        copy.dispose();
      }
      this.state.set(name, ps);
    }
  }

  /** Releases the optimizer's state variables (not the parameters). The optimizer is unusable afterwards. */
  dispose(): void {
    this.clearState();
    this.disposed = true;
  }

  private clearState(): void {
    for (const s of this.state.values()) for (const v of s.slots.values()) v.dispose();
    this.state.clear();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.constructor.name}: used after dispose()`);
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

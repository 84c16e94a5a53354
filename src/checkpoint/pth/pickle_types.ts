/**
 * Values the safe unpickler produces besides plain JavaScript ones.
 *
 * Python → JavaScript: None → null, bool → boolean, int → number (bigint when
 * beyond ±2^53), float → number, str → string, bytes/bytearray → Uint8Array,
 * list → Array, tuple → frozen Array, dict/OrderedDict → Map (keys may be any
 * value), set/frozenset → Set. Anything else is a PickleObject.
 */

/**
 * A Python global (class or function) that has no handler. It is inert: the
 * unpickler never calls anything; calling it yields a PickleObject.
 */
export class PickleGlobal {
  /**
   * @param module Python module, e.g. `argparse`.
   * @param name Qualified name inside the module, e.g. `Namespace`.
   */
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  /** `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An opaque Python object whose class has no handler (numpy dtypes we do not
 * decode, mmengine HistoryBuffer, argparse.Namespace, user classes...). It
 * records how the pickle built it, so metadata stays inspectable.
 */
export class PickleObject {
  /** Keyword arguments (NEWOBJ_EX), if any. */
  kwargs?: Map<unknown, unknown>;
  /** Items appended by APPEND/APPENDS/ADDITEMS (list or set subclasses). */
  listItems?: unknown[];
  /** Items set by SETITEM/SETITEMS (dict subclasses). */
  dictItems?: Map<unknown, unknown>;

  /**
   * @param module Python module of the class or function.
   * @param name Qualified name of the class or function.
   * @param args Positional arguments it was called (or instantiated) with.
   * @param state The state passed by BUILD (usually the instance `__dict__` as a Map), if any.
   */
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: readonly unknown[],
    public state: unknown = undefined,
  ) {}

  /** `module.name`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * A whitelisted Python callable implemented in TypeScript (for example
 * `collections.OrderedDict` or `torch._utils._rebuild_tensor_v2`). Handlers
 * only build data; they never run user code.
 */
export class PickleCallable {
  /**
   * @param module Python module the pickle names.
   * @param name Name the pickle names.
   * @param call Builds the value from the pickled arguments.
   */
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call: (args: readonly unknown[], kwargs?: Map<unknown, unknown>) => unknown,
  ) {}

  /** `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * Implemented by handler-made values that accept BUILD. `setState` returns
 * the finished value, which replaces the placeholder on the stack and in the
 * memo when it differs.
 */
export interface PickleBuildable {
  /** Applies the pickled state and returns the finished value. */
  setState(state: unknown): unknown;
}

/** Maps a pickled global (module, name) to a handler value, or undefined for "no handler". */
export type GlobalResolver = (module: string, name: string) => unknown;

/** True when `value` is a tuple produced by the unpickler (a frozen array). */
export function isPickleTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/** True when `value` implements PickleBuildable. */
export function isPickleBuildable(value: unknown): value is PickleBuildable {
  return typeof value === 'object' && value !== null && typeof (value as { setState?: unknown }).setState === 'function';
}

const builtState = new WeakMap<object, unknown>();

/**
 * The BUILD state that was applied to a built-in container value (e.g. the
 * `{'_metadata': ...}` attribute dict that PyTorch attaches to a state-dict
 * OrderedDict), or undefined.
 */
export function getPickleState(value: object): unknown {
  return builtState.get(value);
}

/** Records a BUILD state for a built-in container value (used by the unpickler). */
export function setPickleState(value: object, state: unknown): void {
  builtState.set(value, state);
}

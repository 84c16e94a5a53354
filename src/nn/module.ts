/**
 * The module layer: a tree of named sub-modules owning tfjs variables, with
 * PyTorch-compatible hierarchical names (`layers.0.blocks.1.attn.qkv.weight`),
 * train/eval mode, freezing and state-dict input/output.
 *
 * Parameters keep PyTorch's layouts (Linear weight `[out, in]`, Conv2d weight
 * `[out, in, kh, kw]`), so a state dict maps one to one onto a PyTorch one.
 */
import { tf } from '../core/tf.js';
import { CheckpointError, formatShape } from '../core/errors.js';

/** A trainable tensor of a module. */
export class Parameter {
  /** The tfjs variable holding the value. */
  readonly variable: tf.Variable;
  /** Whether the optimizer updates it (PyTorch's `requires_grad`). Default `true`. */
  requiresGrad: boolean;

  /** Takes ownership of `initial` (it is disposed). */
  constructor(initial: tf.Tensor, requiresGrad = true) {
    this.variable = tf.variable(initial, true);
    initial.dispose();
    this.requiresGrad = requiresGrad;
  }

  /** The current value (the variable itself; do not dispose). */
  get value(): tf.Variable {
    return this.variable;
  }

  /** Shape of the parameter. */
  get shape(): number[] {
    return this.variable.shape;
  }
}

/** A state dict: full dotted names to tensors. */
export type StateDict = Map<string, tf.Tensor>;

/** What {@link Module.loadStateDict} did. */
export interface LoadReport {
  /** Model keys that received a value. */
  loaded: string[];
  /** Model keys absent from the state dict. */
  missing: string[];
  /** State-dict keys that the model does not have. */
  unexpected: string[];
  /** Keys whose tensors were adapted to the model's shape (e.g. resized position tables). */
  adapted: string[];
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Throw when a key is missing or unexpected. Default `true`. Shape mismatches always throw. */
  strict?: boolean;
  /** Name of the source, used in error messages (e.g. a file path). */
  source?: string;
}

interface BufferEntry {
  variable: tf.Variable;
  persistent: boolean;
}

/**
 * Base class of every model component.
 *
 * Subclasses register their children with {@link addModule}, their weights with
 * {@link addParameter} and non-trainable state with {@link addBuffer}, and define
 * their own `forward` with the signature they need.
 */
export abstract class Module {
  /** Training mode (dropout and drop path active, batch norm uses batch statistics). */
  training = true;
  /** When true, {@link train} keeps this module in eval mode (mmdet's frozen stages). */
  frozen = false;

  private readonly ownParams = new Map<string, Parameter>();
  private readonly ownBuffers = new Map<string, BufferEntry>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name`, taking ownership of `initial`. */
  protected addParameter(name: string, initial: tf.Tensor): Parameter {
    this.assertFreeName(name);
    const p = new Parameter(initial);
    this.ownParams.set(name, p);
    return p;
  }

  /**
   * Registers a buffer: state that is not trained by gradient (e.g. batch-norm
   * running statistics). Persistent buffers are part of the state dict.
   * Takes ownership of `initial`.
   */
  protected addBuffer(name: string, initial: tf.Tensor, persistent = true): tf.Variable {
    this.assertFreeName(name);
    const variable = tf.variable(initial, false);
    initial.dispose();
    this.ownBuffers.set(name, { variable, persistent });
    return variable;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (name === '' || name.includes('.')) {
      throw new Error(`${this.constructor.name}: invalid member name '${name}' (non-empty, no dots)`);
    }
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: member '${name}' registered twice`);
    }
  }

  /** Direct children, by name. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children.entries()];
  }

  /** This module and all descendants with dotted names (this one is `''`). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    }
    return out;
  }

  /** All parameters with their full dotted names, in registration order. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [name, module] of this.namedModules(prefix)) {
      for (const [pname, p] of module.ownParams) out.push([name === '' ? pname : `${name}.${pname}`, p]);
    }
    return out;
  }

  /** All buffers with their full dotted names. */
  namedBuffers(prefix = ''): Array<[string, tf.Variable, boolean]> {
    const out: Array<[string, tf.Variable, boolean]> = [];
    for (const [name, module] of this.namedModules(prefix)) {
      for (const [bname, b] of module.ownBuffers) {
        out.push([name === '' ? bname : `${name}.${bname}`, b.variable, b.persistent]);
      }
    }
    return out;
  }

  /** Looks up a descendant by dotted name; throws when absent. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    let current: Module = this;
    for (const part of path.split('.')) {
      const next = current.children.get(part);
      if (next === undefined) throw new Error(`${this.constructor.name}: no submodule '${path}'`);
      current = next;
    }
    return current;
  }

  /** Trainable variables (parameters with `requiresGrad`), by full name. */
  trainableVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, p] of this.namedParameters()) if (p.requiresGrad) out.set(name, p.variable);
    return out;
  }

  /** Number of scalar parameters (all, or only trainable ones). */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const [, p] of this.namedParameters()) if (!trainableOnly || p.requiresGrad) n += p.variable.size;
    return n;
  }

  /**
   * Sets training mode recursively. Frozen modules stay in eval mode.
   * Subclasses that freeze parts of themselves override this and call super.
   */
  train(mode = true): this {
    this.training = mode && !this.frozen;
    for (const child of this.children.values()) child.train(mode && !this.frozen);
    return this;
  }

  /** Shorthand for `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Freezes this module: no parameter receives gradients and the module stays in
   * eval mode (dropout off, batch-norm statistics fixed), as mmdetection's
   * `frozen_stages` does.
   */
  freeze(): this {
    for (const [, module] of this.namedModules()) {
      module.frozen = true;
      module.training = false;
      for (const p of module.ownParams.values()) p.requiresGrad = false;
    }
    return this;
  }

  /**
   * The state dict: parameters and persistent buffers by full dotted name. The
   * tensors are the live variables: read them, do not dispose them.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [name, p] of this.namedParameters()) out.set(name, p.variable);
    for (const [name, b, persistent] of this.namedBuffers()) if (persistent) out.set(name, b);
    return out;
  }

  /**
   * Copies values from `state` into the parameters and persistent buffers.
   *
   * @throws CheckpointError when a tensor's shape differs from the model's (always),
   *   or, with `strict`, when keys are missing or unexpected.
   */
  loadStateDict(state: ReadonlyMap<string, tf.Tensor>, options: LoadStateDictOptions = {}): LoadReport {
    const strict = options.strict ?? true;
    const source = options.source !== undefined ? ` from ${options.source}` : '';
    const own = this.stateDict();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [], adapted: [] };
    const adaptedValues = new Map<string, tf.Tensor>();
    for (const key of state.keys()) if (!own.has(key)) report.unexpected.push(key);
    for (const [key, target] of own) {
      const value = state.get(key);
      if (value === undefined) {
        report.missing.push(key);
        continue;
      }
      if (!shapesEqual(value.shape, target.shape)) {
        const adapted = this.adaptForLoad(key, value);
        if (adapted !== null && shapesEqual(adapted.shape, target.shape)) {
          adaptedValues.set(key, adapted);
          report.adapted.push(key);
          continue;
        }
        adapted?.dispose();
        for (const t of adaptedValues.values()) t.dispose();
        throw new CheckpointError(`Cannot load '${key}'${source}: checkpoint shape ${formatShape(value.shape)} does not fit ` + `model shape ${formatShape(target.shape)}`);
      }
    }
    if (strict && (report.missing.length > 0 || report.unexpected.length > 0)) {
      for (const t of adaptedValues.values()) t.dispose();
      throw new CheckpointError(
        `State dict${source} does not fit ${this.constructor.name}: ` +
          `${report.missing.length} missing key(s) [${abbreviate(report.missing)}], ` +
          `${report.unexpected.length} unexpected key(s) [${abbreviate(report.unexpected)}]`,
      );
    }
    for (const [key, target] of own) {
      const value = adaptedValues.get(key) ?? state.get(key);
      if (value === undefined) continue;
      const variable = target as tf.Variable;
      if (value.dtype === variable.dtype) {
        variable.assign(value);
      } else {
        const cast = value.cast(variable.dtype);
        variable.assign(cast);
        cast.dispose();
      }
      report.loaded.push(key);
    }
    for (const t of adaptedValues.values()) t.dispose();
    return report;
  }

  /** Asks the module owning `key` to adapt an incoming tensor of another shape. */
  private adaptForLoad(key: string, value: tf.Tensor): tf.Tensor | null {
    const dot = key.lastIndexOf('.');
    const owner = dot < 0 ? this : this.getSubmodule(key.slice(0, dot));
    return owner.adaptIncoming(key.slice(dot + 1), value);
  }

  /**
   * Called when a loaded tensor for this module's own parameter or buffer
   * `localName` has a different shape. Return a tensor of the right shape to
   * accept it (e.g. a resized position table), or `null` to reject it with a
   * shape error. The default rejects.
   */
  protected adaptIncoming(localName: string, value: tf.Tensor): tf.Tensor | null {
    void localName;
    void value;
    return null;
  }

  /** Disposes every variable of this module tree. */
  dispose(): void {
    for (const [, p] of this.namedParameters()) p.variable.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}

/** An indexed list of modules, named `0`, `1`, ... as PyTorch's `nn.ModuleList`. */
export class ModuleList<M extends Module> extends Module {
  /** The modules, in order. */
  readonly items: M[] = [];

  constructor(modules: M[] = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module under the next index. */
  push(module: M): M {
    this.items.push(this.addModule(String(this.items.length), module));
    return module;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function abbreviate(keys: string[], max = 8): string {
  return keys.length <= max ? keys.join(', ') : `${keys.slice(0, max).join(', ')}, ... (+${keys.length - max} more)`;
}

/**
 * Registries: `{type: 'SwinTransformer', ...}` → a built component.
 *
 * Each registry is a service identifier in one inversify container; every
 * component is bound under it by name (`whenNamed`) to its spec, whose `build`
 * is the factory. Code outside the framework registers its own components with
 * {@link Registry.register} — no framework file needs editing.
 */
import { Container } from 'inversify';
import { ConfigError } from '../core/errors.js';
import { didYouMean } from './suggest.js';
import { isPlainObject, validateOptions, type OptionsSchema, type RegistryKind } from './options.js';

/**
 * Everything needed to build one kind of component from its config.
 *
 * @typeParam TOptions the resolved options (every key present, defaults filled in).
 * @typeParam TResult what {@link build} returns.
 * @typeParam TContext what the caller provides besides the options (e.g. input feature specs).
 */
export interface ComponentSpec<TOptions extends object, TResult, TContext> extends OptionsSchema<TOptions> {
  /** Name used as `type` in configs. */
  name: string;
  /** One-line description for `npm run list`. */
  description: string;
  /** Builds the component. `path` is its config path, for error messages. */
  build(options: TOptions, context: TContext, path: string): TResult;
}

/** A spec of any options type, as stored in a registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponentSpec<TResult, TContext> = ComponentSpec<any, TResult, TContext>;

/** The container holding every registry's bindings. */
export const container = new Container();

const allRegistries = new Map<RegistryKind, Registry<unknown, never>>();

/** A named collection of component specs of one kind. */
export class Registry<TResult, TContext> {
  /** inversify service identifier of this registry. */
  readonly serviceId: symbol;
  private readonly registered = new Set<string>();

  constructor(readonly kind: RegistryKind) {
    if (allRegistries.has(kind)) throw new Error(`Registry '${kind}' created twice`);
    this.serviceId = Symbol.for(`densekit.registry.${kind}`);
    allRegistries.set(kind, this as unknown as Registry<unknown, never>);
  }

  /**
   * Adds a component.
   * @throws Error when the name is already registered in this registry.
   */
  register<TOptions extends object>(spec: ComponentSpec<TOptions, TResult, TContext>): void {
    if (this.registered.has(spec.name) || container.isBound(this.serviceId, { name: spec.name })) {
      throw new Error(`'${spec.name}' is already registered in the ${this.kind} registry`);
    }
    container.bind<AnyComponentSpec<TResult, TContext>>(this.serviceId).toConstantValue(spec).whenNamed(spec.name);
    this.registered.add(spec.name);
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return this.registered.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.registered].sort();
  }

  /**
   * The spec registered as `name`.
   * @throws ConfigError listing the registered names and the nearest one.
   */
  get(name: string, path = ''): AnyComponentSpec<TResult, TContext> {
    if (!this.registered.has(name)) {
      const where = path === '' ? '' : ` at ${path}.type`;
      throw new ConfigError(`Unknown ${this.kind} type '${name}'${where}.${didYouMean(name, this.names())} ` + `Registered ${this.kind}: ${this.names().join(', ') || '(none)'}`);
    }
    return container.get<AnyComponentSpec<TResult, TContext>>(this.serviceId, { name });
  }

  /** Checks a component config (type and options, recursively) without building it. */
  validate(config: unknown, path: string): void {
    const { spec, rest } = this.resolve(config, path);
    validateOptions(spec, rest, spec.name, path, ['type']);
  }

  /**
   * Builds the component described by `config`.
   * @param path config path of `config`, e.g. `model.backbone`, used in errors.
   */
  build(config: unknown, context: TContext, path: string): TResult {
    const { spec, rest } = this.resolve(config, path);
    const options = validateOptions(spec, rest, spec.name, path, ['type']);
    return spec.build(options, context, path);
  }

  private resolve(config: unknown, path: string): { spec: AnyComponentSpec<TResult, TContext>; rest: Record<string, unknown> } {
    if (!isPlainObject(config)) {
      throw new ConfigError(`${path}: expected a ${this.kind} config object with a 'type', got ${JSON.stringify(config)}`);
    }
    const type = config.type;
    if (typeof type !== 'string') {
      throw new ConfigError(`${path}: missing 'type' (a registered ${this.kind} name: ${this.names().join(', ') || 'none registered'})`);
    }
    return { spec: this.get(type, path), rest: config };
  }
}

/** Looks up a registry by kind. */
export function registryOf(kind: RegistryKind): Registry<unknown, never> {
  const r = allRegistries.get(kind);
  if (r === undefined) throw new Error(`No registry '${kind}'`);
  return r;
}

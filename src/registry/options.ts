/**
 * Option schemas and their validation.
 *
 * A schema lists every option of a component (or of a plain config section) with
 * its default. Validation rejects unknown keys (naming the key, its path, the
 * nearest valid key and all valid keys), checks value kinds against the defaults,
 * and fills in the defaults.
 */
import { ConfigError } from '../core/errors.js';
import { didYouMean } from './suggest.js';

/** The JSON-like kinds a config value can have. */
export type ValueKind = 'number' | 'string' | 'boolean' | 'array' | 'object' | 'null';

/** The registries of the framework. */
export type RegistryKind =
  | 'backbones'
  | 'necks'
  | 'heads'
  | 'models'
  | 'datasets'
  | 'transforms'
  | 'losses'
  | 'optimizers'
  | 'schedulers'
  | 'metrics';

/** An option whose value is a component config (`{type, ...}`), or a list of them. */
export interface ChildOption {
  /** Registry the `type` is looked up in. */
  registry: RegistryKind;
  /** The value is a list of component configs. Default false. */
  list?: boolean;
}

/** A plain config value. */
export type ConfigValue = null | boolean | number | string | ConfigValue[] | ConfigObject;
/** A plain config object. */
export interface ConfigObject {
  [key: string]: ConfigValue;
}
/** A component config: a registered `type` plus its options. */
export interface ComponentConfig {
  /** Registered name of the component. */
  type: string;
  [key: string]: ConfigValue | undefined;
}

/**
 * The options of a component or config section: every key with its default.
 * `TOptions` is the fully resolved options object handed to the builder.
 */
export interface OptionsSchema<TOptions extends object> {
  /** Every option with its default value. A `null` default means "unset". */
  defaults: TOptions;
  /** Accepted kinds, where the default's kind does not tell (e.g. `null` defaults). */
  kinds?: { [K in keyof TOptions]?: ValueKind[] };
  /** Options whose values are nested component configs. */
  children?: { [K in keyof TOptions]?: ChildOption };
  /** Options whose values are nested plain sections with a schema of their own. */
  sections?: { [K in keyof TOptions]?: OptionsSchema<object> };
  /** Options that must be given (no usable default). */
  required?: Array<keyof TOptions & string>;
  /** One line per option, shown by `npm run list`. */
  docs?: { [K in keyof TOptions]?: string };
}

/** Resolves a registry kind to something that can validate a nested component config. */
export type ChildValidator = (registry: RegistryKind, config: unknown, path: string) => void;

let childValidator: ChildValidator | null = null;

/** Installed by the registries module so that option validation can recurse into children. */
export function setChildValidator(validator: ChildValidator): void {
  childValidator = validator;
}

/** The kind of a config value. */
export function kindOf(value: unknown): ValueKind | 'undefined' | 'function' | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'function';
    default:
      return 'other';
  }
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Validates `given` against `schema` and returns the defaults overlaid with it.
 *
 * @param owner how the owner is named in messages, e.g. `SwinTransformer` or `optimWrapper`.
 * @param path dotted config path of `given`, e.g. `model.backbone`.
 * @param ignoredKeys keys that are not options (e.g. `type`).
 * @throws ConfigError naming the key, its path and the valid keys.
 */
export function validateOptions<TOptions extends object>(
  schema: OptionsSchema<TOptions>,
  given: unknown,
  owner: string,
  path: string,
  ignoredKeys: readonly string[] = [],
): TOptions {
  if (!isPlainObject(given)) {
    throw new ConfigError(`${path}: expected an object of options for ${owner}, got ${describeValue(given)}`);
  }
  const defaults = schema.defaults as Record<string, unknown>;
  const valid = Object.keys(defaults);
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (ignoredKeys.includes(key)) continue;
    const keyPath = path === '' ? key : `${path}.${key}`;
    if (!(key in defaults)) {
      throw new ConfigError(
        `Unknown option '${key}' at ${keyPath} for ${owner}.${didYouMean(key, valid)} ` +
          `Valid options: ${valid.join(', ')}`,
      );
    }
    if (value === undefined) continue;
    checkKind(schema, key, value, owner, keyPath);
    const child = (schema.children as Record<string, ChildOption | undefined> | undefined)?.[key];
    const section = (schema.sections as Record<string, OptionsSchema<object> | undefined> | undefined)?.[key];
    if (child !== undefined && value !== null) {
      validateChild(child, value, keyPath);
    } else if (section !== undefined && value !== null) {
      out[key] = validateOptions(section, value, `${owner}.${key}`, keyPath);
      continue;
    }
    out[key] = value;
  }
  for (const key of schema.required ?? []) {
    if (out[key] === null || out[key] === undefined) {
      throw new ConfigError(`Missing required option '${key}' at ${path === '' ? key : `${path}.${key}`} for ${owner}`);
    }
  }
  // Sections left at their defaults are still resolved, so builders see complete objects.
  for (const [key, section] of Object.entries(schema.sections ?? {})) {
    if (section !== undefined && isPlainObject(out[key]) && !(key in given)) {
      out[key] = validateOptions(section as OptionsSchema<object>, out[key], `${owner}.${key}`, `${path}.${key}`);
    }
  }
  return out as TOptions;
}

function checkKind<TOptions extends object>(
  schema: OptionsSchema<TOptions>,
  key: string,
  value: unknown,
  owner: string,
  keyPath: string,
): void {
  const explicit = (schema.kinds as Record<string, ValueKind[] | undefined> | undefined)?.[key];
  const def = (schema.defaults as Record<string, unknown>)[key];
  const child = (schema.children as Record<string, ChildOption | undefined> | undefined)?.[key];
  let accepted: ValueKind[];
  if (explicit !== undefined) accepted = explicit;
  else if (child !== undefined) accepted = child.list === true ? ['array', 'null'] : ['object', 'null'];
  else if (def === null || def === undefined) return;
  else accepted = [kindOf(def) as ValueKind];
  const actual = kindOf(value);
  if (!(accepted as string[]).includes(actual)) {
    throw new ConfigError(
      `Option ${keyPath} of ${owner}: expected ${accepted.join(' or ')}, got ${actual} ${describeValue(value)}`,
    );
  }
}

function validateChild(child: ChildOption, value: unknown, keyPath: string): void {
  if (childValidator === null) return;
  if (child.list === true) {
    if (!Array.isArray(value)) throw new ConfigError(`${keyPath}: expected a list of ${child.registry} configs`);
    value.forEach((item, i) => childValidator?.(child.registry, item, `${keyPath}.${i}`));
  } else {
    childValidator(child.registry, value, keyPath);
  }
}

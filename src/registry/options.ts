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
export type RegistryKind = 'backbones' | 'necks' | 'heads' | 'models' | 'datasets' | 'transforms' | 'losses' | 'optimizers' | 'schedulers' | 'metrics' | 'hooks';

/** An option whose value is a component config (`{type, ...}`), or a list of them. */
export interface ChildOption {
  /** Registry the `type` is looked up in. */
  registry: RegistryKind;
  /** The value is a list of component configs (`true`), one config (`false`), or either (`'either'`). Default false. */
  list?: boolean | 'either';
}

/** A scalar an enumerated option can take. */
export type ChoiceValue = string | number | boolean | null;

/**
 * Allowed numbers of an option (a number, or each number of a list).
 * Ratios are `{min: 0, max: 1}`; counts `{integer: true, min: 1}`.
 */
export interface NumberRange {
  /** Must be an integer. Default false. */
  integer?: boolean;
  /** Lower bound (inclusive unless `minExclusive`). */
  min?: number;
  /** Upper bound (inclusive unless `maxExclusive`). */
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** Common ranges. */
export const RANGES = {
  /** An integer ≥ 1 (sizes, counts, batch sizes). */
  positiveInt: { integer: true, min: 1 },
  /** An integer ≥ 0 (intervals where 0 means "off", worker counts). */
  nonNegativeInt: { integer: true, min: 0 },
  /** A number > 0 (learning rates, temperatures). */
  positive: { min: 0, minExclusive: true },
  /** A number ≥ 0. */
  nonNegative: { min: 0 },
  /** A ratio or probability in [0, 1]. */
  ratio: { min: 0, max: 1 },
  /** Any integer. */
  integer: { integer: true },
} as const satisfies Record<string, NumberRange>;

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
  /** Enumerated options: the values each accepts (a typo is an error naming them). */
  choices?: { [K in keyof TOptions]?: readonly ChoiceValue[] };
  /** Numeric options: integer-ness and bounds (checked on a number, or on each number of a list). */
  ranges?: { [K in keyof TOptions]?: NumberRange };
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
export function validateOptions<TOptions extends object>(schema: OptionsSchema<TOptions>, given: unknown, owner: string, path: string, ignoredKeys: readonly string[] = []): TOptions {
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
      throw new ConfigError(`Unknown option '${key}' at ${keyPath} for ${owner}.${didYouMean(key, valid)} ` + `Valid options: ${valid.join(', ')}`);
    }
    if (value === undefined) continue;
    checkKind(schema, key, value, owner, keyPath);
    checkChoice(schema, key, value, owner, keyPath);
    checkRange(schema, key, value, owner, keyPath);
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

function checkKind<TOptions extends object>(schema: OptionsSchema<TOptions>, key: string, value: unknown, owner: string, keyPath: string): void {
  const explicit = (schema.kinds as Record<string, ValueKind[] | undefined> | undefined)?.[key];
  const def = (schema.defaults as Record<string, unknown>)[key];
  const child = (schema.children as Record<string, ChildOption | undefined> | undefined)?.[key];
  let accepted: ValueKind[];
  if (explicit !== undefined) accepted = explicit;
  else if (child !== undefined) accepted = child.list === true ? ['array', 'null'] : child.list === 'either' ? ['object', 'array', 'null'] : ['object', 'null'];
  else if (def === null || def === undefined) return;
  else accepted = [kindOf(def) as ValueKind];
  const actual = kindOf(value);
  if (!(accepted as string[]).includes(actual)) {
    throw new ConfigError(`Option ${keyPath} of ${owner}: expected ${accepted.join(' or ')}, got ${actual} ${describeValue(value)}`);
  }
}

function checkChoice<TOptions extends object>(schema: OptionsSchema<TOptions>, key: string, value: unknown, owner: string, keyPath: string): void {
  const choices = (schema.choices as Record<string, readonly ChoiceValue[] | undefined> | undefined)?.[key];
  if (choices === undefined || choices.includes(value as ChoiceValue)) return;
  const shown = choices.map((c) => JSON.stringify(c)).join(', ');
  const hint =
    typeof value === 'string'
      ? didYouMean(
          value,
          choices.filter((c): c is string => typeof c === 'string'),
        )
      : '';
  throw new ConfigError(`Option ${keyPath} of ${owner}: expected one of ${shown}, got ${describeValue(value)}.${hint}`);
}

/** A range in words, e.g. `an integer ≥ 1` or `a number in [0, 1]`. */
export function describeRange(range: NumberRange): string {
  const noun = range.integer === true ? 'an integer' : 'a number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${noun} in ${range.minExclusive === true ? '(' : '['}${min}, ${max}${range.maxExclusive === true ? ')' : ']'}`;
  }
  if (min !== undefined) return `${noun} ${range.minExclusive === true ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${noun} ${range.maxExclusive === true ? '<' : '≤'} ${max}`;
  return noun;
}

/** Whether `n` satisfies `range`. */
export function inRange(n: number, range: NumberRange): boolean {
  if (!Number.isFinite(n)) return false;
  if (range.integer === true && !Number.isInteger(n)) return false;
  if (range.min !== undefined && (range.minExclusive === true ? !(n > range.min) : !(n >= range.min))) return false;
  if (range.max !== undefined && (range.maxExclusive === true ? !(n < range.max) : !(n <= range.max))) return false;
  return true;
}

function checkRange<TOptions extends object>(schema: OptionsSchema<TOptions>, key: string, value: unknown, owner: string, keyPath: string): void {
  const range = (schema.ranges as Record<string, NumberRange | undefined> | undefined)?.[key];
  if (range === undefined || value === null) return;
  const fail = (what: unknown, where: string): never => {
    throw new ConfigError(`Option ${where} of ${owner}: expected ${describeRange(range)}, got ${describeValue(what)}`);
  };
  if (typeof value === 'number') {
    if (!inRange(value, range)) fail(value, keyPath);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v !== 'number' || !inRange(v, range)) fail(v, `${keyPath}.${i}`);
    });
  } else {
    fail(value, keyPath);
  }
}

function validateChild(child: ChildOption, value: unknown, keyPath: string): void {
  if (childValidator === null) return;
  if (child.list === 'either' && !Array.isArray(value)) {
    childValidator(child.registry, value, keyPath);
  } else if (child.list === true || child.list === 'either') {
    if (!Array.isArray(value)) throw new ConfigError(`${keyPath}: expected a list of ${child.registry} configs`);
    value.forEach((item, i) => childValidator?.(child.registry, item, `${keyPath}.${i}`));
  } else {
    childValidator(child.registry, value, keyPath);
  }
}

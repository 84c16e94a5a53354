/**
 * Config inheritance, as mmengine's `_base_`: objects merge key by key, other
 * values (numbers, strings, lists) replace; an object carrying `_delete_: true`
 * replaces the inherited object instead of merging into it.
 */
import { isPlainObject } from '../registry/options.js';

/** Key that makes an object replace, not merge into, its inherited value. */
export const DELETE_KEY = '_delete_';

/** Deep copy of a JSON-like value. */
export function cloneConfig<T>(value: T): T {
  return structuredClone(value);
}

/** Returns `base` overlaid with `override` (neither argument is modified). */
export function mergeConfig(base: unknown, override: unknown): unknown {
  if (!isPlainObject(override)) return cloneConfig(override);
  if (override[DELETE_KEY] === true || !isPlainObject(base)) return stripDelete(override);
  const out: Record<string, unknown> = cloneConfig(base);
  for (const [key, value] of Object.entries(override)) {
    if (key === DELETE_KEY) continue;
    out[key] = key in out ? mergeConfig(out[key], value) : stripDelete(value);
  }
  return out;
}

function stripDelete(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDelete);
  if (!isPlainObject(value)) return cloneConfig(value);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (key !== DELETE_KEY) out[key] = stripDelete(v);
  return out;
}

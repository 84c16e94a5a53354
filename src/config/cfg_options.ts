/**
 * Command-line overrides: `--cfg-options a.b.c=value [x.y=value ...]`.
 *
 * Values are parsed as JSON when they parse (`3`, `1e-4`, `true`, `null`,
 * `[1,2]`, `{"k":1}`, `"quoted"`), otherwise taken as strings. A numeric path
 * segment indexes into a list (`model.backbone.depths.2=18`).
 */
import { ConfigError } from '../core/errors.js';
import { isPlainObject } from '../registry/options.js';

/** One parsed override. */
export interface CfgOption {
  /** Dotted path, split. */
  path: string[];
  /** Parsed value. */
  value: unknown;
}

/** Parses `key=value` strings. */
export function parseCfgOptions(items: readonly string[]): CfgOption[] {
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--cfg-options: expected key=value, got '${item}'`);
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    const path = key.split('.');
    if (path.some((p) => p === '')) throw new ConfigError(`--cfg-options: bad key '${key}'`);
    return { path, value };
  });
}

/**
 * Applies overrides in place. Intermediate objects are created as needed; the
 * keys themselves are checked later by config validation, which names any
 * misspelled one.
 */
export function applyCfgOptions(config: Record<string, unknown>, options: readonly CfgOption[]): void {
  for (const { path, value } of options) {
    let node: unknown = config;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i];
      const nextIsIndex = /^\d+$/.test(path[i + 1]);
      if (Array.isArray(node)) {
        const idx = Number(seg);
        if (!Number.isInteger(idx) || idx >= node.length) {
          throw new ConfigError(`--cfg-options ${path.join('.')}: index ${seg} out of range for list at ${path.slice(0, i).join('.')}`);
        }
        node = node[idx];
      } else if (isPlainObject(node)) {
        if (!(seg in node) || node[seg] === null || typeof node[seg] !== 'object') node[seg] = nextIsIndex ? [] : {};
        node = node[seg];
      } else {
        throw new ConfigError(`--cfg-options ${path.join('.')}: ${path.slice(0, i).join('.')} is not an object`);
      }
    }
    const last = path[path.length - 1];
    if (Array.isArray(node)) {
      const idx = Number(last);
      if (!Number.isInteger(idx) || idx > node.length) {
        throw new ConfigError(`--cfg-options ${path.join('.')}: index ${last} out of range`);
      }
      node[idx] = value;
    } else if (isPlainObject(node)) {
      node[last] = value;
    } else {
      throw new ConfigError(`--cfg-options ${path.join('.')}: parent is not an object`);
    }
  }
}

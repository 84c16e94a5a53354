/** Looking up a backbone's named size preset (`arch`). */
import { ConfigError } from '../core/errors.js';

/**
 * The preset called `arch` in `presets`, or null when `arch` is null (the sizes are set explicitly).
 * @throws ConfigError naming the component, the unknown arch and the known ones.
 */
export function archPreset<T>(component: string, arch: string | null, presets: Readonly<Record<string, T>>): T | null {
  if (arch === null) return null;
  if (!Object.hasOwn(presets, arch)) {
    throw new ConfigError(`${component}: unknown arch '${arch}'; expected one of ${Object.keys(presets).join(', ')}`);
  }
  return presets[arch];
}

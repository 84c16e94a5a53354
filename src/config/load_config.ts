/**
 * Config files: TypeScript/JavaScript modules with a default export, or JSON.
 * A file may inherit from others through `_base_` (a path or a list of paths,
 * relative to the file), merged in order and then overlaid with the file itself
 * (see {@link mergeConfig}).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { isPlainObject, kindOf } from '../registry/options.js';
import { mergeConfig } from './merge.js';
import { applyCfgOptions, parseCfgOptions, type CfgOption } from './cfg_options.js';
import { scaleScheduleToLength } from './scale_schedule.js';

/** Key holding the base files of a config. */
export const BASE_KEY = '_base_';

/** A fully resolved config: plain JSON-like data. */
export type Config = Record<string, unknown>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `key=value` overrides, as given to `--cfg-options`. */
  cfgOptions?: readonly string[];
  /**
   * Whether an override of `trainCfg.maxIters` scales the iteration-based
   * schedule with it (unless a `paramScheduler` key is overridden too). Default true.
   */
  scaleSchedule?: boolean;
  /** Receives the notes of the loader (what a scaled schedule became). Default: none. */
  log?: ((line: string) => void) | null;
}

async function readConfigFile(file: string): Promise<unknown> {
  if (!existsSync(file)) throw new ConfigError(`Config file not found: ${file}`);
  const ext = extname(file);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`Config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new ConfigError(`Config file ${file} failed to load: ${(err as Error).message}`);
    }
    if (mod.default === undefined) throw new ConfigError(`Config file ${file} has no default export`);
    return mod.default;
  }
  throw new ConfigError(`Config file ${file}: unsupported extension '${ext}' (use .ts, .js, .mjs or .json)`);
}

function assertJsonLike(value: unknown, file: string, path: string): void {
  const kind = kindOf(value);
  if (kind === 'function' || kind === 'other') {
    throw new ConfigError(`Config ${file}: ${path || '(root)'} holds a ${kind}; configs hold only JSON-like data`);
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertJsonLike(v, file, `${path}.${i}`));
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) assertJsonLike(v, file, path === '' ? k : `${path}.${k}`);
  }
}

async function loadWithBases(file: string, stack: string[]): Promise<Config> {
  const abs = resolve(file);
  if (stack.includes(abs)) throw new ConfigError(`Config inheritance cycle: ${[...stack, abs].join(' -> ')}`);
  const raw = await readConfigFile(abs);
  if (!isPlainObject(raw)) throw new ConfigError(`Config file ${abs} must export an object`);
  assertJsonLike(raw, abs, '');
  const { [BASE_KEY]: bases, ...own } = raw;
  let merged: unknown = {};
  if (bases !== undefined) {
    const list = typeof bases === 'string' ? [bases] : bases;
    if (!Array.isArray(list) || !list.every((b) => typeof b === 'string')) {
      throw new ConfigError(`Config ${abs}: ${BASE_KEY} must be a path or a list of paths`);
    }
    for (const base of list as string[]) {
      const basePath = resolve(dirname(abs), base);
      if (!existsSync(basePath)) {
        throw new ConfigError(
          `Config file not found: ${basePath}, the ${BASE_KEY} '${base}' of ${abs} (${BASE_KEY} paths are relative to the file that names them; ` +
            `a config copied elsewhere needs its ${BASE_KEY} paths adjusted)`,
        );
      }
      merged = mergeConfig(merged, await loadWithBases(basePath, [...stack, abs]));
    }
  }
  return mergeConfig(merged, own) as Config;
}

/**
 * Loads a config file with its bases and applies command-line overrides.
 * The result is not yet validated: call {@link validateConfig}.
 */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<Config> {
  const config = await loadWithBases(file, []);
  if (options.cfgOptions !== undefined && options.cfgOptions.length > 0) {
    const overrides = parseCfgOptions(options.cfgOptions);
    const fileIters = iterationLength(config);
    applyCfgOptions(config, overrides);
    if (options.scaleSchedule !== false) scaleOverriddenSchedule(config, overrides, fileIters, options.log ?? null);
  }
  return config;
}

/** `trainCfg.maxIters` of an iteration-based config, else null. */
function iterationLength(config: Config): number | null {
  const trainCfg = config.trainCfg;
  if (!isPlainObject(trainCfg) || (trainCfg.by ?? 'iter') !== 'iter' || typeof trainCfg.maxIters !== 'number') return null;
  return trainCfg.maxIters;
}

/**
 * After `--cfg-options trainCfg.maxIters=N`, scales the file's schedule from its
 * `maxIters` to N, unless the overrides set `paramScheduler` keys themselves.
 */
function scaleOverriddenSchedule(config: Config, overrides: readonly CfgOption[], fileIters: number | null, log: ((line: string) => void) | null): void {
  const setsLength = overrides.some((o) => o.path.join('.') === 'trainCfg.maxIters' || (o.path.length === 1 && o.path[0] === 'trainCfg'));
  const setsSchedule = overrides.some((o) => o.path[0] === 'paramScheduler');
  const newIters = iterationLength(config);
  if (!setsLength || setsSchedule || fileIters === null || newIters === null || !Number.isInteger(newIters)) return;
  const changes = scaleScheduleToLength(config, fileIters, newIters);
  if (changes.length > 0 && log !== null) {
    log(`trainCfg.maxIters ${fileIters} → ${newIters}: the schedule is scaled with it (${changes.join(', ')}); ` + `set paramScheduler keys in --cfg-options to choose them yourself`);
  }
}

/**
 * Shared command-line handling of the tools: flag parsing, backend set-up,
 * config loading and error reporting.
 */
import { spawnSync } from 'node:child_process';
import { ConfigError, CheckpointError, DataError, ShapeError } from '../../src/core/errors.js';
import { selectBackend, type BackendName } from '../../src/core/backend.js';
import { registerBuiltins } from '../../src/registry/builtins.js';
import { loadConfig } from '../../src/config/load_config.js';
import { validateConfig, type RootConfig } from '../../src/config/schema.js';
import { didYouMean } from '../../src/registry/suggest.js';

/** Kinds of flag values. */
export type FlagKind = 'string' | 'number' | 'boolean' | 'list';

/** One flag of a tool. */
export interface FlagSpec {
  /** Kind of value: `list` takes every following non-flag word. */
  kind: FlagKind;
  /** One-line help. */
  help: string;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  flags: Map<string, string | number | boolean | string[]>;
  positional: string[];
}

/** Error in the command line itself (reported with the usage text). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Parses `argv` against `specs` (`--name value`, `--name=value`, booleans
 * without value, lists until the next flag). Unknown flags are errors that
 * name the nearest known flag.
 */
export function parseArgs(argv: readonly string[], specs: Record<string, FlagSpec>): ParsedArgs {
  const flags = new Map<string, string | number | boolean | string[]>();
  const positional: string[] = [];
  const names = Object.keys(specs);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}.${didYouMean(name, names)}`);
    if (spec.kind === 'boolean') {
      flags.set(name, inline === undefined ? true : inline !== 'false');
      continue;
    }
    if (spec.kind === 'list') {
      const values = inline !== undefined ? [inline] : [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
      flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), ...values]);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${value}'`);
      flags.set(name, n);
    } else {
      flags.set(name, value);
    }
  }
  return { flags, positional };
}

/** Typed accessors over parsed flags. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** A required string flag. */
export function requireFlag(args: ParsedArgs, name: string): string {
  const v = flagString(args, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

/** A number flag. */
export function flagNumber(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  return typeof v === 'number' ? v : undefined;
}

/** A boolean flag (false when absent). */
export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

/** A list flag (empty when absent). */
export function flagList(args: ParsedArgs, name: string): string[] {
  const v = args.flags.get(name);
  return Array.isArray(v) ? v : [];
}

/** Flags every model tool accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  config: { kind: 'string', help: 'config file (.ts, .js or .json)' },
  'cfg-options': { kind: 'list', help: 'overrides key.path=value (JSON values)' },
  backend: { kind: 'string', help: 'tensorflow | wasm | cpu (default: automatic, or DENSEKIT_BACKEND)' },
  help: { kind: 'boolean', help: 'show this help' },
};

/** Formats a usage text from a synopsis and flag specs. */
export function usage(synopsis: string, specs: Record<string, FlagSpec>): string {
  const lines = Object.entries(specs).map(([n, s]) => `  --${n}${s.kind === 'boolean' ? '' : s.kind === 'list' ? ' v...' : ' v'}`.padEnd(26) + s.help);
  return `usage: ${synopsis}\n${lines.join('\n')}`;
}

/**
 * Selects the backend (from `--backend`, else `fallback`, else the environment or
 * automatically) and registers the built-in components.
 * @param fallback the config's `backend`, or a tool's own choice.
 * @param fallbackSource how the log line names who chose `fallback`.
 */
export async function setupTool(args: ParsedArgs, fallback: string | null = null, fallbackSource = "the config's 'backend'"): Promise<BackendName> {
  registerBuiltins();
  const flag = flagString(args, 'backend');
  if (flag !== undefined) return selectBackend({ requested: flag, requestedBy: '--backend' });
  return selectBackend({ requested: fallback ?? undefined, requestedBy: fallbackSource });
}

/**
 * Loads, overrides and validates the config named by `--config`. An override of
 * `trainCfg.maxIters` scales the schedule with it (see `scaleScheduleToLength`), said on stderr.
 */
export async function loadToolConfig(args: ParsedArgs): Promise<{ file: string; raw: Record<string, unknown>; config: RootConfig }> {
  registerBuiltins();
  const file = requireFlag(args, 'config');
  // Notes go to stderr, so that `print-config --json` prints only the JSON.
  const raw = await loadConfig(file, { cfgOptions: flagList(args, 'cfg-options'), log: (line) => console.error(`densekit: ${line}`) });
  return { file, raw, config: validateConfig(raw, file) };
}

/**
 * Runs a tool's main function: known input errors are printed as one clear
 * line (no stack trace) and exit with status 1; usage errors also print the usage.
 */
export function runTool(main: (argv: string[]) => Promise<void>, usageText: string): void {
  const all = process.argv.slice(2);
  const debug = all.includes('--debug');
  const argv = all.filter((a) => a !== '--debug');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${usageText}\n  --debug                 print the full stack of an error`);
    return;
  }
  main(argv).catch((err: unknown) => {
    console.error(formatToolError(err, usageText, debug));
    process.exitCode = 1;
  });
}

/**
 * How a tool reports an error: `ErrorName: message` (usage errors with the usage
 * text), the full stack only with `--debug`. Errors the framework does not
 * expect also say that `--debug` shows where they came from.
 */
export function formatToolError(err: unknown, usageText: string, debug: boolean): string {
  if (err instanceof UsageError) return `error: ${err.message}\n${usageText}`;
  if (!(err instanceof Error)) return `Error: ${String(err)}`;
  if (debug) return err.stack ?? `${err.name}: ${err.message}`;
  const expected = err instanceof ConfigError || err instanceof DataError || err instanceof CheckpointError || err instanceof ShapeError;
  return expected ? `${err.name}: ${err.message}` : `${err.name}: ${err.message} (unexpected; run again with --debug for the stack)`;
}

/**
 * Runs `npm run -s <script> -- <args>` in this project, as the user would type it, and
 * throws when it fails. With `quietStdout` its standard output is discarded (errors still show).
 */
export function runNpmScript(script: string, args: string[], quietStdout = false): void {
  const r = spawnSync('npm', ['run', '-s', script, '--', ...args], { stdio: quietStdout ? ['inherit', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed (status ${r.status})`);
}

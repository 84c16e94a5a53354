/**
 * Backend selection.
 *
 * Preference order when nothing is requested:
 *   1. `tensorflow` — `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`, if importable
 *      (the latter is what `npm run setup-native` builds from PyPI's TensorFlow C library);
 *   2. `wasm` — `@tensorflow/tfjs-backend-wasm` (XNNPACK), with the training kernels it lacks
 *      added by {@link registerWasmTrainingKernels}, multi-threaded in Node (its threaded-SIMD
 *      build on `worker_threads`, see `wasm_threads/threaded_backend.ts`; `DENSEKIT_WASM_THREADS`
 *      or the `wasmThreads` option sets the thread count, `off` turns it off);
 *   3. `cpu` — plain JavaScript.
 *
 * A backend can be forced with the `--backend` flag of every tool or with the
 * `DENSEKIT_BACKEND` environment variable (the flag wins).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from './tf.js';
import { ConfigError } from './errors.js';
import { registerWasmTrainingKernels } from './wasm_kernels/register.js';
import { installThreadedWasmFactory, wasmThreadsCount, wasmThreadsStatus } from './wasm_threads/threaded_backend.js';
import type { WasmThreadsRequest } from './wasm_threads/threads_setting.js';

/** Names of the backends the framework can run on. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
/** A backend the framework can run on. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Environment variable that overrides the automatic backend choice. */
export const BACKEND_ENV_VAR = 'DENSEKIT_BACKEND';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Backend to use; `undefined` falls back to `DENSEKIT_BACKEND`, then to automatic choice. */
  requested?: string;
  /** Who requested it, for the log line. Default `--backend`. */
  requestedBy?: string;
  /** Where the one-line "using backend" message goes. Default: `console.error`. `null` silences it. */
  log?: ((message: string) => void) | null;
  /**
   * Threads of the wasm backend in Node: `'auto'` (one per logical core, at most 8), `'off'`
   * (tfjs's single-threaded build) or 1–8. Default: `DENSEKIT_WASM_THREADS`, else `'auto'`.
   * Takes effect only before the wasm backend is first initialised in the process.
   */
  wasmThreads?: WasmThreadsRequest;
}

let announced: string | null = null;

/** Node packages that provide the `tensorflow` backend, in order of preference. */
const NODE_BINDINGS = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const requireFromHere = createRequire(import.meta.url);

/**
 * Why `pkg` cannot provide the backend without importing it: not installed, or
 * installed without its native addon (its install script did not run or could not
 * download libtensorflow). Null when the addon is there.
 */
function missingNativeAddon(pkg: string): string | null {
  let root: string;
  try {
    root = dirname(requireFromHere.resolve(`${pkg}/package.json`));
  } catch {
    return 'not installed';
  }
  const addon = join(root, 'lib', 'napi-v8', 'tfjs_binding.node');
  return existsSync(addon) ? null : `installed without its native addon (${addon} is missing)`;
}

async function tryLoadNodeBinding(): Promise<{ loaded: string | null; reasons: string[] }> {
  const reasons: string[] = [];
  // TensorFlow's INFO lines (CPU feature notes) on stderr; warnings and errors still show.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  for (const pkg of NODE_BINDINGS) {
    const missing = missingNativeAddon(pkg);
    if (missing !== null) {
      // Importing it anyway would register its kernels and then fail, leaving them behind.
      reasons.push(`${pkg}: ${missing}`);
      continue;
    }
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const specifier: string = pkg;
      await import(specifier);
      if (tf.findBackendFactory('tensorflow') !== null) return { loaded: pkg, reasons };
      reasons.push(`${pkg} loaded but registered no 'tensorflow' backend`);
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      reasons.push(`${pkg}: ${message}`);
    }
  }
  return { loaded: null, reasons };
}

/**
 * The library the `tensorflow` backend runs on, e.g. `TensorFlow 2.21.0, CPU`
 * (tfjs-node's backend exposes the C library's `TF_Version` and whether it placed ops on a GPU).
 */
export function nativeLibraryDescription(): string {
  const info = nativeLibraryInfo();
  return `TensorFlow ${info?.tfVersion ?? 'unknown version'}, ${info?.usingGpu === true ? 'GPU' : 'CPU'}`;
}

/** The active `tensorflow` backend's TensorFlow version and device, or null on another backend. */
export function nativeLibraryInfo(): { tfVersion: string; usingGpu: boolean } | null {
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: unknown }; isUsingGpuDevice?: boolean };
  if (backend.binding === undefined) return null;
  const version = backend.binding.TF_Version;
  return { tfVersion: typeof version === 'string' ? version : 'unknown version', usingGpu: backend.isUsingGpuDevice === true };
}

async function activate(name: BackendName, wasmThreads: WasmThreadsRequest | undefined): Promise<boolean> {
  if (name === 'wasm') {
    registerWasmTrainingKernels();
    await installThreadedWasmFactory(wasmThreads);
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * The cpu backend prints a "install tfjs-node" hint on first use; the choice of
 * backend is already logged here, so mark it as used.
 */
function silenceCpuNodeHint(): void {
  const backend = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (backend !== null && backend.firstUse !== undefined) backend.firstUse = false;
}

/** `2 threads`, or `1 thread (why)` for the log line of the wasm backend. */
function wasmThreadsDescription(): string {
  const count = wasmThreadsCount();
  const info = wasmThreadsStatus();
  const counted = count === 1 ? '1 thread' : `${count ?? 'unknown'} threads`;
  if (info === null) return counted;
  if (info.fallbackReason !== null) return `${counted}: ${info.fallbackReason}`;
  if (info.requested === 1 && info.source !== 'default') return `${counted}, set by ${info.source}`;
  return counted;
}

/**
 * Chooses and initialises the tfjs backend. Logs the choice once per process.
 *
 * @returns the name of the active backend.
 * @throws ConfigError when a requested backend is unknown or cannot be initialised.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendName> {
  const log = options.log === undefined ? (m: string) => console.error(m) : options.log;
  const fromEnv = process.env[BACKEND_ENV_VAR];
  const requested = options.requested ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  const source = options.requested !== undefined ? (options.requestedBy ?? '--backend') : `${BACKEND_ENV_VAR}`;
  let chosen: BackendName;
  let detail: string;

  if (requested !== undefined) {
    if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
      throw new ConfigError(`Unknown backend '${requested}' (from ${source}); expected one of: ${BACKEND_NAMES.join(', ')}`);
    }
    chosen = requested as BackendName;
    if (chosen === 'tensorflow') {
      const { loaded, reasons } = await tryLoadNodeBinding();
      if (loaded === null) {
        throw new ConfigError(
          `Backend 'tensorflow' requested (from ${source}) but neither @tensorflow/tfjs-node-gpu nor ` +
            `@tensorflow/tfjs-node could be loaded:\n  ${reasons.join('\n  ')}\n` +
            `Install one of them, or build @tensorflow/tfjs-node from PyPI's TensorFlow with \`npm run setup-native\` ` +
            `(see README, "Backends and GPU set-up"), or choose --backend wasm.`,
        );
      }
      detail = `requested by ${source}, provided by ${loaded}`;
    } else {
      detail = `requested by ${source}`;
    }
    if (!(await activate(chosen, options.wasmThreads))) {
      throw new ConfigError(`Backend '${chosen}' (from ${source}) failed to initialise`);
    }
  } else {
    const { loaded, reasons } = await tryLoadNodeBinding();
    if (loaded !== null && (await activate('tensorflow', options.wasmThreads))) {
      chosen = 'tensorflow';
      detail = `automatic, provided by ${loaded}`;
    } else if (await activate('wasm', options.wasmThreads)) {
      chosen = 'wasm';
      detail = `automatic; no native binding (${reasons.map((r) => r.split(':')[0]).join(', ')} not loadable)`;
    } else if (await activate('cpu', options.wasmThreads)) {
      chosen = 'cpu';
      detail = 'automatic; wasm failed to initialise';
    } else {
      throw new ConfigError('No tfjs backend could be initialised (tried tensorflow, wasm, cpu)');
    }
  }
  await tf.ready();
  if (chosen === 'cpu') silenceCpuNodeHint();
  if (chosen === 'tensorflow') detail += `; ${nativeLibraryDescription()}`;
  if (chosen === 'wasm') detail += `; ${wasmThreadsDescription()}`;
  const message = `densekit: using backend '${chosen}' (${detail})`;
  if (log !== null && announced !== message) {
    log(message);
    announced = message;
  }
  return chosen;
}

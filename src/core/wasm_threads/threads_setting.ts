/**
 * How many threads the wasm backend should use in Node: the `wasmThreads` option or the
 * `DENSEKIT_WASM_THREADS` environment variable.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors.js';

/** Environment variable that sets the wasm backend's thread count (`auto`, `off`/`0`, or 1–8). */
export const WASM_THREADS_ENV_VAR = 'DENSEKIT_WASM_THREADS';

/**
 * Most threads the threaded build can use: it pre-creates 8 pthread workers and its
 * C++ side caps the XNNPACK thread pool at 8.
 */
export const MAX_WASM_THREADS = 8;

/**
 * A thread-count request: `'auto'` (the default: one thread per logical core, at most
 * {@link MAX_WASM_THREADS}), `'off'` (tfjs's single-threaded SIMD build), or a count 1–8
 * (1, and 0 or `false` in the environment variable, mean `'off'`).
 */
export type WasmThreadsRequest = 'auto' | 'off' | number;

/** A resolved request: the thread count and where it came from (for messages). */
export interface WasmThreadsSetting {
  /** Threads to run XNNPACK with; 1 selects tfjs's single-threaded build. */
  threads: number;
  /** `option`, `DENSEKIT_WASM_THREADS` or `default`. */
  source: string;
}

function parse(value: string | number, source: string): number {
  const text = String(value).trim().toLowerCase();
  if (text === 'auto') return Math.max(1, Math.min(availableParallelism(), MAX_WASM_THREADS));
  if (text === 'off' || text === 'false' || text === '0') return 1;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new ConfigError(`${source}: expected 'auto', 'off' or a whole number of threads from 1 to ${MAX_WASM_THREADS}, got '${String(value)}'`);
  }
  return n;
}

/**
 * Resolves the wasm thread count: `requested` if given, else `DENSEKIT_WASM_THREADS` if set
 * and non-empty, else `'auto'`.
 *
 * @throws ConfigError naming the option or variable when the value is not `auto`, `off`/`false`/`0` or 1–8.
 */
export function resolveWasmThreads(requested?: WasmThreadsRequest, env: NodeJS.ProcessEnv = process.env): WasmThreadsSetting {
  if (requested !== undefined) return { threads: parse(requested, 'wasmThreads option'), source: 'option' };
  const fromEnv = env[WASM_THREADS_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { threads: parse(fromEnv, WASM_THREADS_ENV_VAR), source: WASM_THREADS_ENV_VAR };
  }
  return { threads: parse('auto', 'default'), source: 'default' };
}

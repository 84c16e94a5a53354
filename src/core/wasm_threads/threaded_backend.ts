/**
 * Multi-threaded wasm in Node: tfjs-backend-wasm 4.22's threaded-SIMD build, started with
 * `worker_threads` from file paths.
 *
 * tfjs does not run that build in Node (its `WASM_HAS_MULTITHREAD_SUPPORT` flag is false when
 * `IS_NODE`, tfjs #3830) because its `init()` hands the Emscripten glue a `blob:` URL for the
 * pthread worker and a `Blob` for the main script, which Node's `Worker` and the worker's
 * `importScripts` cannot load. {@link installThreadedWasmFactory} replaces the `wasm` backend's
 * factory with one that calls the same shipped glue (`wasm-out/tfjs-backend-wasm-threaded-simd.js`)
 * with file paths instead — the worker is `pthread_worker.cjs` beside this file — and builds
 * tfjs's own `BackendWasm` on the result, so every registered wasm kernel runs unchanged.
 * No file under node_modules is modified.
 *
 * Two details of the shipped build are handled here:
 * - its C++ `init` caps the thread pool at `emscripten_num_logical_cores() / 2` (it assumes two
 *   hyper-threads per core), i.e. 1 thread on a 2-core machine; the wasm import that answers that
 *   question is given `2 × threads`, so the pool gets the requested size;
 * - the pool's threads keep their workers referenced, which would keep Node from exiting; they
 *   are unreferenced once started (the main thread waits for them synchronously inside each
 *   kernel, so the event loop never needs them), and terminated when the backend is disposed.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { LazyPthreadWorker } from './lazy_pthread_worker.js';
import { wasmThreadsUnavailableReason } from './support.js';
import { resolveWasmThreads, type WasmThreadsRequest } from './threads_setting.js';

const requireFromHere = createRequire(import.meta.url);
const WASM_PACKAGE_ROOT = dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
/** The Emscripten glue of the threaded-SIMD build (also imported by every pthread worker). */
const GLUE_FILE = join(WASM_PACKAGE_ROOT, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
const WASM_FILE = join(WASM_PACKAGE_ROOT, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
/** Entry file of the pthread workers. */
const WORKER_FILE = join(dirname(fileURLToPath(import.meta.url)), 'pthread_worker.cjs');
/** Priority tfjs registers its wasm backend with (`WASM_PRIORITY`). */
const WASM_PRIORITY = 2;

/** One Node worker of the Emscripten pthread pool. */
interface PthreadWorker {
  unref(): void;
  terminate(): Promise<number>;
}

/** The parts of the Emscripten module of the threaded build used here. */
interface ThreadedWasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number | void;
  PThread: { runningWorkers: PthreadWorker[]; unusedWorkers: PthreadWorker[] };
  tfjs?: Record<string, (...args: number[]) => number | void>;
}

/** The settings of the Emscripten factory that this file passes. */
interface ThreadedFactoryConfig {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: WebAssembly.Imports & { env: WebAssembly.ModuleImports }, receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): Record<string, never>;
  onAbort(what: unknown): void;
}

type ThreadedFactory = (config: ThreadedFactoryConfig) => Promise<ThreadedWasmModule>;

/** What the wasm backend runs with, as far as this file decided it. */
export interface WasmThreadsStatus {
  /** Threads requested (1 = tfjs's single-threaded build). */
  requested: number;
  /** Where the request came from: `option`, `DENSEKIT_WASM_THREADS` or `default`. */
  source: string;
  /** Why the threaded build is not used although more than one thread was requested; null otherwise. */
  fallbackReason: string | null;
}

let status: WasmThreadsStatus | null = null;
/** tfjs's own wasm factory, kept for the single-threaded case and the fallback. */
let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

/** The glue's `cwrap`s that tfjs's `init()` attaches as `module.tfjs` (BackendWasm calls them). */
function attachTfjsApi(module: ThreadedWasmModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/** tfjs's BackendWasm that also terminates the pthread workers when disposed. */
class ThreadedBackendWasm extends BackendWasm {
  constructor(
    private readonly pthreads: ThreadedWasmModule['PThread'],
    wasm: ConstructorParameters<typeof BackendWasm>[0],
  ) {
    super(wasm);
  }

  override dispose(): void {
    super.dispose();
    for (const worker of [...this.pthreads.runningWorkers, ...this.pthreads.unusedWorkers]) void worker.terminate();
  }
}

/**
 * Runs `start` with `worker_threads.Worker` replaced by {@link LazyPthreadWorker}, then restores
 * it. The glue creates its 8 pool workers with `new Worker(path)` synchronously inside the
 * factory call (and keeps that class as `global.Worker` for workers it adds later); the lazy
 * stand-ins start real workers, without the parent's Node options, only for the threads XNNPACK runs.
 */
function withLazyWorkers<T>(start: () => T): T {
  const workerThreads = requireFromHere('node:worker_threads') as { Worker: typeof Worker };
  const Original = workerThreads.Worker;
  const LazyWorker = function (filename: string | URL, options?: WorkerOptions) {
    return new LazyPthreadWorker(Original, filename, options);
  } as unknown as typeof Worker;
  workerThreads.Worker = LazyWorker;
  try {
    return start();
  } finally {
    workerThreads.Worker = Original;
  }
}

/** Instantiates the threaded-SIMD build with `threads` XNNPACK threads and wraps it in tfjs's BackendWasm. */
async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const factory = requireFromHere(GLUE_FILE) as ThreadedFactory;
  const listenersBefore = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const module = await new Promise<ThreadedWasmModule>((resolve, reject) => {
    const config: ThreadedFactoryConfig = {
      locateFile: (path, prefix) => (path.endsWith('.worker.js') ? WORKER_FILE : prefix + path),
      mainScriptUrlOrBlob: GLUE_FILE,
      instantiateWasm: (imports, receiveInstance) => {
        // The build sizes its pool as min(requested, logical cores / 2).
        imports.env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(readFileSync(WASM_FILE), imports).then(
          (result) => receiveInstance(result.instance, result.module),
          (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        );
        return {};
      },
      onAbort: (what) => reject(new Error(`the threaded wasm module aborted: ${String(what)}`)),
    };
    withLazyWorkers(() => factory(config)).then(resolve, (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
  });
  // The glue adds process handlers that only rethrow; Node then prints the glue's one
  // 55 kB line with every uncaught error. Node's own handling is the same without them.
  for (const listener of process.listeners('uncaughtException')) {
    if (!listenersBefore.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!listenersBefore.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener);
  }
  attachTfjsApi(module);
  setThreadsCount(threads);
  const backend = new ThreadedBackendWasm(module.PThread, module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // The pool's threads started in the constructor; they must not keep the process alive.
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Makes the next initialisation of the `wasm` backend use `threads` threads: the threaded-SIMD
 * build from file paths when more than one thread is requested and the engine supports it, else
 * tfjs's own single-threaded factory. If the threaded build fails to start, the backend falls
 * back to the single-threaded build and says why on stderr.
 *
 * Has no effect once the wasm backend is initialised (tfjs cannot re-create it in place);
 * {@link wasmThreadsStatus} then still describes the first choice.
 *
 * @param request thread count: see {@link WasmThreadsRequest}; default the
 *   `DENSEKIT_WASM_THREADS` environment variable, else `'auto'` (one per logical core, ≤ 8).
 * @throws ConfigError when the request is not `auto`, `off` or 1–8.
 */
export async function installThreadedWasmFactory(request?: WasmThreadsRequest): Promise<WasmThreadsStatus> {
  const setting = resolveWasmThreads(request);
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  if (engine.registry.wasm !== undefined) {
    status ??= {
      requested: setting.threads,
      source: setting.source,
      fallbackReason: setting.threads > 1 ? 'the wasm backend was initialised before densekit chose its threads' : null,
    };
    return status;
  }
  if (stockFactory === null) {
    stockFactory = tf.findBackendFactory('wasm');
    if (stockFactory === null) throw new Error("tfjs-backend-wasm registered no 'wasm' backend");
  }
  const stock = stockFactory;
  let fallbackReason: string | null = null;
  if (setting.threads > 1) fallbackReason = await wasmThreadsUnavailableReason();
  const current: WasmThreadsStatus = { requested: setting.threads, source: setting.source, fallbackReason };
  status = current;
  if (engine.registry.wasm !== undefined) return current; // initialised by someone else meanwhile
  const useThreads = setting.threads > 1 && fallbackReason === null;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    !useThreads
      ? stock
      : async () => {
          try {
            return await createThreadedBackend(setting.threads);
          } catch (err) {
            current.fallbackReason = `the threaded build failed to start: ${describe(err)}`;
            console.error(`densekit: wasm runs single-threaded: ${current.fallbackReason}`);
            return stock();
          }
        },
    WASM_PRIORITY,
  );
  return current;
}

/** The last choice of {@link installThreadedWasmFactory}, or null if it has not run. */
export function wasmThreadsStatus(): WasmThreadsStatus | null {
  return status;
}

/**
 * Threads the initialised wasm backend runs XNNPACK with (tfjs-wasm's `getThreadsCount()`);
 * null when the wasm backend is not initialised.
 */
export function wasmThreadsCount(): number | null {
  try {
    return getThreadsCount();
  } catch {
    return null;
  }
}

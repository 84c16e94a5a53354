/**
 * Throughput and peak-memory measurement of a model's forward pass (and, with
 * a step function, of training steps) on the active backend.
 */
import { tf } from '../core/tf.js';

/** Result of {@link benchmark}. */
export interface BenchmarkResult {
  /** Backend the numbers were measured on. */
  backend: string;
  /** Images per second over the timed iterations. */
  imagesPerSecond: number;
  /** Mean milliseconds per iteration. */
  msPerIteration: number;
  /** Peak bytes held by tfjs tensors during one iteration (tf.profile). */
  peakTensorBytes: number;
  /** Peak resident set size of the process so far, bytes. */
  peakRssBytes: number;
  /** Size of the wasm heap (memory reserved by the wasm backend), bytes; null on other backends. */
  wasmHeapBytes: number | null;
  /** Timed iterations. */
  iterations: number;
  /** Images per iteration. */
  batch: number;
}

/** Options of {@link benchmark}. */
export interface BenchmarkOptions {
  /** Images per iteration. */
  batch: number;
  /** Untimed iterations first. Default 2. */
  warmup?: number;
  /** Timed iterations. Default 5. */
  iterations?: number;
}

function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength ?? null;
}

/**
 * Times `step` (which must dispose everything it creates, or return tensors to
 * dispose) and profiles its peak tensor memory.
 */
export async function benchmark(step: () => tf.Tensor[] | void, options: BenchmarkOptions): Promise<BenchmarkResult> {
  const warmup = options.warmup ?? 2;
  const iterations = options.iterations ?? 5;
  const run = async (): Promise<void> => {
    const out = step();
    if (out !== undefined) {
      await Promise.all(out.map((t) => t.data())); // wait for asynchronous backends
      tf.dispose(out);
    }
  };
  for (let i = 0; i < warmup; i++) await run();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await run();
  const elapsed = performance.now() - start;
  const profile = await tf.profile(async () => {
    await run();
  });
  return {
    backend: tf.getBackend(),
    imagesPerSecond: (options.batch * iterations) / (elapsed / 1000),
    msPerIteration: elapsed / iterations,
    peakTensorBytes: profile.peakBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    wasmHeapBytes: wasmHeapBytes(),
    iterations,
    batch: options.batch,
  };
}

/** Formats bytes as MiB. */
export function mib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

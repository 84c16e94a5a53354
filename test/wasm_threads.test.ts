/**
 * Multi-threaded wasm in Node (src/core/wasm_threads): the thread count, results equal to the
 * single-threaded build on a mini Swin forward and training steps, the fallback without
 * SharedArrayBuffer, the off switch, and processes that exit by themselves.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { selectBackend } from '../src/core/backend.js';
import { ConfigError } from '../src/core/errors.js';
import { wasmThreadsCount, wasmThreadsStatus } from '../src/core/wasm_threads/threaded_backend.js';
import { MAX_WASM_THREADS, resolveWasmThreads, WASM_THREADS_ENV_VAR } from '../src/core/wasm_threads/threads_setting.js';

const PROBE = 'test/support/wasm_threads_probe.ts';

interface ProbeResult {
  threads: number;
  fallbackReason: string | null;
  logits: number[];
  losses: number[];
  gradNorms: number[];
  params: number[];
  tensorsBefore: number;
  tensorsAfter: number;
}

interface ProbeRun {
  result: ProbeResult;
  stderr: string;
}

/**
 * Runs the probe in a fresh Node process (the thread count is fixed at the first wasm init of a
 * process) and parses its JSON line. The process must exit by itself: a pthread worker that kept
 * it alive would hit the timeout and fail the test.
 */
function runProbe(threadsEnv: string, nodeFlags: string[] = [], preloads: string[] = []): Promise<ProbeRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, [WASM_THREADS_ENV_VAR]: threadsEnv };
    delete env.DENSEKIT_BACKEND;
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...preloads, PROBE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`probe (${WASM_THREADS_ENV_VAR}=${threadsEnv} ${[...nodeFlags, ...preloads].join(' ')}) did not exit within 90 s\n${stderr}`));
    }, 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`probe exited with ${code}:\n${stderr.slice(-3000)}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      resolve({ result: JSON.parse(line) as ProbeResult, stderr });
    });
  });
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

/** Same forward, same losses and gradient norms of both training steps, same parameters after them. */
function expectSameRun(actual: ProbeResult, reference: ProbeResult): void {
  expect(maxAbsDiff(actual.logits, reference.logits), 'logits').toBeLessThanOrEqual(1e-6);
  expect(maxAbsDiff(actual.losses, reference.losses), 'losses').toBeLessThanOrEqual(1e-6);
  expect(maxAbsDiff(actual.gradNorms, reference.gradNorms), 'gradient norms').toBeLessThanOrEqual(1e-5);
  expect(maxAbsDiff(actual.params, reference.params), 'parameters after two steps').toBeLessThanOrEqual(1e-6);
}

describe('wasm thread count setting', () => {
  it('reads auto, off and counts from the option or DENSEKIT_WASM_THREADS, option first', () => {
    const auto = Math.max(1, Math.min(availableParallelism(), MAX_WASM_THREADS));
    expect(resolveWasmThreads(undefined, {})).toEqual({ threads: auto, source: 'default' });
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: '' }).threads).toBe(auto);
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: 'off' })).toEqual({ threads: 1, source: WASM_THREADS_ENV_VAR });
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: '0' }).threads).toBe(1);
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: ' 3 ' }).threads).toBe(3);
    expect(resolveWasmThreads('off', { [WASM_THREADS_ENV_VAR]: '4' })).toEqual({ threads: 1, source: 'option' });
    expect(resolveWasmThreads(2, { [WASM_THREADS_ENV_VAR]: 'off' }).threads).toBe(2);
  });

  it('rejects other values with an error naming the variable and what it accepts', () => {
    expect(() => resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: 'many' })).toThrow(ConfigError);
    expect(() => resolveWasmThreads(undefined, { [WASM_THREADS_ENV_VAR]: '9' })).toThrow(/DENSEKIT_WASM_THREADS: expected 'auto', 'off' or a whole number of threads from 1 to 8, got '9'/);
    expect(() => resolveWasmThreads(2.5)).toThrow(/wasmThreads option: .* got '2.5'/);
  });
});

describe('multi-threaded wasm backend in Node', () => {
  it("runs with one thread per logical core (tfjs-wasm's getThreadsCount) by default", async () => {
    expect(await selectBackend({ requested: 'wasm', log: null, wasmThreads: 'auto' })).toBe('wasm');
    const expected = Math.max(1, Math.min(availableParallelism(), MAX_WASM_THREADS));
    expect(wasmThreadsCount()).toBe(expected);
    expect(wasmThreadsStatus()?.fallbackReason ?? null).toBeNull();
    // It computes: a matmul large enough for XNNPACK to split across the threads.
    const a = tf.tidy(() => tf.sin(tf.range(0, 256 * 192)).reshape([256, 192]));
    const b = tf.tidy(() => tf.cos(tf.range(0, 192 * 128)).reshape([192, 128]));
    const viaWasm = tf.matMul(a, b);
    const expectedValues = await viaWasm.data();
    const [ad, bd] = [a.dataSync(), b.dataSync()];
    let maxDiff = 0;
    for (const [i, j] of [
      [0, 0],
      [17, 99],
      [255, 127],
      [128, 64],
    ]) {
      let s = 0;
      for (let k = 0; k < 192; k++) s += ad[i * 192 + k] * bd[k * 128 + j];
      maxDiff = Math.max(maxDiff, Math.abs(s - expectedValues[i * 128 + j]));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-3);
    tf.dispose([a, b, viaWasm]);
  });

  it('gives the results of the single-threaded build on a mini Swin forward and two training steps, and exits by itself', async () => {
    const [threaded, single, noSab] = await Promise.all([
      runProbe('2'),
      runProbe('off'),
      // An engine without SharedArrayBuffer: the backend falls back to one thread and says why.
      runProbe('2', [], ['--import', './test/support/without_shared_array_buffer.mjs']),
    ]);
    expect(threaded.result.threads).toBe(2);
    expect(threaded.result.fallbackReason).toBeNull();
    expect(single.result.threads).toBe(1);
    expect(noSab.result.threads).toBe(1);
    expect(noSab.result.fallbackReason).toBe('SharedArrayBuffer is not available');
    expectSameRun(threaded.result, single.result);
    expectSameRun(noSab.result, single.result);
    // The training steps do not leak tensors on the threaded backend.
    expect(threaded.result.tensorsAfter).toBe(threaded.result.tensorsBefore);
    expect(threaded.stderr).not.toMatch(/worker sent an error|Aborted/);
  }, 240_000);
});

/** Shared helpers of the test suite. */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { tf } from '../src/core/tf.js';
import { selectBackend, type BackendName } from '../src/core/backend.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { toFloat32 } from '../src/checkpoint/host_tensor.js';
import { ProgressPrinter } from '../src/engine/progress.js';

/**
 * Whether this run is the native-backend pass of CI (`DENSEKIT_BACKEND=tensorflow`,
 * after `npm run setup-native`): the backend-sensitive suites then run on `tensorflow`.
 */
const NATIVE_PASS = process.env.DENSEKIT_BACKEND === 'tensorflow';

/** The backends every parity test runs on: cpu and wasm, or only tensorflow in the native pass. */
export const TEST_BACKENDS: BackendName[] = NATIVE_PASS ? ['tensorflow'] : ['cpu', 'wasm'];

/** The backend of the training and whole-model tests: wasm, or tensorflow in the native pass. */
export const TRAIN_BACKEND: BackendName = NATIVE_PASS ? 'tensorflow' : 'wasm';

/** Activates a backend quietly. */
export async function useBackend(name: BackendName): Promise<void> {
  await selectBackend({ requested: name, log: null });
}

/** Reads a safetensors fixture into float32 tfjs tensors (caller disposes). */
export function loadFixture(path: string): Map<string, tf.Tensor> {
  const { tensors } = readSafetensors(path);
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of tensors) {
    const f = toFloat32(t);
    out.set(name, tf.tensor(f.data as Float32Array, f.shape, 'float32'));
  }
  return out;
}

/** A fixture tensor by name; fails the test when absent. */
export function fixture(map: Map<string, tf.Tensor>, name: string): tf.Tensor {
  const t = map.get(name);
  if (t === undefined) throw new Error(`fixture tensor '${name}' missing`);
  return t;
}

/** Max |a − b| over all elements (shapes must be equal). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

/** Asserts equal shapes and max |a − b| ≤ atol. */
export function expectClose(actual: tf.Tensor, expected: tf.Tensor, atol = 1e-4, what = 'tensor'): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const diff = maxAbsDiff(actual, expected);
  expect(diff, `${what}: max abs diff ${diff}`).toBeLessThanOrEqual(atol);
}

/** NCHW → NHWC. */
export function nhwc(x: tf.Tensor): tf.Tensor4D {
  return x.transpose([0, 2, 3, 1]) as tf.Tensor4D;
}

/** What a tool process printed and how it ended. */
export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tools/<script>.ts` as a user would (through tsx), on the given backend. */
export function runToolProcess(script: string, args: string[], backend: BackendName = 'wasm'): ToolRun {
  const r = spawnSync('npx', ['tsx', `tools/${script}.ts`, ...args], { encoding: 'utf8', env: { ...process.env, DENSEKIT_BACKEND: backend } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A progress printer that records its output in `lines` instead of printing it. */
export function quietProgress(): ProgressPrinter & { lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (s: string) => lines.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
  return Object.assign(new ProgressPrinter(stream, false), { lines });
}

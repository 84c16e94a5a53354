/**
 * The native `tensorflow` backend: the pure steps of `npm run setup-native`, the
 * explicit-padding route the tensorflow kernels need, and, in CI's native pass
 * (`DENSEKIT_BACKEND=tensorflow` after `npm run setup-native`), the backend itself.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { nativeLibraryDescription, selectBackend } from '../src/core/backend.js';
import { backendTakesExplicitPadding, withExplicitPadding } from '../src/nn/functional/explicit_padding.js';
import { LIBRARY_LINKS, NATIVE_VARIANTS, REQUIRED_SYMBOLS, TENSORFLOW_VERSION, TFJS_VERSION, checkCApi, nativePaths, parseDefinedSymbols } from '../tools/lib/native_build.js';
import { TEST_BACKENDS, maxAbsDiff, useBackend } from './helpers.js';

const NATIVE_PASS = process.env.DENSEKIT_BACKEND === 'tensorflow';

describe('setup-native steps', () => {
  it('reads defined symbols from nm -D output, dropping symbol versions and undefined entries', () => {
    const nm = ['000000001d498d60 T TFE_NewContext@@tensorflow', '00000000017acc90 T TF_NewTensor', '                 U TF_Undefined', '0000000000001000 W TF_Weak@@tensorflow', 'garbage'].join('\n');
    expect([...parseDefinedSymbols(nm)].sort()).toEqual(['TFE_NewContext', 'TF_NewTensor', 'TF_Weak']);
  });

  it('names the required C API symbols a library lacks', () => {
    const all = new Set<string>([...REQUIRED_SYMBOLS, 'TF_Other', 'unrelated']);
    expect(checkCApi(all)).toEqual({ count: REQUIRED_SYMBOLS.length + 1, missing: [] });
    const partial = new Set<string>(['TFE_NewContext', 'TF_Version']);
    expect(checkCApi(partial).missing).toEqual(REQUIRED_SYMBOLS.filter((s) => !partial.has(s)));
  });

  it('pins the wheel and the package, and links the names the binding is linked and loaded with', () => {
    expect(NATIVE_VARIANTS.cpu.wheel).toBe(`tensorflow-cpu==${TENSORFLOW_VERSION}`);
    expect(NATIVE_VARIANTS.gpu).toMatchObject({ tfjsPackage: '@tensorflow/tfjs-node-gpu', experimental: true });
    expect(TFJS_VERSION).toBe(tf.version_core);
    // -ltensorflow -ltensorflow_framework at link time; the SONAMEs (….so.2) at load time.
    expect(Object.fromEntries(LIBRARY_LINKS.map((l) => [l.link, l.target]))).toEqual({
      'libtensorflow.so': 'libtensorflow_cc.so.2',
      'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
      'libtensorflow_cc.so.2': 'libtensorflow_cc.so.2',
      'libtensorflow_framework.so.2': 'libtensorflow_framework.so.2',
    });
    const p = nativePaths('/proj', NATIVE_VARIANTS.cpu);
    expect(p.addon).toBe('/proj/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node');
    expect(p.venv).toBe('/proj/.native/venv-cpu');
  });
});

describe.each(TEST_BACKENDS)('explicit padding on %s', (backend) => {
  it('a padded conv and max pool equal tfjs-cpu with numeric padding', async () => {
    await useBackend('cpu');
    const x = tf.randomNormal([1, 7, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    const refConv = tf.conv2d(x, w, 2, [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ]);
    const refPool = tf.maxPool(tf.neg(x) as tf.Tensor4D, 3, 2, 1);
    const [xs, ws, rc, rp] = [x, w, refConv, refPool].map((t) => ({ data: t.dataSync().slice(), shape: t.shape }));
    tf.dispose([x, w, refConv, refPool]);

    await useBackend(backend);
    const before = tf.memory().numTensors;
    const [conv, pool] = tf.tidy(() => {
      const xb = tf.tensor(xs!.data, xs!.shape) as tf.Tensor4D;
      const c = withExplicitPadding(xb, [
        [1, 2],
        [2, 1],
      ]);
      const p = withExplicitPadding(
        tf.neg(xb) as tf.Tensor4D,
        [
          [1, 1],
          [1, 1],
        ],
        -Infinity,
      );
      return [tf.conv2d(c.input, tf.tensor(ws!.data, ws!.shape) as tf.Tensor4D, 2, c.pad), tf.maxPool(p.input, 3, 2, p.pad)];
    });
    expect(conv.shape).toEqual(rc!.shape);
    expect(maxAbsDiff(conv, tf.tensor(rc!.data, rc!.shape))).toBeLessThan(1e-5);
    expect(maxAbsDiff(pool, tf.tensor(rp!.data, rp!.shape))).toBe(0);
    tf.dispose([conv, pool]);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2); // the two reference tensors made for the comparison
    expect(backendTakesExplicitPadding()).toBe(backend !== 'tensorflow');
  });
});

describe.runIf(NATIVE_PASS)('the tensorflow backend (native pass)', () => {
  it('runs on the TensorFlow C library built by setup-native, on the CPU, without the wasm workarounds', async () => {
    const lines: string[] = [];
    expect(await selectBackend({ requested: 'tensorflow', log: (m) => lines.push(m) })).toBe('tensorflow');
    expect(nativeLibraryDescription()).toBe(`TensorFlow ${TENSORFLOW_VERSION}, CPU`);
    expect(lines.join('\n')).toMatch(/using backend 'tensorflow' \(requested by --backend, provided by @tensorflow\/tfjs-node.*; TensorFlow 2\.21\.0, CPU\)/);
    // the wasm-only kernel workarounds are registered when wasm is activated, never for tensorflow
    expect(tf.getKernelsForBackend('wasm').map((k) => k.kernelName)).not.toContain('Conv2DBackpropFilter');
  });
});

const NATIVE_BUILT = existsSync(nativePaths(process.cwd(), NATIVE_VARIANTS.cpu).addon);

// On a fresh `npm ci` (CI's first pass) neither binding has its addon.
describe.runIf(!NATIVE_PASS && !NATIVE_BUILT)('the tensorflow backend where it is not set up', () => {
  it('a request fails, naming both packages and setup-native (no silent fallback)', async () => {
    await expect(selectBackend({ requested: 'tensorflow', log: null })).rejects.toThrow(
      /tfjs-node-gpu: (not installed|installed without its native addon)[\s\S]*tfjs-node: (not installed|installed without its native addon)[\s\S]*npm run setup-native/,
    );
  });
});

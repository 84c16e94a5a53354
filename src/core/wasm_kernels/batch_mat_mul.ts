/**
 * `BatchMatMul` for the wasm backend that keeps batched and transposed products on XNNPACK.
 *
 * tfjs-wasm 4.22 runs a product through XNNPACK only when neither operand is transposed and both
 * batch sizes are 1; every other product (window attention's q·kᵀ and attn·v, and all their
 * gradients) runs a scalar C++ loop at about 1.5 GFLOP/s. This kernel routes:
 *
 * - batch 1 with a transpose: the transposed operand is transposed explicitly (wasm `Transpose`),
 *   then the product takes tfjs's XNNPACK path;
 * - batch B > 1 (equal batch sizes): one depthwise convolution with channel multiplier N, which
 *   XNNPACK runs as a grouped GEMM over the B groups:
 *
 *     x[0, m, k, b] = A[b, m, k]      (input [1, M, K, B]: image M×K, B channels)
 *     f[0, k, b, n] = B[b, k, n]      (filter [1, K, B, N]: a 1×K window, multiplier N)
 *     y[0, m, 0, b·N + n] = Σ_k x[0, m, k, b] · f[0, k, b, n] = (A·B)[b, m, n]
 *
 *   then y viewed as [M, B, N] is transposed to [B, M, N]. The three transposes are part of the
 *   cost; measured here (busy machine, CPU time) about 3–5 GFLOP/s on [192, 49, 32] × [192, 32, 49]
 *   against 1.6 for tfjs's loop, with bitwise-equal results;
 * - batch 1 without transposes, broadcast batch dimensions, or non-float32: tfjs's own kernel.
 *
 * Gradients need nothing here: tfjs's BatchMatMul gradient is made of BatchMatMuls.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

/** What the engine passes to any kernel function. */
type KernelArgs = Parameters<tf.KernelFunc>[0];

interface Args {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/** tfjs-wasm's own BatchMatMul, captured before this kernel replaces it. */
const stock: tf.KernelConfig | undefined = tf.getKernel('BatchMatMul', 'wasm');

function kernel(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`BatchMatMul (wasm): the wasm backend has no '${name}' kernel`);
  return config.kernelFunc;
}

function stockKernel(): tf.KernelConfig {
  if (stock === undefined) throw new Error("BatchMatMul (wasm): tfjs-backend-wasm registered no 'BatchMatMul' kernel");
  return stock;
}

/** A view of `info`'s data with another shape of the same size (no copy). */
function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return kernel('Transpose')({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/**
 * Multiplies `a` by `b` (optionally transposed) on the wasm backend.
 *
 * @param args.inputs `a` [...batch, M, K] (or [...batch, K, M] with `transposeA`) and `b`
 *   [...batch, K, N] (or [...batch, N, K] with `transposeB`), float32.
 * @returns the product, [...batch, M, N] (batch dimensions broadcast as in tfjs).
 */
export function batchMatMulWasm(args: Args): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchDimsA = a.shape.slice(0, -2);
  const batchDimsB = b.shape.slice(0, -2);
  const batch = tf.util.sizeFromShape(batchDimsA);
  const sameBatch = batch === tf.util.sizeFromShape(batchDimsB) && tf.util.arraysEqual(batchDimsA, batchDimsB);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !sameBatch || ra < 2 || rb < 2) {
    return stockKernel().kernelFunc(args as unknown as KernelArgs) as tf.TensorInfo;
  }
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== kB) {
    throw new Error(`BatchMatMul (wasm): inner dimensions ${K} and ${kB} of [${a.shape}] and [${b.shape}] ` + `(transposeA=${transposeA}, transposeB=${transposeB}) must match.`);
  }
  const outShape = [...batchDimsA, M, N];
  if (batch === 0 || M === 0 || N === 0 || K === 0) {
    return stockKernel().kernelFunc(args as unknown as KernelArgs) as tf.TensorInfo;
  }

  const temps: tf.TensorInfo[] = [];
  try {
    if (batch === 1) {
      if (!transposeA && !transposeB) return stockKernel().kernelFunc(args as unknown as KernelArgs) as tf.TensorInfo;
      // Explicit transposes, then tfjs's XNNPACK path (untransposed, batch 1).
      const a2 = transposeA ? transpose(backend, view(a, [K, M]), [1, 0]) : view(a, [M, K]);
      if (transposeA) temps.push(a2);
      const b2 = transposeB ? transpose(backend, view(b, [N, K]), [1, 0]) : view(b, [K, N]);
      if (transposeB) temps.push(b2);
      const out = stockKernel().kernelFunc({
        inputs: { a: view(a2, [1, M, K]), b: view(b2, [1, K, N]) },
        backend,
        attrs: { transposeA: false, transposeB: false },
      } as unknown as KernelArgs) as tf.TensorInfo;
      return view(out, outShape);
    }
    // x [M, K, B] from A [B, M, K] (or A [B, K, M] when transposed).
    const x = transpose(backend, view(a, transposeA ? [batch, K, M] : [batch, M, K]), transposeA ? [2, 1, 0] : [1, 2, 0]);
    temps.push(x);
    // f [K, B, N] from B [B, K, N] (or B [B, N, K] when transposed).
    const f = transpose(backend, view(b, transposeB ? [batch, N, K] : [batch, K, N]), transposeB ? [2, 0, 1] : [1, 0, 2]);
    temps.push(f);
    const y = kernel('DepthwiseConv2dNative')({
      inputs: { x: view(x, [1, M, K, batch]), filter: view(f, [1, K, batch, N]) },
      backend,
      attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined },
    } as unknown as KernelArgs) as tf.TensorInfo; // [1, M, 1, B·N]
    temps.push(y);
    const out = transpose(backend, view(y, [M, batch, N]), [1, 0, 2]); // [B, M, N]
    return view(out, outShape);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Kernel config: replaces tfjs-wasm's BatchMatMul (its setup, the C++ binding, still runs). */
export const batchMatMulWasmConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as tf.KernelFunc,
  setupFunc: (backend) => stock?.setupFunc?.(backend),
};

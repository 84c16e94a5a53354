/**
 * Transposes with the fewest dimensions possible.
 *
 * Axes of size 1 are dropped and runs of axes that stay adjacent and in order
 * are merged before calling `tf.transpose`, then the result is reshaped. The
 * wasm backend transposes rank ≤ 4 quickly but rank 5+ through a slow generic
 * path (~40x slower measured here), and many transposes of window attention
 * and patch merging reduce to rank 3 or 4 this way. Gradients follow, since the
 * op is built from reshape and transpose.
 */
import { tf } from '../../core/tf.js';

/** The reduced shape and permutation of a transpose (exported for tests). */
export function reduceTranspose(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = perm.filter((p) => shape[p] !== 1); // output order of non-trivial input axes
  // Group runs of consecutive input axes in the output order.
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const byInputOrder = [...groups].sort((a, b) => a[0] - b[0]);
  return {
    shape: byInputOrder.map((g) => g.reduce((n, a) => n * shape[a], 1)),
    perm: groups.map((g) => byInputOrder.indexOf(g)),
  };
}

/** `tf.transpose(x, perm)` computed on the reduced shape. */
export function transposeReduced<T extends tf.Tensor>(x: T, perm: readonly number[]): T {
  const outShape = perm.map((p) => x.shape[p]);
  const reduced = reduceTranspose(x.shape, perm);
  if (reduced.perm.every((p, i) => p === i)) return x.reshape(outShape) as T;
  return tf.tidy(() => tf.transpose(x.reshape(reduced.shape), reduced.perm).reshape(outShape)) as T;
}

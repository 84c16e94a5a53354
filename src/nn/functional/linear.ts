/**
 * `x · Wᵀ` for a PyTorch-layout weight `W [out, in]`, written so that every
 * matrix product, forward and backward, is a plain 2-D product without
 * transpose flags.
 *
 * Why: the wasm backend runs a 2-D, non-transposed `matMul` through XNNPACK
 * (~20 GFLOP/s here) but any transposed or batched product through a scalar
 * fallback loop (~1.5 GFLOP/s). tfjs's own gradient of `matMul` uses transpose
 * flags, so this op defines its gradient with explicit transposes instead:
 * `dx = dy · W` and `dW = dyᵀ · x`.
 */
import { tf } from '../../core/tf.js';

const linearOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  const value = tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D); // [N, out]
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, ws] = saved;
    return [
      tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D), // [N, in]
      tf.matMul(tf.transpose(dy) as tf.Tensor2D, xs as tf.Tensor2D), // [out, in]
    ];
  };
  return { value, gradFunc };
});

/**
 * @param x `[N, in]`
 * @param weight `[out, in]` (PyTorch layout)
 * @returns `[N, out]`
 */
export function linear2d(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  return linearOp(x, weight) as tf.Tensor2D;
}

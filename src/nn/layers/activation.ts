import { tf } from '../../core/tf.js';
import { Module } from '../module.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, `0.5·x·(1 + erf(x/√2))`, PyTorch's default (`approximate='none'`).
 *
 * One custom-gradient op: the backward keeps only `x` (as PyTorch's does), not the four
 * intermediates the op-by-op tape would keep, and computes `dy·(Φ(x) + x·φ(x))`.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([input]);
    return {
      value: input.mul(input.mul(Math.SQRT1_2).erf().add(1)).mul(0.5),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const v = saved[0];
          const cdf = v.mul(Math.SQRT1_2).erf().add(1).mul(0.5); // Φ(x)
          const pdf = v.square().mul(-0.5).exp().mul(INV_SQRT_2PI); // φ(x)
          return dy.mul(cdf.add(v.mul(pdf)));
        }),
    };
  });
  return tf.tidy(() => op(x));
}

/** Module form of {@link gelu}. No parameters. */
export class GELU extends Module {
  /** Same shape in and out. */
  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}

/** `max(x, 0)`. No parameters. */
export class ReLU extends Module {
  /** Same shape in and out. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

/** Passes its input through. */
export class Identity extends Module {
  /** Returns `x`. */
  forward<T extends tf.Tensor>(x: T): T {
    return x;
  }
}

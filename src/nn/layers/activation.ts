import { tf } from '../../core/tf.js';
import { Module } from '../module.js';

/** Exact GELU, `0.5·x·(1 + erf(x/√2))`, PyTorch's default (`approximate='none'`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5));
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

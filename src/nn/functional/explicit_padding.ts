/**
 * Explicit (numeric) padding of convolutions and pooling on every backend.
 *
 * tfjs's cpu, wasm and webgl kernels take numeric or per-side padding; the
 * `tensorflow` backend (tfjs-node) accepts only 'same' and 'valid'
 * ("TF Backend supports only 'valid' and 'same' padding"). There the input is
 * padded first and the op runs with 'valid', which is the same computation.
 */
import { tf } from '../../core/tf.js';

/** Per-side padding of the two spatial dimensions: `[[top, bottom], [left, right]]`. */
export type SpatialPadding = [[number, number], [number, number]];

/** Whether the active backend's convolution and pooling kernels take numeric padding. */
export function backendTakesExplicitPadding(): boolean {
  return tf.getBackend() !== 'tensorflow';
}

/**
 * The input and the `pad` argument of a conv/pool op for `padding`: unchanged
 * where the backend takes numeric padding, else `x` padded with `value` and 'valid'.
 * @param x `[B, H, W, C]`.
 * @param value fill of the padded border: 0 for convolutions, −∞ for max pooling.
 */
export function withExplicitPadding(
  x: tf.Tensor4D,
  padding: SpatialPadding,
  value = 0,
): { input: tf.Tensor4D; pad: 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] } {
  const [[t, b], [l, r]] = padding;
  if (t === 0 && b === 0 && l === 0 && r === 0) return { input: x, pad: 'valid' };
  if (backendTakesExplicitPadding()) {
    return {
      input: x,
      pad:
        t === b && b === l && l === r
          ? t
          : [
              [0, 0],
              [t, b],
              [l, r],
              [0, 0],
            ],
    };
  }
  return {
    input: tf.pad(
      x,
      [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
      value,
    ),
    pad: 'valid',
  }; // [B, H+t+b, W+l+r, C]
}

/**
 * Resampling of a learned absolute position embedding to another patch grid,
 * as timm's `resample_abs_pos_embed` with `antialias=False` (which is also
 * mmpretrain's `resize_pos_embed`): the prefix tokens (class, distillation) are
 * kept as they are; the grid part `[1, gh·gw, C]` is viewed as a `gh×gw` image
 * with C channels and resized bicubically with PyTorch's
 * `F.interpolate(mode='bicubic', align_corners=False)` semantics.
 *
 * Note: timm's own default is `antialias=True`, which in PyTorch selects
 * another cubic kernel (a = −0.5, PIL's) even when upsampling; inputs at the
 * pretraining size are unaffected either way.
 */
import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { resizeBicubic } from '../../nn/functional/bicubic.js';

/**
 * @param posEmbed `[1, P + gh·gw, C]`
 * @param numPrefixTokens P
 * @param oldGrid `[gh, gw]`, the grid `posEmbed` is defined on
 * @param newGrid `[h, w]`
 * @returns `[1, P + h·w, C]`: `posEmbed` itself when the grids are equal (do not dispose it then).
 */
export function resamplePosEmbed(posEmbed: tf.Tensor, numPrefixTokens: number, oldGrid: readonly [number, number], newGrid: readonly [number, number]): tf.Tensor3D {
  const [gh, gw] = oldGrid;
  const [h, w] = newGrid;
  if (posEmbed.rank !== 3 || posEmbed.shape[0] !== 1 || posEmbed.shape[1] !== numPrefixTokens + gh * gw) {
    throw new ShapeError(`resamplePosEmbed: expected [1, ${numPrefixTokens} + ${gh}·${gw}, C], got ${formatShape(posEmbed.shape)}`);
  }
  if (gh === h && gw === w) return posEmbed as tf.Tensor3D;
  const c = (posEmbed as tf.Tensor3D).shape[2];
  return tf.tidy(() => {
    const grid = posEmbed.slice([0, numPrefixTokens, 0], [1, gh * gw, c]).reshape([1, gh, gw, c]) as tf.Tensor4D;
    const resized = resizeBicubic(grid, h, w).reshape([1, h * w, c]); // [1, h·w, C]
    if (numPrefixTokens === 0) return resized as tf.Tensor3D;
    return tf.concat([posEmbed.slice([0, 0, 0], [1, numPrefixTokens, c]), resized], 1) as tf.Tensor3D;
  });
}

/** The side of a square grid of `numTokens − numPrefixTokens` positions, or null when it is not a square. */
export function squareGridSide(numTokens: number, numPrefixTokens: number): number | null {
  const n = numTokens - numPrefixTokens;
  if (n <= 0) return null;
  const side = Math.round(Math.sqrt(n));
  return side * side === n ? side : null;
}

import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { transposeReduced } from '../../nn/functional/transpose.js';

/**
 * Patch merging (downsampling by 2): pads odd sides at the bottom/right,
 * concatenates the 2×2 neighbours in the official order
 * `[x(0,0), x(1,0), x(0,1), x(1,1)]` (row offset first), then LayerNorm(4C) and
 * Linear(4C → 2C, no bias).
 *
 * Parameters: `norm.{weight,bias}` `[4C]`, `reduction.weight` `[2C, 4C]`.
 */
export class PatchMerging extends Module {
  readonly norm: LayerNorm;
  readonly reduction: Linear;

  constructor(readonly dim: number) {
    super();
    this.norm = this.addModule('norm', new LayerNorm(4 * dim));
    this.reduction = this.addModule('reduction', new Linear(4 * dim, 2 * dim, { bias: false }));
  }

  /** `[B, H, W, C]` → `[B, ⌈H/2⌉, ⌈W/2⌉, 2C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const padded =
        h % 2 === 0 && w % 2 === 0
          ? x
          : tf.pad(x, [
              [0, 0],
              [0, h % 2],
              [0, w % 2],
              [0, 0],
            ]);
      const h2 = (h + (h % 2)) / 2;
      const w2 = (w + (w % 2)) / 2;
      const grid = padded.reshape([b, h2, 2, w2, 2, c]); // [B, H/2, dy, W/2, dx, C]
      const merged = transposeReduced(grid, [0, 1, 3, 4, 2, 5]) // [B, H/2, W/2, dx, dy, C]: channel block 2·dx + dy
        .reshape([b, h2, w2, 4 * c]);
      return this.reduction.forward(this.norm.forward(merged)) as tf.Tensor4D;
    });
  }
}

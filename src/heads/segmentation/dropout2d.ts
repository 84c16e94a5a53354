import { tf } from '../../core/tf.js';
import { globalRng } from '../../core/rng.js';
import { Module } from '../../nn/module.js';

/**
 * Channel dropout, as `torch.nn.Dropout2d(p)` (used by mmseg before `conv_seg`): in
 * training, zeroes whole channels of each sample with probability `p` and scales the
 * kept ones by `1/(1−p)`; identity in eval mode. Draws come from the seeded
 * {@link globalRng}. No parameters.
 */
export class Dropout2d extends Module {
  /** @param p drop probability in [0, 1). */
  constructor(readonly p: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout2d: rate must be in [0, 1), got ${p}`);
  }

  /** `x` `[B, H, W, C]` → same shape; one keep/drop draw per (sample, channel). */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (!this.training || this.p === 0) return x;
    const keepProb = 1 - this.p;
    return tf.tidy(() => {
      const [b, , , c] = x.shape;
      const keep = tf.randomUniform([b, 1, 1, c], 0, 1, 'float32', globalRng().tensorSeed()).add(keepProb).floor(); // [B, 1, 1, C]
      return x.div(keepProb).mul(keep) as tf.Tensor4D;
    });
  }
}

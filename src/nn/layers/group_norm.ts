import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { ones, zeros } from '../init.js';

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Added to the variance. Default 1e-5 (PyTorch's and mmcv's). */
  eps?: number;
  /** Learn a per-channel scale and shift. Default `true`. */
  affine?: boolean;
}

/**
 * Group normalisation over NHWC maps, as `torch.nn.GroupNorm(numGroups, channels)`:
 * the channels are split into `numGroups` consecutive groups and each group of each
 * sample is normalised over its `H·W·C/G` values (biased variance). Same behaviour in
 * training and eval.
 *
 * Parameters: `weight` `[C]` (init 1), `bias` `[C]` (init 0).
 */
export class GroupNorm extends Module {
  /** `[C]`, or `null` without affine. */
  readonly weight: Parameter | null;
  /** `[C]`, or `null` without affine. */
  readonly bias: Parameter | null;
  /** Added to the variance. */
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1 || numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: ${numChannels} channels cannot be split into ${numGroups} groups`);
    }
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParameter('weight', ones([numChannels])) : null;
    this.bias = affine ? this.addParameter('bias', zeros([numChannels])) : null;
  }

  /** `x` `[B, H, W, C]` → same shape. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.numChannels) {
      throw new ShapeError(`GroupNorm(${this.numGroups}, ${this.numChannels}): expected NHWC input with ${this.numChannels} channels, got ${formatShape(x.shape)}`);
    }
    const [b, h, w, c] = x.shape;
    const g = this.numGroups;
    return tf.tidy(() => {
      const grouped = x.reshape([b, h, w, g, c / g]); // [B, H, W, G, C/G]
      const mean = grouped.mean([1, 2, 4], true); // [B, 1, 1, G, 1]
      const centered = grouped.sub(mean);
      const variance = centered.square().mean([1, 2, 4], true); // [B, 1, 1, G, 1], biased
      let y: tf.Tensor = centered.mul(variance.add(this.eps).rsqrt()).reshape([b, h, w, c]); // [B, H, W, C]
      if (this.weight !== null) y = y.mul(this.weight.value);
      if (this.bias !== null) y = y.add(this.bias.value);
      return y as tf.Tensor4D;
    });
  }
}

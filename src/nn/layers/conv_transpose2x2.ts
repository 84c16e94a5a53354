import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { torchDefaultBias, torchDefaultWeight } from '../init.js';
import { linear2d } from '../functional/linear.js';
import { transposeReduced } from '../functional/transpose.js';

/**
 * `nn.ConvTranspose2d(in, out, kernel_size=2, stride=2)` on NHWC maps, computed
 * as one plain 2-D matrix product `[B·h·w, in] × [in, 4·out]` followed by a
 * depth-to-space (pixel shuffle) rearrangement: the kernel taps of a stride-2
 * 2×2 transposed convolution do not overlap, so output pixel `(2i+dy, 2j+dx)`
 * is `Σ_c x[i, j, c]·W[c, o, dy, dx] + b[o]`.
 *
 * Parameters (PyTorch layout): `weight` `[in, out, 2, 2]`, `bias` `[out]`.
 */
export class ConvTranspose2x2 extends Module {
  /** `[in, out, 2, 2]`. */
  readonly weight: Parameter;
  /** `[out]`, or null without bias. */
  readonly bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    // PyTorch's ConvTranspose2d init: fan-in from dim 1 (out · 2 · 2), as fans() computes it.
    this.weight = this.addParameter('weight', torchDefaultWeight([inChannels, outChannels, 2, 2]));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', torchDefaultBias(outChannels, outChannels * 4)) : null;
  }

  /** `[B, h, w, in]` → `[B, 2h, 2w, out]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new ShapeError(`ConvTranspose2x2(${this.inChannels}→${this.outChannels}): expected NHWC input, got ${formatShape(x.shape)}`);
    }
    return tf.tidy(() => {
      const [b, h, w, cin] = x.shape;
      const out = this.outChannels;
      const wmat = this.weight.value.transpose([2, 3, 1, 0]).reshape([4 * out, cin]); // [(dy, dx, o), in]
      const y = linear2d(x.reshape([b * h * w, cin]) as tf.Tensor2D, wmat as tf.Tensor2D); // [B·h·w, 4·out]
      const shuffled = transposeReduced(y.reshape([b, h, w, 2, 2, out]), [0, 1, 3, 2, 4, 5]) // [B, h, dy, w, dx, out]
        .reshape([b, 2 * h, 2 * w, out]) as tf.Tensor4D;
      return this.bias === null ? shuffled : (shuffled.add(this.bias.value) as tf.Tensor4D);
    });
  }
}

import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { padBottomRight } from './window_ops.js';
import { linear2d } from '../../nn/functional/linear.js';
import { transposeReduced } from '../../nn/functional/transpose.js';

/**
 * Patch embedding: a `p×p` convolution with stride `p` (computed as
 * space-to-depth followed by one matrix product), then LayerNorm when
 * `patchNorm`. Inputs whose sides are not multiples of `p` are zero-padded at
 * the bottom/right first, as mmdetection does.
 *
 * Parameters: `proj.weight` `[C, inChannels, p, p]`, `proj.bias` `[C]`, `norm.{weight,bias}`.
 */
export class PatchEmbed extends Module {
  readonly proj: Conv2d;
  readonly norm: LayerNorm | null;

  constructor(
    readonly inChannels: number,
    readonly embedDim: number,
    readonly patchSize: number,
    patchNorm: boolean,
  ) {
    super();
    this.proj = this.addModule('proj', new Conv2d(inChannels, embedDim, patchSize, { stride: patchSize }));
    this.norm = patchNorm ? this.addModule('norm', new LayerNorm(embedDim)) : null;
  }

  /** `[B, H, W, inChannels]` → `[B, ⌈H/p⌉, ⌈W/p⌉, C]`. */
  forward(images: tf.Tensor4D): tf.Tensor4D {
    if (images.rank !== 4 || images.shape[3] !== this.inChannels) {
      throw new ShapeError(`PatchEmbed: expected [B,H,W,${this.inChannels}] input, got ${formatShape(images.shape)}`);
    }
    return tf.tidy(() => {
      const p = this.patchSize;
      const x = padBottomRight(images, p, p);
      const [b, h, w, cin] = x.shape;
      const hp = h / p;
      const wp = w / p;
      const grid = x.reshape([b, hp, p, wp, p, cin]); // [B, Hp, p, Wp, p, Cin]
      const patches = transposeReduced(grid, [0, 1, 3, 2, 4, 5]) // [B, Hp, Wp, p, p, Cin]
        .reshape([b * hp * wp, p * p * cin]);
      const weight = this.proj.weight.value
        .transpose([0, 2, 3, 1]) // [C, p, p, Cin]
        .reshape([this.embedDim, p * p * cin]);
      const product = linear2d(patches as tf.Tensor2D, weight as tf.Tensor2D); // [B·Hp·Wp, C]
      const biased = this.proj.bias === null ? product : product.add(this.proj.bias.value);
      const y = biased.reshape([b, hp, wp, this.embedDim]) as tf.Tensor4D; // [B, Hp, Wp, C]
      return this.norm === null ? y : (this.norm.forward(y) as tf.Tensor4D);
    });
  }
}

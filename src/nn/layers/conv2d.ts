import { tf } from '../../core/tf.js';
import { withExplicitPadding } from '../functional/explicit_padding.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { torchDefaultBias, torchDefaultWeight } from '../init.js';

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Stride, one value or `[sh, sw]`. Default 1. */
  stride?: number | [number, number];
  /** Zero padding on each side, one value or `[ph, pw]`, as PyTorch's `padding`. Default 0. */
  padding?: number | [number, number];
  /** Dilation, one value or `[dh, dw]`. Default 1. */
  dilation?: number | [number, number];
  /** Learn an additive bias. Default `true`. */
  bias?: boolean;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * A 2-D convolution over NHWC feature maps, with PyTorch's parameter layout and
 * padding semantics (`torch.nn.Conv2d`, `groups = 1`).
 *
 * Parameters: `weight` `[outChannels, inChannels, kh, kw]`, `bias` `[outChannels]`.
 */
export class Conv2d extends Module {
  /** `[outChannels, inChannels, kh, kw]`. */
  readonly weight: Parameter;
  /** `[outChannels]`, or `null` without bias. */
  readonly bias: Parameter | null;
  /** `[sh, sw]`. */
  readonly stride: [number, number];
  /** `[ph, pw]`. */
  readonly padding: [number, number];
  /** `[dh, dw]`. */
  readonly dilation: [number, number];
  /** `[kh, kw]`. */
  readonly kernelSize: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    options: Conv2dOptions = {},
  ) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    const [kh, kw] = this.kernelSize;
    this.weight = this.addParameter('weight', torchDefaultWeight([outChannels, inChannels, kh, kw]));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', torchDefaultBias(outChannels, inChannels * kh * kw)) : null;
  }

  /** `x` `[B, H, W, inChannels]` → `[B, H', W', outChannels]`, H' = ⌊(H + 2ph − dh(kh−1) − 1)/sh⌋ + 1. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new ShapeError(`Conv2d(${this.inChannels}→${this.outChannels}): expected NHWC input with ${this.inChannels} channels, got ${formatShape(x.shape)}`);
    }
    return tf.tidy(() => {
      const [dh, dw] = this.dilation;
      let filter = this.weight.value.transpose([2, 3, 1, 0]) as tf.Tensor4D; // [kh, kw, in, out]
      // tfjs has no gradient for dilated convolutions: dilate the kernel with zeros instead.
      if (dh > 1 || dw > 1) filter = dilateKernel(filter, dh, dw);
      const [ph, pw] = this.padding;
      const { input, pad } = withExplicitPadding(x, [
        [ph, ph],
        [pw, pw],
      ]);
      return tf.fused.conv2d({ x: input, filter, strides: this.stride, pad, bias: this.bias?.value });
    });
  }
}

/**
 * Inserts `d−1` zeros between kernel taps: `[kh, kw, in, out]` →
 * `[(kh−1)·dh+1, (kw−1)·dw+1, in, out]`, equivalent to a dilated convolution.
 */
export function dilateKernel(filter: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  return tf.tidy(
    () =>
      filter
        .reshape([kh, 1, kw, 1, cin, cout])
        .pad([
          [0, 0],
          [0, dh - 1],
          [0, 0],
          [0, dw - 1],
          [0, 0],
          [0, 0],
        ]) // [kh, dh, kw, dw, in, out]
        .reshape([kh * dh, kw * dw, cin, cout])
        .slice([0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout]) as tf.Tensor4D,
  );
}

/**
 * ViTDet's simple feature pyramid (Li et al. 2022; detectron2's
 * `SimpleFeaturePyramid`) on NHWC maps: from one stride-s map of a plain ViT,
 * stride s/4 by two 2×2/2 transposed convolutions with LayerNorm + GELU between,
 * s/2 by one, s as is, 2s by 2×2/2 max pooling; optionally each followed by
 * detectron2's 1×1 and 3×3 convolutions with LayerNorm to a common width.
 *
 * Parameter names are detectron2's: level `simfp_{log2(stride)}` is an
 * `nn.Sequential` whose parameter-free steps (GELU, max pooling) keep their
 * indices, e.g. at patch 16: `simfp_2.0` (ConvTranspose2d `[C, C/2, 2, 2]`),
 * `simfp_2.1` (LayerNorm), `simfp_2.3` (ConvTranspose2d `[C/2, C/4, 2, 2]`),
 * `simfp_3.0`; with projection, `simfp_2.4.weight` + `simfp_2.4.norm.*` (1×1) and
 * `simfp_2.5.*` (3×3), `simfp_4.0/1`, `simfp_5.1/2` (`simfp_5.0` is the pooling).
 */
import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { ConvTranspose2x2 } from '../../nn/layers/conv_transpose2x2.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { GELU } from '../../nn/layers/activation.js';
import { kaimingNormal } from '../../nn/init.js';

/** LayerNorm epsilon of detectron2's channel LayerNorm (`get_norm('LN', C)`). */
const D2_LN_EPS = 1e-6;

export { ConvTranspose2x2 };

/**
 * detectron2's `Conv2d(..., bias=False, norm=LayerNorm)`: a convolution without
 * bias followed by a channel LayerNorm (eps 1e-6). Initialised as detectron2's
 * `c2_msra_fill` (Kaiming normal, fan-out, ReLU gain).
 *
 * Parameters: `weight` `[out, in, k, k]`, `norm.{weight,bias}` `[out]`.
 */
export class ConvNorm extends Conv2d {
  readonly norm: LayerNorm;

  constructor(inChannels: number, outChannels: number, kernelSize: number) {
    super(inChannels, outChannels, kernelSize, { padding: Math.floor(kernelSize / 2), bias: false });
    const init = kaimingNormal([outChannels, inChannels, kernelSize, kernelSize], { mode: 'fan_out', nonlinearity: 'relu' });
    this.weight.variable.assign(init);
    init.dispose();
    this.norm = this.addModule('norm', new LayerNorm(outChannels, D2_LN_EPS));
  }

  override forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.norm.forward(super.forward(x)) as tf.Tensor4D);
  }
}

/**
 * `nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)` on NHWC maps: an odd
 * side is completed by repeating its last row/column (which cannot change a
 * maximum), then the maxima of row pairs and column pairs are taken with
 * element-wise `maximum` (cheap and differentiable on every backend).
 * No parameters.
 */
export class MaxPool2x2 extends Module {
  /** `[B, H, W, C]` → `[B, ⌈H/2⌉, ⌈W/2⌉, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      let y: tf.Tensor4D = x;
      if (h % 2 === 1) y = tf.concat([y, y.slice([0, h - 1, 0, 0], [b, 1, w, c])], 1);
      if (w % 2 === 1) y = tf.concat([y, y.slice([0, 0, w - 1, 0], [b, y.shape[1], 1, c])], 2);
      const h2 = y.shape[1] / 2;
      const w2 = y.shape[2] / 2;
      const rows = y.reshape([b * h2, 2, 2 * w2 * c]); // row pairs
      const rowMax = tf.maximum(rows.slice([0, 0, 0], [-1, 1, -1]), rows.slice([0, 1, 0], [-1, 1, -1])); // [B·h2, 1, 2·w2·C]
      const cols = rowMax.reshape([b * h2 * w2, 2, c]); // column pairs
      return tf.maximum(cols.slice([0, 0, 0], [-1, 1, -1]), cols.slice([0, 1, 0], [-1, 1, -1])).reshape([b, h2, w2, c]) as tf.Tensor4D;
    });
  }
}

type MapStep = Module & { forward(x: tf.Tensor4D): tf.Tensor };

/** One level of the pyramid: detectron2's `simfp_{k}` `nn.Sequential`, steps registered under their indices. */
export class SimpleFeaturePyramidLevel extends Module {
  readonly steps: MapStep[];
  /** Channels of the output. */
  readonly outChannels: number;

  /**
   * @param dim channels of the input map
   * @param scale 4, 2, 1 or 0.5 (upsampling factor)
   * @param projectTo detectron2's `out_channels` (1×1 + 3×3 convolutions with LayerNorm), or null for none
   */
  constructor(
    dim: number,
    readonly scale: 4 | 2 | 1 | 0.5,
    projectTo: number | null,
  ) {
    super();
    const steps: MapStep[] = [];
    let outDim = dim;
    if (scale === 4) {
      steps.push(new ConvTranspose2x2(dim, dim / 2), new LayerNorm(dim / 2, D2_LN_EPS), new GELU(), new ConvTranspose2x2(dim / 2, dim / 4));
      outDim = dim / 4;
    } else if (scale === 2) {
      steps.push(new ConvTranspose2x2(dim, dim / 2));
      outDim = dim / 2;
    } else if (scale === 0.5) {
      steps.push(new MaxPool2x2());
    }
    if (projectTo !== null) {
      steps.push(new ConvNorm(outDim, projectTo, 1), new ConvNorm(projectTo, projectTo, 3));
      outDim = projectTo;
    }
    steps.forEach((s, i) => this.addModule(String(i), s));
    this.steps = steps;
    this.outChannels = outDim;
  }

  /** `[B, h, w, dim]` → `[B, h·scale, w·scale, outChannels]` (⌈·⌉ for 0.5). */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (this.steps.length === 0) return x;
    return tf.tidy(() => this.steps.reduce<tf.Tensor4D>((y, step) => step.forward(y) as tf.Tensor4D, x));
  }
}

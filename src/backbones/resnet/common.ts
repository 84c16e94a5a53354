/**
 * Building pieces shared by the ResNet blocks: torchvision's `conv3x3` / `conv1x1`
 * (no bias), Kaiming-initialised as torchvision's `ResNet.__init__` does, and the
 * `downsample` shortcut (`nn.Sequential(conv1x1, BatchNorm2d)`, state-dict names `0`, `1`).
 */
import type { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch_norm.js';
import { initConv } from '../../nn/layers/conv_module.js';

/** A bias-free convolution with torchvision's ResNet initialisation (Kaiming normal, `fan_out`, ReLU gain). */
export function resnetConv(inChannels: number, outChannels: number, kernelSize: number, stride = 1, padding = 0): Conv2d {
  const conv = new Conv2d(inChannels, outChannels, kernelSize, { stride, padding, bias: false });
  initConv(conv, 'kaiming');
  return conv;
}

/** torchvision's `conv3x3`: 3×3, padding 1. */
export function conv3x3(inChannels: number, outChannels: number, stride = 1): Conv2d {
  return resnetConv(inChannels, outChannels, 3, stride, 1);
}

/** torchvision's `conv1x1`: 1×1, no padding. */
export function conv1x1(inChannels: number, outChannels: number, stride = 1): Conv2d {
  return resnetConv(inChannels, outChannels, 1, stride, 0);
}

/**
 * The projection shortcut of a residual block: 1×1 conv (with the block's stride) → BatchNorm.
 * State-dict names `0.weight`, `1.{weight,bias,running_mean,running_var,num_batches_tracked}`.
 */
export class Downsample extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.conv = this.addModule('0', conv1x1(inChannels, outChannels, stride));
    this.bn = this.addModule('1', new BatchNorm2d(outChannels));
  }

  /** `[B, H, W, in]` → `[B, ⌈H/s⌉, ⌈W/s⌉, out]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.bn.forward(this.conv.forward(x));
  }
}

/** What {@link ResNet} needs of a residual block class. */
export interface ResBlock extends Module {
  /** `[B, H, W, in]` → `[B, ⌈H/stride⌉, ⌈W/stride⌉, planes·expansion]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D;
  /** Zeroes the scale of the last BatchNorm of the residual branch (torchvision's `zero_init_residual`). */
  zeroInitLastNorm(): void;
}

/** Sets a BatchNorm's scale to zero, so that its residual branch starts as the identity. */
export function zeroNormWeight(bn: BatchNorm2d): void {
  if (bn.weight === null) return;
  bn.weight.variable.assign(bn.weight.variable.zerosLike());
}

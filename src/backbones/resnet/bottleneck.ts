import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { checkpoint } from '../../nn/checkpoint.js';
import type { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch_norm.js';
import { conv1x1, conv3x3, zeroNormWeight, type Downsample, type ResBlock } from './common.js';

/**
 * torchvision's `Bottleneck` (ResNet-50/101/152, "ResNet v1.5"): 1×1 → 3×3 (with the stride) →
 * 1×1 expanding to `planes·4`, BatchNorm after each, ReLU after the first two and after the
 * residual sum. (mmdet's `style='pytorch'`; the original/caffe style puts the stride on the 1×1.)
 *
 * State-dict names: `conv1`, `bn1`, `conv2`, `bn2`, `conv3`, `bn3`, and `downsample.0` /
 * `downsample.1` when the shortcut is a projection.
 */
export class Bottleneck extends Module implements ResBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Downsample | null;

  constructor(
    inChannels: number,
    planes: number,
    stride: number,
    downsample: Downsample | null,
    readonly withCp = false,
  ) {
    super();
    const width = planes; // torchvision: planes · (base_width / 64) · groups, with the defaults 64 and 1
    this.conv1 = this.addModule('conv1', conv1x1(inChannels, width));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.addModule('conv2', conv3x3(width, width, stride));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(width));
    this.conv3 = this.addModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.downsample = downsample === null ? null : this.addModule('downsample', downsample);
  }

  /** `[B, H, W, C_in]` → `[B, H/stride, W/stride, C_out]`; with `withCp` in training, intermediates are recomputed in backward. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (this.withCp && this.training) return checkpoint(this, (t: tf.Tensor4D) => this.forwardBlock(t), x);
    return this.forwardBlock(x);
  }

  private forwardBlock(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = tf.relu(this.bn1.forward(this.conv1.forward(x)));
      y = tf.relu(this.bn2.forward(this.conv2.forward(y)));
      y = this.bn3.forward(this.conv3.forward(y));
      const identity = this.downsample === null ? x : this.downsample.forward(x);
      return tf.relu(y.add(identity)) as tf.Tensor4D;
    });
  }

  zeroInitLastNorm(): void {
    zeroNormWeight(this.bn3);
  }
}

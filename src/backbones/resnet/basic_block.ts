import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { checkpoint } from '../../nn/checkpoint.js';
import type { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch_norm.js';
import { conv3x3, zeroNormWeight, type Downsample, type ResBlock } from './common.js';

/**
 * torchvision's `BasicBlock` (ResNet-18/34): `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`,
 * the stride on `conv1`. Expansion 1.
 *
 * State-dict names: `conv1`, `bn1`, `conv2`, `bn2`, and `downsample.0` / `downsample.1` when
 * the shortcut is a projection.
 */
export class BasicBlock extends Module implements ResBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Downsample | null;

  constructor(
    inChannels: number,
    planes: number,
    stride: number,
    downsample: Downsample | null,
    readonly withCp = false,
  ) {
    super();
    this.conv1 = this.addModule('conv1', conv3x3(inChannels, planes, stride));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.addModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(planes));
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
      y = this.bn2.forward(this.conv2.forward(y));
      const identity = this.downsample === null ? x : this.downsample.forward(x);
      return tf.relu(y.add(identity)) as tf.Tensor4D;
    });
  }

  zeroInitLastNorm(): void {
    zeroNormWeight(this.bn2);
  }
}

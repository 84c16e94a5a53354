import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { DropPath } from '../../nn/layers/dropout.js';
import { WindowAttention } from './window_attention.js';
import { Mlp } from './mlp.js';
import { checkpoint } from '../../nn/checkpoint.js';
import { padBottomRight, roll2d, shiftedWindowMask, windowPartition, windowReverse } from './window_ops.js';

/** Options of {@link SwinBlock}. */
export interface SwinBlockOptions {
  dim: number;
  numHeads: number;
  windowSize: number;
  /** Cyclic shift (0 for W-MSA, ws/2 for SW-MSA). */
  shiftSize: number;
  mlpRatio: number;
  qkvBias: boolean;
  qkScale: number | null;
  dropRate: number;
  attnDropRate: number;
  dropPath: number;
  /** Activation checkpointing in training (see {@link checkpoint}). Default false. */
  withCp?: boolean;
}

/**
 * One Swin Transformer block on NHWC maps:
 * `x + DropPath(SW-MSA(LN(x)))`, then `x + DropPath(MLP(LN(x)))`.
 *
 * The attention branch pads the normalised map at the bottom/right to multiples
 * of the window, rolls it by `−shift` (shift turned off along an axis whose
 * padded size equals the window, as torchvision does), attends within windows
 * with the region mask, rolls back and crops.
 *
 * Parameters: `norm1`, `attn.*`, `norm2`, `mlp.fc1`, `mlp.fc2`.
 */
export class SwinBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: WindowAttention;
  readonly dropPath: DropPath;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;

  constructor(readonly options: SwinBlockOptions) {
    super();
    const o = options;
    this.norm1 = this.addModule('norm1', new LayerNorm(o.dim));
    this.attn = this.addModule(
      'attn',
      new WindowAttention({
        dim: o.dim,
        windowSize: o.windowSize,
        numHeads: o.numHeads,
        qkvBias: o.qkvBias,
        qkScale: o.qkScale,
        attnDrop: o.attnDropRate,
        projDrop: o.dropRate,
      }),
    );
    this.dropPath = this.addModule('drop_path', new DropPath(o.dropPath));
    this.norm2 = this.addModule('norm2', new LayerNorm(o.dim));
    this.mlp = this.addModule('mlp', new Mlp(o.dim, Math.floor(o.dim * o.mlpRatio), o.dropRate));
  }

  /** `[B, H, W, C]` → `[B, H, W, C]`; with `withCp` in training, intermediates are recomputed in backward. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (this.options.withCp === true && this.training) return checkpoint(this, (t: tf.Tensor4D) => this.forwardBlock(t), x);
    return this.forwardBlock(x);
  }

  /** The block computation, `[B, H, W, C]` → `[B, H, W, C]`. */
  private forwardBlock(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const attended = this.shiftedWindowAttention(this.norm1.forward(x) as tf.Tensor4D);
      const y = x.add(this.dropPath.forward(attended)) as tf.Tensor4D;
      return y.add(this.dropPath.forward(this.mlp.forward(this.norm2.forward(y)))) as tf.Tensor4D;
    });
  }

  /** The (shifted) window attention branch on a normalised map, `[B, H, W, C]` → same. */
  shiftedWindowAttention(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const ws = this.options.windowSize;
      const [b, h, w, c] = x.shape;
      const padded = padBottomRight(x, ws, ws); // [B, Hp, Wp, C]
      const [, hp, wp] = padded.shape;
      const sh = ws >= hp ? 0 : this.options.shiftSize;
      const sw = ws >= wp ? 0 : this.options.shiftSize;
      const shifted = sh + sw > 0 ? roll2d(padded, -sh, -sw) : padded;
      const mask = sh + sw > 0 ? shiftedWindowMask(hp, wp, ws, sh, sw) : null;
      const windows = windowPartition(shifted, ws); // [B·nW, ws², C]
      const attended = windowReverse(this.attn.forward(windows, mask), ws, b, hp, wp); // [B, Hp, Wp, C]
      const unshifted = sh + sw > 0 ? roll2d(attended, sh, sw) : attended;
      return hp === h && wp === w ? unshifted : unshifted.slice([0, 0, 0, 0], [b, h, w, c]);
    });
  }
}

import { tf } from '../../core/tf.js';
import { Module, type Parameter } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { truncNormal } from '../../nn/init.js';
import { resizeBicubic } from '../../nn/functional/bicubic.js';
import { relativePositionIndex } from './window_ops.js';

/** Options of {@link WindowAttention}. */
export interface WindowAttentionOptions {
  /** Channels C. */
  dim: number;
  /** Window side ws (N = ws² tokens per window). */
  windowSize: number;
  /** Attention heads; C must be divisible by it. */
  numHeads: number;
  /** Bias in the qkv projection. Default true. */
  qkvBias?: boolean;
  /** Query scale; default `headDim^-0.5`. */
  qkScale?: number | null;
  /** Dropout on attention weights. Default 0. */
  attnDrop?: number;
  /** Dropout after the output projection. Default 0. */
  projDrop?: number;
}

/**
 * Window multi-head self-attention with relative position bias (W-MSA), as in
 * the official Swin code: `qkv` Linear(C, 3C) split as [3, heads, headDim],
 * `softmax(q·kᵀ·scale + bias + mask)·v`, then `proj`.
 *
 * Parameters: `qkv.{weight,bias}`, `proj.{weight,bias}`,
 * `relative_position_bias_table` `[(2ws−1)², heads]`.
 */
export class WindowAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  /** `[(2ws−1)², heads]`. */
  readonly relativePositionBiasTable: Parameter;
  readonly attnDrop: Dropout;
  readonly projDrop: Dropout;
  readonly dim: number;
  readonly windowSize: number;
  readonly numHeads: number;
  readonly scale: number;

  constructor(options: WindowAttentionOptions) {
    super();
    const { dim, windowSize, numHeads } = options;
    if (dim % numHeads !== 0) throw new RangeError(`WindowAttention: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.dim = dim;
    this.windowSize = windowSize;
    this.numHeads = numHeads;
    this.scale = options.qkScale ?? (dim / numHeads) ** -0.5;
    const tableSize = (2 * windowSize - 1) ** 2;
    this.relativePositionBiasTable = this.addParameter('relative_position_bias_table', truncNormal([tableSize, numHeads], { std: 0.02 }));
    this.qkv = this.addModule('qkv', new Linear(dim, 3 * dim, { bias: options.qkvBias ?? true }));
    this.attnDrop = this.addModule('attn_drop', new Dropout(options.attnDrop ?? 0));
    this.proj = this.addModule('proj', new Linear(dim, dim));
    this.projDrop = this.addModule('proj_drop', new Dropout(options.projDrop ?? 0));
  }

  /** The bias added to every window's attention logits, `[heads, N, N]`. */
  relativePositionBias(): tf.Tensor3D {
    const n = this.windowSize ** 2;
    return tf.tidy(() =>
      tf
        .gather(this.relativePositionBiasTable.value, relativePositionIndex(this.windowSize)) // [N·N, heads]
        .reshape([n, n, this.numHeads])
        .transpose([2, 0, 1]),
    );
  }

  /**
   * @param windows `[B·nW, N, C]` tokens of each window.
   * @param mask `[nW, N, N]` additive mask of shifted windows, or null.
   * @returns `[B·nW, N, C]`.
   */
  forward(windows: tf.Tensor3D, mask: tf.Tensor3D | null): tf.Tensor3D {
    return tf.tidy(() => {
      const [bw, n, c] = windows.shape;
      const heads = this.numHeads;
      const hd = c / heads;
      // Two rank-≤4 transposes instead of one rank-5 [2,0,3,1,4] (slow on wasm).
      const qkv = this.qkv.forward(windows).reshape([bw, n, 3 * heads, hd]); // [BW, N, 3·heads, hd]
      const byHead = qkv.transpose([0, 2, 1, 3]).reshape([bw, 3, heads * n * hd]); // [BW, 3, heads·N·hd]
      const [q, k, v] = tf
        .unstack(byHead.transpose([1, 0, 2]), 0) // 3 × [BW, heads·N·hd]
        .map((t) => t.reshape([bw, heads, n, hd])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      let attn: tf.Tensor = tf.matMul(q.mul(this.scale), k, false, true); // [BW, heads, N, N]
      attn = attn.add(this.relativePositionBias());
      if (mask !== null) {
        const nw = mask.shape[0];
        attn = attn
          .reshape([bw / nw, nw, heads, n, n])
          .add(mask.reshape([1, nw, 1, n, n]))
          .reshape([bw, heads, n, n]);
      }
      attn = this.attnDrop.forward(tf.softmax(attn, -1));
      const out = tf
        .matMul(attn as tf.Tensor4D, v) // [BW, heads, N, hd]
        .transpose([0, 2, 1, 3]) // [BW, N, heads, hd]
        .reshape([bw, n, c]);
      return this.projDrop.forward(this.proj.forward(out)) as tf.Tensor3D;
    });
  }

  /**
   * Accepts a bias table of another window size by resizing it bicubically, as
   * the official code does when loading a checkpoint trained at another window.
   */
  protected override adaptIncoming(localName: string, value: tf.Tensor): tf.Tensor | null {
    if (localName !== 'relative_position_bias_table' || value.rank !== 2 || value.shape[1] !== this.numHeads) return null;
    const side = Math.round(Math.sqrt(value.shape[0]));
    if (side * side !== value.shape[0]) return null;
    const target = 2 * this.windowSize - 1;
    return tf.tidy(() => {
      const grid = value.reshape([1, side, side, this.numHeads]) as tf.Tensor4D; // [1, S1, S1, heads]
      return resizeBicubic(grid, target, target).reshape([target * target, this.numHeads]);
    });
  }
}

import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { transposeReduced } from '../../nn/functional/transpose.js';

/** Options of {@link Attention}. */
export interface AttentionOptions {
  /** Channels C. */
  dim: number;
  /** Attention heads; C must be divisible by it. */
  numHeads: number;
  /** Bias in the qkv projection. Default true. */
  qkvBias?: boolean;
  /** Dropout on attention weights. Default 0. */
  attnDrop?: number;
  /** Dropout after the output projection. Default 0. */
  projDrop?: number;
}

/**
 * Global multi-head self-attention over a token sequence, as timm's `Attention`
 * (non-fused path): `qkv` Linear(C, 3C) whose output splits as `[3, heads, headDim]`,
 * `softmax((q·headDim^-0.5)·kᵀ)·v`, heads concatenated, then `proj`.
 *
 * Parameters: `qkv.{weight,bias}` `[3C, C]`/`[3C]`, `proj.{weight,bias}` `[C, C]`/`[C]`.
 */
export class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly attnDrop: Dropout;
  readonly projDrop: Dropout;
  readonly dim: number;
  readonly numHeads: number;
  readonly scale: number;

  constructor(options: AttentionOptions) {
    super();
    const { dim, numHeads } = options;
    if (dim % numHeads !== 0) throw new RangeError(`Attention: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.dim = dim;
    this.numHeads = numHeads;
    this.scale = (dim / numHeads) ** -0.5;
    this.qkv = this.addModule('qkv', new Linear(dim, 3 * dim, { bias: options.qkvBias ?? true }));
    this.attnDrop = this.addModule('attn_drop', new Dropout(options.attnDrop ?? 0));
    this.proj = this.addModule('proj', new Linear(dim, dim));
    this.projDrop = this.addModule('proj_drop', new Dropout(options.projDrop ?? 0));
  }

  /** `[B, N, C]` → `[B, N, C]`. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new ShapeError(`Attention(${this.dim}): expected [B, N, ${this.dim}] tokens, got ${formatShape(x.shape)}`);
    }
    return tf.tidy(() => {
      const [b, n, c] = x.shape;
      const heads = this.numHeads;
      const hd = c / heads;
      // The 3C outputs are ordered [3, heads, headDim]: three column blocks of C.
      const [q, k, v] = tf
        .split(this.qkv.forward(x), 3, 2) // 3 × [B, N, C]
        .map((t) => transposeReduced(t.reshape([b, n, heads, hd]), [0, 2, 1, 3])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]; // [B, heads, N, hd]
      const logits = tf.matMul(q.mul(this.scale) as tf.Tensor4D, k, false, true); // [B, heads, N, N]
      const attn = this.attnDrop.forward(tf.softmax(logits, -1)) as tf.Tensor4D;
      const out = transposeReduced(tf.matMul(attn, v), [0, 2, 1, 3]).reshape([b, n, c]); // [B, N, C]
      return this.projDrop.forward(this.proj.forward(out)) as tf.Tensor3D;
    });
  }
}

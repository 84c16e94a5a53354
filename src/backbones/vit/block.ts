import { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { DropPath } from '../../nn/layers/dropout.js';
import { Mlp } from '../swin/mlp.js';
import { Attention } from './attention.js';
import { checkpoint } from '../../nn/checkpoint.js';

/** LayerNorm epsilon of timm's (and DeiT's, mmpretrain's) ViT: `partial(nn.LayerNorm, eps=1e-6)`. */
export const VIT_LN_EPS = 1e-6;

/** Options of {@link VitBlock}. */
export interface VitBlockOptions {
  dim: number;
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  /** Dropout after the attention projection and in the MLP. */
  dropRate: number;
  attnDropRate: number;
  /** Stochastic depth of both residual branches. */
  dropPath: number;
  /** Activation checkpointing in training (see {@link checkpoint}). Default false. */
  withCp?: boolean;
}

/**
 * A pre-norm transformer block, as timm's `Block` (without layer scale):
 * `x + DropPath(Attn(LN(x)))`, then `x + DropPath(MLP(LN(x)))`, LayerNorm eps 1e-6.
 *
 * Parameters: `norm1`, `attn.qkv`, `attn.proj`, `norm2`, `mlp.fc1`, `mlp.fc2`.
 */
export class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly dropPath: DropPath;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;

  constructor(readonly options: VitBlockOptions) {
    super();
    const o = options;
    this.norm1 = this.addModule('norm1', new LayerNorm(o.dim, VIT_LN_EPS));
    this.attn = this.addModule('attn', new Attention({ dim: o.dim, numHeads: o.numHeads, qkvBias: o.qkvBias, attnDrop: o.attnDropRate, projDrop: o.dropRate }));
    this.dropPath = this.addModule('drop_path', new DropPath(o.dropPath));
    this.norm2 = this.addModule('norm2', new LayerNorm(o.dim, VIT_LN_EPS));
    this.mlp = this.addModule('mlp', new Mlp(o.dim, Math.floor(o.dim * o.mlpRatio), o.dropRate));
  }

  /** `[B, N, C]` → `[B, N, C]`; with `withCp` in training, intermediates are recomputed in backward. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    if (this.options.withCp === true && this.training) return checkpoint(this, (t: tf.Tensor3D) => this.forwardBlock(t), x);
    return this.forwardBlock(x);
  }

  /** The block computation, `[B, N, C]` → `[B, N, C]`. */
  private forwardBlock(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const y = x.add(this.dropPath.forward(this.attn.forward(this.norm1.forward(x) as tf.Tensor3D))) as tf.Tensor3D;
      return y.add(this.dropPath.forward(this.mlp.forward(this.norm2.forward(y)))) as tf.Tensor3D;
    });
  }
}

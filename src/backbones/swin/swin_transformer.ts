import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Module, ModuleList, type Parameter } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { truncNormal } from '../../nn/init.js';
import { resizeBicubic } from '../../nn/functional/bicubic.js';
import { Backbone, type FeatureSpec } from '../backbone.js';
import { PatchEmbed } from './patch_embed.js';
import { PatchMerging } from './patch_merging.js';
import { SwinBlock } from './swin_block.js';
import { SWIN_ARCHS } from './presets.js';
import type { LayerId } from '../../nn/layer_id.js';
import { swinLayerId } from './swin_layer_id.js';
import { archPreset } from '../arch_preset.js';

/**
 * Options of {@link SwinTransformer}, mirroring mmdetection's `SwinTransformer`
 * (camelCase names: `embed_dims` → `embedDim`, `use_abs_pos_embed` → `useAbsPosEmbed`, ...).
 */
export interface SwinTransformerOptions {
  /** Preset: 'tiny' | 'small' | 'base' | 'large'. Explicit `embedDim`/`depths`/`numHeads` override it. Default 'tiny'. */
  arch: string | null;
  /** Channels of stage 1 (doubled at every stage). Default: from `arch`. */
  embedDim: number | null;
  /** Blocks per stage. Default: from `arch`. */
  depths: number[] | null;
  /** Attention heads per stage. Default: from `arch`. */
  numHeads: number[] | null;
  /** Input channels. Default 3. */
  inChannels: number;
  /** Patch size of the embedding (stride of stage 1). Default 4. */
  patchSize: number;
  /** Attention window side. Default 7. */
  windowSize: number;
  /** MLP hidden size / channels. Default 4. */
  mlpRatio: number;
  /** Bias in qkv projections. Default true. */
  qkvBias: boolean;
  /** Query scale; null means headDim^-0.5. Default null. */
  qkScale: number | null;
  /** Dropout after the position embedding, in MLPs and after attention projections. Default 0. */
  dropRate: number;
  /** Dropout on attention weights. Default 0. */
  attnDropRate: number;
  /** Stochastic depth rate, rising linearly from 0 to this over all blocks. Default 0.1. */
  dropPathRate: number;
  /** Learned absolute position embedding (`[1, Hp·Wp, C]` at `pretrainImgSize`, bicubically resized to other sizes). Default false. */
  useAbsPosEmbed: boolean;
  /** Image size the absolute position embedding is defined at. Default 224. */
  pretrainImgSize: number;
  /** LayerNorm after the patch embedding. Default true. */
  patchNorm: boolean;
  /** Stages (0-based) whose outputs are returned, each through its own LayerNorm `norm{i}`. Default [0, 1, 2, 3]. */
  outIndices: number[];
  /** Freeze the patch embedding (0) and stages 1..k (k ≥ 1); -1 freezes nothing. Default -1. */
  frozenStages: number;
  /** Activation checkpointing per block in training (mmdet's `with_cp`): a block keeps no intermediates in forward and recomputes them in backward; saves memory, costs a second forward of each block. Default false. */
  withCp: boolean;
}

/** Defaults of {@link SwinTransformerOptions}. */
export const SWIN_DEFAULTS: SwinTransformerOptions = {
  arch: 'tiny',
  embedDim: null,
  depths: null,
  numHeads: null,
  inChannels: 3,
  patchSize: 4,
  windowSize: 7,
  mlpRatio: 4,
  qkvBias: true,
  qkScale: null,
  dropRate: 0,
  attnDropRate: 0,
  dropPathRate: 0.1,
  useAbsPosEmbed: false,
  pretrainImgSize: 224,
  patchNorm: true,
  outIndices: [0, 1, 2, 3],
  frozenStages: -1,
  withCp: false,
};

/** One stage: blocks, then (except the last stage) patch merging. */
export class SwinStage extends Module {
  readonly blocks: ModuleList<SwinBlock>;
  readonly downsample: PatchMerging | null;

  constructor(blocks: SwinBlock[], downsample: PatchMerging | null) {
    super();
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.downsample = downsample === null ? null : this.addModule('downsample', downsample);
  }

  /** @returns the stage output (before merging) and the input of the next stage. */
  forward(x: tf.Tensor4D): { out: tf.Tensor4D; next: tf.Tensor4D } {
    let y = x;
    for (const block of this.blocks.items) y = block.forward(y);
    return { out: y, next: this.downsample === null ? y : this.downsample.forward(y) };
  }
}

/**
 * The hierarchical Swin Transformer backbone (Liu et al. 2021), NHWC.
 *
 * Parameter names follow the official Microsoft checkpoints
 * (`patch_embed.proj`, `layers.{i}.blocks.{j}.attn.qkv`, `layers.{i}.downsample`),
 * with mmdetection's per-output norms `norm{i}`.
 *
 * Outputs `stage{i+1}` for each i in `outIndices`: `[B, ⌈H/s⌉, ⌈W/s⌉, C·2^i]`, s = patchSize·2^i.
 */
export class SwinTransformer extends Backbone {
  readonly outputSpecs: FeatureSpec[];
  readonly patchEmbed: PatchEmbed;
  readonly absolutePosEmbed: Parameter | null;
  readonly posDrop: Dropout;
  readonly layers: ModuleList<SwinStage>;
  readonly outNorms = new Map<number, LayerNorm>();
  readonly options: SwinTransformerOptions & { embedDim: number; depths: number[]; numHeads: number[] };

  constructor(options: Partial<SwinTransformerOptions> = {}) {
    super();
    const o = resolveSwinOptions({ ...SWIN_DEFAULTS, ...options });
    this.options = o;
    const numStages = o.depths.length;
    const channels = o.depths.map((_, i) => o.embedDim * 2 ** i);

    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed(o.inChannels, o.embedDim, o.patchSize, o.patchNorm));
    if (o.useAbsPosEmbed) {
      const side = Math.floor(o.pretrainImgSize / o.patchSize);
      this.absolutePosEmbed = this.addParameter('absolute_pos_embed', truncNormal([1, side * side, o.embedDim], { std: 0.02 }));
    } else {
      this.absolutePosEmbed = null;
    }
    this.posDrop = this.addModule('pos_drop', new Dropout(o.dropRate));

    const totalBlocks = o.depths.reduce((a, b) => a + b, 0);
    let blockId = 0;
    const stages: SwinStage[] = [];
    for (let i = 0; i < numStages; i++) {
      const blocks: SwinBlock[] = [];
      for (let j = 0; j < o.depths[i]; j++) {
        blocks.push(
          new SwinBlock({
            dim: channels[i],
            numHeads: o.numHeads[i],
            windowSize: o.windowSize,
            shiftSize: j % 2 === 0 ? 0 : Math.floor(o.windowSize / 2),
            mlpRatio: o.mlpRatio,
            qkvBias: o.qkvBias,
            qkScale: o.qkScale,
            dropRate: o.dropRate,
            attnDropRate: o.attnDropRate,
            dropPath: totalBlocks > 1 ? (o.dropPathRate * blockId) / (totalBlocks - 1) : 0,
            withCp: o.withCp,
          }),
        );
        blockId++;
      }
      stages.push(new SwinStage(blocks, i < numStages - 1 ? new PatchMerging(channels[i]) : null));
    }
    this.layers = this.addModule('layers', new ModuleList(stages));
    for (const i of o.outIndices) this.outNorms.set(i, this.addModule(`norm${i}`, new LayerNorm(channels[i])));
    this.outputSpecs = o.outIndices.map((i) => ({
      name: `stage${i + 1}`,
      channels: channels[i],
      stride: o.patchSize * 2 ** i,
    }));
    this.applyFrozenStages();
  }

  /** Freezes the patch embedding and the first `frozenStages` stages (with their output norms), as mmdetection does. */
  private applyFrozenStages(): void {
    const k = this.options.frozenStages;
    if (k < 0) return;
    this.patchEmbed.freeze();
    this.posDrop.freeze();
    if (this.absolutePosEmbed !== null) this.absolutePosEmbed.requiresGrad = false;
    for (let i = 0; i < Math.min(k, this.layers.length); i++) {
      this.layers.items[i].freeze();
      this.outNorms.get(i)?.freeze();
    }
  }

  /** Layer id for layer-wise lr decay, by mmpretrain's Swin rule (see {@link swinLayerId}). */
  override layerIdOf(paramName: string): LayerId {
    return swinLayerId(paramName, this.options.depths);
  }

  /** `[B, H, W, inChannels]` → one NHWC map per output spec. */
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      let x = this.patchEmbed.forward(images); // [B, H/p, W/p, C]
      if (this.absolutePosEmbed !== null) x = x.add(this.positionEmbedding(x.shape[1], x.shape[2]));
      x = this.posDrop.forward(x);
      const outs: tf.Tensor4D[] = [];
      this.layers.items.forEach((stage, i) => {
        const { out, next } = stage.forward(x);
        const norm = this.outNorms.get(i);
        if (norm !== undefined) outs.push(norm.forward(out) as tf.Tensor4D);
        x = next;
      });
      return outs;
    });
  }

  /** The absolute position embedding for a `h×w` patch grid, `[1, h, w, C]`. */
  private positionEmbedding(h: number, w: number): tf.Tensor4D {
    const param = this.absolutePosEmbed;
    if (param === null) throw new Error('SwinTransformer: no absolute position embedding');
    const side = Math.round(Math.sqrt(param.shape[1]));
    const grid = param.value.reshape([1, side, side, this.options.embedDim]) as tf.Tensor4D; // [1, S, S, C]
    return side === h && side === w ? grid : resizeBicubic(grid, h, w);
  }
}

/** Fills `embedDim`, `depths` and `numHeads` from `arch` and checks the options. */
export function resolveSwinOptions(o: SwinTransformerOptions): SwinTransformerOptions & { embedDim: number; depths: number[]; numHeads: number[] } {
  const preset = archPreset('SwinTransformer', o.arch, SWIN_ARCHS);
  const embedDim = o.embedDim ?? preset?.embedDim;
  const depths = o.depths ?? preset?.depths;
  const numHeads = o.numHeads ?? preset?.numHeads;
  if (embedDim === undefined || depths === undefined || numHeads === undefined) {
    throw new ConfigError('SwinTransformer: set arch, or all of embedDim, depths and numHeads');
  }
  if (depths.length !== numHeads.length) {
    throw new ConfigError(`SwinTransformer: depths (${depths.length} stages) and numHeads (${numHeads.length}) differ in length`);
  }
  depths.forEach((_, i) => {
    const c = embedDim * 2 ** i;
    if (c % numHeads[i] !== 0) throw new ConfigError(`SwinTransformer: stage ${i} has ${c} channels, not divisible by ${numHeads[i]} heads`);
  });
  for (const i of o.outIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= depths.length) {
      throw new ConfigError(`SwinTransformer: outIndices entry ${i} is not a stage index in [0, ${depths.length - 1}]`);
    }
  }
  if (o.frozenStages < -1 || o.frozenStages > depths.length) {
    throw new ConfigError(`SwinTransformer: frozenStages ${o.frozenStages} is outside [-1, ${depths.length}]`);
  }
  if (typeof o.withCp !== 'boolean') throw new ConfigError(`SwinTransformer: withCp must be true or false, got ${JSON.stringify(o.withCp)}`);
  return { ...o, embedDim, depths: [...depths], numHeads: [...numHeads] };
}

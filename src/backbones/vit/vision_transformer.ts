import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Module, ModuleList, type Parameter } from '../../nn/module.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { normal, truncNormal, zeros } from '../../nn/init.js';
import type { LayerId } from '../../nn/layer_id.js';
import { Backbone, type FeatureSpec } from '../backbone.js';
import { PatchEmbed } from '../swin/patch_embed.js';
import { VitBlock, VIT_LN_EPS } from './block.js';
import { VIT_ARCHS } from './presets.js';
import { resamplePosEmbed, squareGridSide } from './pos_embed.js';
import { SimpleFeaturePyramidLevel } from './simple_feature_pyramid.js';
import { archPreset } from '../arch_preset.js';

/** What {@link VisionTransformer.forward} returns; see {@link VisionTransformerOptions.outputMode}. */
export type VitOutputMode = 'tokens' | 'featmap' | 'pyramid';

/** Options of {@link VisionTransformer} (timm's arguments in camelCase). */
export interface VisionTransformerOptions {
  /** Preset: 'vit-tiny' | 'vit-small' | 'vit-base' | 'deit-tiny' | 'deit-small' | 'deit-base'; explicit `embedDim`/`depth`/`numHeads` override it. Default 'vit-base'. */
  arch: string | null;
  /** Token width C. Default: from `arch`. */
  embedDim: number | null;
  /** Number of blocks. Default: from `arch`. */
  depth: number | null;
  /** Attention heads. Default: from `arch`. */
  numHeads: number | null;
  /** Input channels. Default 3. */
  inChannels: number;
  /** Patch size and stride of the patch embedding. Default 16. */
  patchSize: number;
  /** Image size (side, or `[h, w]`) whose patch grid the learned `pos_embed` is defined on. Default 224. */
  imgSize: number | number[];
  /** MLP hidden width / C. Default 4. */
  mlpRatio: number;
  /** Bias in the qkv projections. Default true. */
  qkvBias: boolean;
  /** Dropout after the position embedding, after attention projections and in MLPs (timm < 0.9's `drop_rate`). Default 0. */
  dropRate: number;
  /** Dropout on attention weights. Default 0. */
  attnDropRate: number;
  /** Stochastic depth, rising linearly from 0 (first block) to this (last block). Default 0. */
  dropPathRate: number;
  /** Prepend a learned class token. Default true. */
  classToken: boolean;
  /** Prepend a learned distillation token after the class token (DeiT ⚗). Default false. */
  distToken: boolean;
  /** Blocks (0-based; negative counts from the end) whose outputs are returned, strictly increasing. Default [-1] (the last). */
  outIndices: number[];
  /** Apply the final LayerNorm `norm` to the output of the last block (when it is selected). Default true. */
  finalNorm: boolean;
  /** 'featmap' (patch tokens as stride-p NHWC maps), 'tokens' (`[B, 1, T, C]` for token heads) or 'pyramid' (ViTDet). Default 'featmap'. */
  outputMode: string;
  /** 'pyramid' mode: project every level to this width with detectron2's 1×1 + 3×3 conv + LN, or null (C/4, C/2, C, C). Default null. */
  pyramidChannels: number | null;
  /** -1: none; 0: patch embedding, tokens and position embedding; k: also blocks 0..k-1 (k = depth: also `norm`). Default -1. */
  frozenStages: number;
  /** Activation checkpointing per block in training (mmdet's `with_cp`): a block keeps no intermediates in forward and recomputes them in backward; saves memory, costs a second forward of each block. Default false. */
  withCp: boolean;
}

/** Defaults of {@link VisionTransformerOptions}. */
export const VIT_DEFAULTS: VisionTransformerOptions = {
  arch: 'vit-base',
  embedDim: null,
  depth: null,
  numHeads: null,
  inChannels: 3,
  patchSize: 16,
  imgSize: 224,
  mlpRatio: 4,
  qkvBias: true,
  dropRate: 0,
  attnDropRate: 0,
  dropPathRate: 0,
  classToken: true,
  distToken: false,
  outIndices: [-1],
  finalNorm: true,
  outputMode: 'featmap',
  pyramidChannels: null,
  frozenStages: -1,
  withCp: false,
};

/** Options with the preset applied and every index normalised. */
export type ResolvedVitOptions = VisionTransformerOptions & {
  embedDim: number;
  depth: number;
  numHeads: number;
  outputMode: VitOutputMode;
  /** Normalised (non-negative, strictly increasing) block indices. */
  outIndices: number[];
  /** `[gh, gw]`, the patch grid of `pos_embed`. */
  posGrid: [number, number];
};

/** How a token sequence of a {@link TokenFeatureSpec} output is laid out. */
export interface TokenLayout {
  /** Tokens before the patch tokens: class token (index 0), then distillation token (index 1). */
  numPrefixTokens: number;
  /** Token 0 is the class token. */
  classToken: boolean;
  /** Token 1 is the distillation token. */
  distToken: boolean;
}

/**
 * The spec of a 'tokens' output: the map is `[B, 1, T, C]` (T = prefix + patch
 * tokens, row-major over the patch grid), NOT a spatial map — only token heads
 * (e.g. `VisionTransformerClsHead`) accept it.
 */
export interface TokenFeatureSpec extends FeatureSpec {
  tokenLayout: TokenLayout;
}

/** The token layout of a backbone output spec, or null for an ordinary NHWC map. */
export function tokenLayoutOf(spec: FeatureSpec): TokenLayout | null {
  const layout = (spec as Partial<TokenFeatureSpec>).tokenLayout;
  return layout !== undefined && typeof layout === 'object' ? layout : null;
}

/** What {@link VisionTransformer.forwardTokens} returns. */
export interface VitTokens {
  /** One `[B, T, C]` per selected block, in `outIndices` order (the last block's after `norm` when `finalNorm`). */
  tokens: tf.Tensor3D[];
  /** The patch grid `[h, w]` = `[⌈H/p⌉, ⌈W/p⌉]`. */
  grid: [number, number];
  /** Prefix tokens before the `h·w` patch tokens. */
  numPrefixTokens: number;
}

/**
 * The plain Vision Transformer (Dosovitskiy et al. 2021) and DeiT (Touvron et
 * al. 2021), with timm's parameter names: `patch_embed.proj`, `cls_token`
 * `[1,1,C]`, `dist_token` `[1,1,C]`, `pos_embed` `[1, P + gh·gw, C]`,
 * `blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`, `norm`; in
 * 'pyramid' mode also detectron2's `simfp_{k}.*` (see {@link SimpleFeaturePyramidLevel}).
 *
 * Any input size: images whose sides are not multiples of the patch are
 * zero-padded at the bottom/right first (timm would need `dynamic_img_pad=True`,
 * which pads the same way), and the grid part of `pos_embed` is resampled
 * bicubically from its `imgSize` grid to the input's grid (see
 * {@link resamplePosEmbed}; timm's `dynamic_img_size=True` with `antialias=False`).
 *
 * Outputs by `outputMode` (p = patch size, `[h, w] = [⌈H/p⌉, ⌈W/p⌉]`):
 * - 'featmap': `block{i}` per selected block, the patch tokens as `[B, h, w, C]`, stride p;
 * - 'tokens': `block{i}` per selected block, all tokens as a `[B, 1, T, C]` map
 *   with a {@link TokenFeatureSpec} (for classification heads; not a spatial map);
 * - 'pyramid': `stage1..stage4` at strides p/4, p/2, p, 2p from the last selected
 *   block (ViTDet's simple feature pyramid), channels C/4, C/2, C, C or `pyramidChannels`.
 *   Upsampled levels are cropped to `⌈H/s⌉ × ⌈W/s⌉` when the image was padded, and the
 *   stride-2p level pools with ceil mode, so every level has the contract's size.
 *
 * Blocks after the last selected one are not run (their parameters get no gradient).
 */
export class VisionTransformer extends Backbone {
  readonly outputSpecs: FeatureSpec[];
  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Parameter | null;
  readonly distToken: Parameter | null;
  readonly posEmbed: Parameter;
  readonly posDrop: Dropout;
  readonly blocks: ModuleList<VitBlock>;
  readonly norm: LayerNorm | null;
  /** The pyramid levels ('pyramid' mode), finest first. */
  readonly pyramid: SimpleFeaturePyramidLevel[] = [];
  readonly options: ResolvedVitOptions;
  /** Tokens before the patch tokens (class, distillation). */
  readonly numPrefixTokens: number;

  constructor(options: Partial<VisionTransformerOptions> = {}) {
    super();
    const o = resolveVitOptions({ ...VIT_DEFAULTS, ...options });
    this.options = o;
    const c = o.embedDim;
    this.numPrefixTokens = (o.classToken ? 1 : 0) + (o.distToken ? 1 : 0);

    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed(o.inChannels, c, o.patchSize, false));
    // timm's init: cls_token N(0, 1e-6), dist_token and pos_embed trunc-normal(0.02).
    this.clsToken = o.classToken ? this.addParameter('cls_token', normal([1, 1, c], 0, 1e-6)) : null;
    this.distToken = o.distToken ? this.addParameter('dist_token', truncNormal([1, 1, c], { std: 0.02 })) : null;
    const [gh, gw] = o.posGrid;
    this.posEmbed = this.addParameter('pos_embed', truncNormal([1, this.numPrefixTokens + gh * gw, c], { std: 0.02 }));
    this.posDrop = this.addModule('pos_drop', new Dropout(o.dropRate));
    const blocks: VitBlock[] = [];
    for (let i = 0; i < o.depth; i++) {
      blocks.push(
        new VitBlock({
          dim: c,
          numHeads: o.numHeads,
          mlpRatio: o.mlpRatio,
          qkvBias: o.qkvBias,
          dropRate: o.dropRate,
          attnDropRate: o.attnDropRate,
          dropPath: o.depth > 1 ? (o.dropPathRate * i) / (o.depth - 1) : 0,
          withCp: o.withCp,
        }),
      );
    }
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.norm = o.finalNorm ? this.addModule('norm', new LayerNorm(c, VIT_LN_EPS)) : null;
    initVitLinears(this.blocks);

    const names = o.outIndices.map((i) => `block${i}`);
    if (o.outputMode === 'pyramid') {
      const scales = [4, 2, 1, 0.5] as const;
      this.outputSpecs = scales.map((scale, k) => {
        const stride = o.patchSize / scale;
        const level = this.addModule(`simfp_${Math.round(Math.log2(stride))}`, new SimpleFeaturePyramidLevel(c, scale, o.pyramidChannels));
        this.pyramid.push(level);
        return { name: `stage${k + 1}`, channels: level.outChannels, stride };
      });
    } else if (o.outputMode === 'tokens') {
      const tokenLayout: TokenLayout = { numPrefixTokens: this.numPrefixTokens, classToken: o.classToken, distToken: o.distToken };
      this.outputSpecs = names.map((name) => ({ name, channels: c, stride: o.patchSize, tokenLayout }) satisfies TokenFeatureSpec);
    } else {
      this.outputSpecs = names.map((name) => ({ name, channels: c, stride: o.patchSize }));
    }
    this.applyFrozenStages();
  }

  /** mmpretrain's `_freeze_stages`: the embeddings for k ≥ 0, then blocks 0..k-1, and `norm` when k = depth. */
  private applyFrozenStages(): void {
    const k = this.options.frozenStages;
    if (k < 0) return;
    this.patchEmbed.freeze();
    this.posDrop.freeze();
    for (const p of [this.clsToken, this.distToken, this.posEmbed]) if (p !== null) p.requiresGrad = false;
    for (let i = 0; i < Math.min(k, this.blocks.length); i++) this.blocks.items[i].freeze();
    if (k === this.blocks.length) this.norm?.freeze();
  }

  /**
   * Layer id for layer-wise lr decay, as mmpretrain's ViT `get_layer_depth` and
   * detectron2's `get_vit_lr_decay_rate`: tokens, `pos_embed` and `patch_embed` → 0,
   * `blocks.{i}` → i + 1, everything else (final norm, pyramid, heads) → depth + 1.
   */
  override layerIdOf(paramName: string): LayerId {
    const numLayers = this.options.depth;
    const prefix = 'backbone.';
    if (!paramName.startsWith(prefix)) return { layerId: numLayers + 1, numLayers };
    const rest = paramName.slice(prefix.length);
    if (['cls_token', 'dist_token', 'pos_embed'].includes(rest) || rest.startsWith('patch_embed.')) return { layerId: 0, numLayers };
    const m = /^blocks\.(\d+)\./.exec(rest);
    if (m !== null) return { layerId: Number(m[1]) + 1, numLayers };
    return { layerId: numLayers + 1, numLayers };
  }

  /** The position embedding for an `h×w` patch grid, `[1, P + h·w, C]`. */
  positionEmbedding(h: number, w: number): tf.Tensor3D {
    return resamplePosEmbed(this.posEmbed.value, this.numPrefixTokens, this.options.posGrid, [h, w]);
  }

  /**
   * The token sequences of the selected blocks.
   * @param images `[B, H, W, inChannels]`, any H and W
   * @param indices block indices to return, in order (negative: from the end; default: `outIndices`);
   *   blocks after the largest are not run
   */
  forwardTokens(images: tf.Tensor4D, indices: readonly number[] = this.options.outIndices): VitTokens {
    const depth = this.blocks.length;
    const outIndices = indices.map((i) => (i < 0 ? depth + i : i));
    if (outIndices.some((i) => !Number.isInteger(i) || i < 0 || i >= depth)) {
      throw new RangeError(`VisionTransformer.forwardTokens: block indices ${JSON.stringify(indices)} outside [${-depth}, ${depth - 1}]`);
    }
    const p = this.options.patchSize;
    const grid: [number, number] = [Math.ceil(images.shape[1] / p), Math.ceil(images.shape[2] / p)];
    const tokens = tf.tidy(() => {
      const patches = this.patchEmbed.forward(images); // [B, h, w, C]
      const [b, h, w, c] = patches.shape;
      const prefix = [this.clsToken, this.distToken].filter((t): t is Parameter => t !== null).map((t) => tf.broadcastTo(t.value, [b, 1, c]));
      const seq = patches.reshape([b, h * w, c]);
      let x = (prefix.length > 0 ? tf.concat([...prefix, seq], 1) : seq).add(this.positionEmbedding(h, w)) as tf.Tensor3D; // [B, T, C]
      x = this.posDrop.forward(x);
      const last = outIndices.length > 0 ? Math.max(...outIndices) : -1;
      const byBlock = new Map<number, tf.Tensor3D>();
      for (let i = 0; i <= last; i++) {
        x = this.blocks.items[i].forward(x);
        if (!outIndices.includes(i)) continue;
        byBlock.set(i, i === depth - 1 && this.norm !== null ? (this.norm.forward(x) as tf.Tensor3D) : x);
      }
      return outIndices.map((i) => byBlock.get(i) as tf.Tensor3D);
    });
    return { tokens, grid, numPrefixTokens: this.numPrefixTokens };
  }

  /** `[B, H, W, inChannels]` → one map per output spec (see the class documentation). */
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const mode = this.options.outputMode;
      const selected = this.options.outIndices;
      const { tokens, grid } = this.forwardTokens(images, mode === 'pyramid' ? selected.slice(-1) : selected);
      const b = images.shape[0];
      const c = this.options.embedDim;
      if (mode === 'tokens') return tokens.map((t) => t.reshape([b, 1, t.shape[1], c]) as tf.Tensor4D);
      const maps = tokens.map((t) => t.slice([0, this.numPrefixTokens, 0], [b, grid[0] * grid[1], c]).reshape([b, grid[0], grid[1], c]) as tf.Tensor4D);
      if (mode === 'featmap') return maps;
      const base = maps[maps.length - 1]; // [B, h, w, C] at stride p
      const [, imgH, imgW] = images.shape;
      return this.pyramid.map((level, k) => {
        const y = level.forward(base);
        const stride = this.outputSpecs[k].stride;
        const [oh, ow] = [Math.ceil(imgH / stride), Math.ceil(imgW / stride)];
        return y.shape[1] === oh && y.shape[2] === ow ? y : (y.slice([0, 0, 0, 0], [b, oh, ow, y.shape[3]]) as tf.Tensor4D);
      });
    });
  }

  /**
   * Accepts a `pos_embed` defined on another (square) grid with the same prefix
   * tokens, e.g. a 224 checkpoint in a 384 model, by resampling it to this
   * model's grid as timm's `checkpoint_filter_fn` does (bicubic, no antialias).
   */
  protected override adaptIncoming(localName: string, value: tf.Tensor): tf.Tensor | null {
    if (localName !== 'pos_embed' || value.rank !== 3 || value.shape[0] !== 1 || value.shape[2] !== this.options.embedDim) return null;
    const side = squareGridSide((value as tf.Tensor3D).shape[1], this.numPrefixTokens);
    if (side === null) return null;
    return tf.tidy(() => resamplePosEmbed(value, this.numPrefixTokens, [side, side], this.options.posGrid).clone());
  }
}

/** timm's `init_weights_vit_timm`: every Linear gets a trunc-normal(0.02) weight and a zero bias. */
export function initVitLinears(root: Module): void {
  for (const [, m] of root.namedModules()) {
    if (!(m instanceof Linear)) continue;
    const w = truncNormal(m.weight.shape, { std: 0.02 });
    m.weight.variable.assign(w);
    w.dispose();
    if (m.bias !== null) {
      const b = zeros(m.bias.shape);
      m.bias.variable.assign(b);
      b.dispose();
    }
  }
}

/** Fills `embedDim`, `depth` and `numHeads` from `arch`, normalises indices and checks the options. */
export function resolveVitOptions(o: VisionTransformerOptions): ResolvedVitOptions {
  const preset = archPreset('VisionTransformer', o.arch, VIT_ARCHS);
  const embedDim = o.embedDim ?? preset?.embedDim;
  const depth = o.depth ?? preset?.depth;
  const numHeads = o.numHeads ?? preset?.numHeads;
  if (embedDim === undefined || depth === undefined || numHeads === undefined) {
    throw new ConfigError('VisionTransformer: set arch, or all of embedDim, depth and numHeads');
  }
  if (!Number.isInteger(depth) || depth < 1) throw new ConfigError(`VisionTransformer: depth must be a positive integer, got ${depth}`);
  if (embedDim % numHeads !== 0) throw new ConfigError(`VisionTransformer: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
  if (!['tokens', 'featmap', 'pyramid'].includes(o.outputMode)) {
    throw new ConfigError(`VisionTransformer: outputMode '${o.outputMode}' is not one of 'tokens', 'featmap', 'pyramid'`);
  }
  if (o.distToken && !o.classToken) throw new ConfigError('VisionTransformer: distToken needs classToken (DeiT puts it after the class token)');
  const size = typeof o.imgSize === 'number' ? [o.imgSize, o.imgSize] : o.imgSize;
  if (size.length !== 2 || size.some((s) => !Number.isInteger(s) || s < o.patchSize)) {
    throw new ConfigError(`VisionTransformer: imgSize must be a side or [h, w] of at least patchSize ${o.patchSize}, got ${JSON.stringify(o.imgSize)}`);
  }
  const posGrid: [number, number] = [Math.floor(size[0] / o.patchSize), Math.floor(size[1] / o.patchSize)];
  if (o.outIndices.length === 0) throw new ConfigError('VisionTransformer: outIndices is empty');
  const outIndices = o.outIndices.map((i) => {
    if (!Number.isInteger(i) || i < -depth || i >= depth) {
      throw new ConfigError(`VisionTransformer: outIndices entry ${i} is not a block index in [${-depth}, ${depth - 1}]`);
    }
    return i < 0 ? depth + i : i;
  });
  if (outIndices.some((v, k) => k > 0 && v <= outIndices[k - 1])) {
    throw new ConfigError(`VisionTransformer: outIndices ${JSON.stringify(o.outIndices)} must name blocks in strictly increasing order`);
  }
  if (o.outputMode === 'pyramid') {
    if (o.patchSize % 4 !== 0) throw new ConfigError(`VisionTransformer: 'pyramid' needs a patchSize divisible by 4 (stride p/4), got ${o.patchSize}`);
    if (embedDim % 4 !== 0) throw new ConfigError(`VisionTransformer: 'pyramid' needs embedDim divisible by 4, got ${embedDim}`);
  } else if (o.pyramidChannels !== null) {
    throw new ConfigError(`VisionTransformer: pyramidChannels is only used with outputMode 'pyramid' (got '${o.outputMode}')`);
  }
  if (o.pyramidChannels !== null && (!Number.isInteger(o.pyramidChannels) || o.pyramidChannels < 1)) {
    throw new ConfigError(`VisionTransformer: pyramidChannels must be a positive integer or null, got ${o.pyramidChannels}`);
  }
  if (!Number.isInteger(o.frozenStages) || o.frozenStages < -1 || o.frozenStages > depth) {
    throw new ConfigError(`VisionTransformer: frozenStages ${o.frozenStages} is outside [-1, ${depth}]`);
  }
  if (typeof o.withCp !== 'boolean') throw new ConfigError(`VisionTransformer: withCp must be true or false, got ${JSON.stringify(o.withCp)}`);
  return { ...o, embedDim, depth, numHeads, outIndices, posGrid, outputMode: o.outputMode as VitOutputMode };
}

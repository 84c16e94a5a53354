import type { ComponentSpec } from '../../registry/registry.js';
import type { BackboneContext } from '../../registry/registries.js';
import { VIT_DEFAULTS, VisionTransformer, type VisionTransformerOptions } from './vision_transformer.js';
import { RANGES } from '../../registry/options.js';

/** Registry entry of {@link VisionTransformer}. */
export const visionTransformerSpec: ComponentSpec<VisionTransformerOptions, VisionTransformer, BackboneContext> = {
  name: 'VisionTransformer',
  description: "plain ViT / DeiT backbone (timm names); 'featmap' stride-16 maps, 'tokens' for token heads, or ViTDet's 'pyramid' stage1..stage4",
  defaults: VIT_DEFAULTS,
  kinds: {
    arch: ['string', 'null'],
    embedDim: ['number', 'null'],
    depth: ['number', 'null'],
    numHeads: ['number', 'null'],
    imgSize: ['number', 'array'],
    pyramidChannels: ['number', 'null'],
  },
  ranges: {
    embedDim: RANGES.positiveInt,
    depth: RANGES.positiveInt,
    numHeads: RANGES.positiveInt,
    inChannels: RANGES.positiveInt,
    patchSize: RANGES.positiveInt,
    imgSize: RANGES.positiveInt,
    mlpRatio: RANGES.positive,
    dropRate: RANGES.ratio,
    attnDropRate: RANGES.ratio,
    dropPathRate: RANGES.ratio,
    outIndices: RANGES.integer,
    pyramidChannels: RANGES.positiveInt,
    frozenStages: { integer: true, min: -1 },
  },
  docs: {
    arch: "preset 'vit-tiny' | 'vit-small' | 'vit-base' | 'deit-tiny' | 'deit-small' | 'deit-base' (patch 16); explicit embedDim/depth/numHeads override it",
    embedDim: 'token width',
    depth: 'number of transformer blocks',
    numHeads: 'attention heads',
    inChannels: 'input image channels',
    patchSize: 'patch embedding size and stride (inputs are zero-padded at the bottom/right to multiples of it)',
    imgSize: 'image size (side or [h, w]) of the learned position embedding grid; other inputs resample it bicubically',
    mlpRatio: 'MLP hidden size relative to the token width',
    qkvBias: 'bias in the qkv projection',
    dropRate: 'dropout after the position embedding, in MLPs and after attention projections',
    attnDropRate: 'dropout on attention weights',
    dropPathRate: 'stochastic depth, linear from 0 (first block) to this (last block)',
    classToken: 'prepend a learned class token',
    distToken: "prepend DeiT's distillation token (after the class token)",
    outIndices: 'blocks whose outputs are returned (negative: from the end), increasing',
    finalNorm: "final LayerNorm 'norm' on the last block's output",
    outputMode: "'featmap' (stride-16 NHWC maps), 'tokens' ([B,1,T,C] for VisionTransformerClsHead) or 'pyramid' (ViTDet strides 4..32)",
    pyramidChannels: "'pyramid': width of every level after detectron2's 1x1+3x3 conv+LN projection (null: C/4, C/2, C, C, no projection)",
    frozenStages: '-1: none; 0: embeddings; k: embeddings and blocks 0..k-1 (k = depth: also the final norm)',
    withCp: 'activation checkpointing per block (mmdet with_cp): recompute block intermediates in backward to save memory',
  },
  build: (options) => new VisionTransformer(options),
};

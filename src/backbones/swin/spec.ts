import type { ComponentSpec } from '../../registry/registry.js';
import { RANGES } from '../../registry/options.js';
import type { BackboneContext } from '../../registry/registries.js';
import { SWIN_DEFAULTS, SwinTransformer, type SwinTransformerOptions } from './swin_transformer.js';

/** Registry entry of {@link SwinTransformer}. */
export const swinTransformerSpec: ComponentSpec<SwinTransformerOptions, SwinTransformer, BackboneContext> = {
  name: 'SwinTransformer',
  description: 'Hierarchical Swin Transformer backbone; outputs stage1..stage4 at strides 4, 8, 16, 32',
  defaults: SWIN_DEFAULTS,
  kinds: {
    arch: ['string', 'null'],
    embedDim: ['number', 'null'],
    depths: ['array', 'null'],
    numHeads: ['array', 'null'],
    qkScale: ['number', 'null'],
  },
  ranges: {
    embedDim: RANGES.positiveInt,
    depths: RANGES.positiveInt,
    numHeads: RANGES.positiveInt,
    inChannels: RANGES.positiveInt,
    patchSize: RANGES.positiveInt,
    windowSize: RANGES.positiveInt,
    mlpRatio: RANGES.positive,
    qkScale: RANGES.positive,
    dropRate: RANGES.ratio,
    attnDropRate: RANGES.ratio,
    dropPathRate: RANGES.ratio,
    pretrainImgSize: RANGES.positiveInt,
    outIndices: { integer: true, min: 0, max: 3 },
    frozenStages: { integer: true, min: -1, max: 4 },
  },
  docs: {
    arch: "preset 'tiny' | 'small' | 'base' | 'large'; explicit embedDim/depths/numHeads override it",
    embedDim: 'channels of stage 1, doubled per stage',
    depths: 'blocks per stage',
    numHeads: 'attention heads per stage',
    inChannels: 'input image channels',
    patchSize: 'patch embedding size and stride',
    windowSize: 'attention window side',
    mlpRatio: 'MLP hidden size relative to channels',
    qkvBias: 'bias in the qkv projection',
    qkScale: 'query scale (null: headDim^-0.5)',
    dropRate: 'dropout after position embedding, in MLPs and attention projections',
    attnDropRate: 'dropout on attention weights',
    dropPathRate: 'stochastic depth, linear from 0 over all blocks',
    useAbsPosEmbed: 'learned absolute position embedding',
    pretrainImgSize: 'image size of the absolute position embedding',
    patchNorm: 'LayerNorm after patch embedding',
    outIndices: 'stages whose (normalised) outputs are returned',
    frozenStages: '-1: none; 0: patch embedding; k: patch embedding and stages 1..k',
    withCp: 'activation checkpointing per block (mmdet with_cp): recompute block intermediates in backward to save memory',
  },
  build: (options) => new SwinTransformer(options),
};

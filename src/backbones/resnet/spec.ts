import type { ComponentSpec } from '../../registry/registry.js';
import type { BackboneContext } from '../../registry/registries.js';
import { RESNET_DEFAULTS, ResNet, type ResNetOptions } from './resnet.js';
import { RANGES } from '../../registry/options.js';

/** Registry entry of {@link ResNet}. */
export const resNetSpec: ComponentSpec<ResNetOptions, ResNet, BackboneContext> = {
  name: 'ResNet',
  description: 'torchvision ResNet-18/34/50/101/152 (v1.5) backbone; outputs stage1..stage4 at strides 4, 8, 16, 32',
  defaults: RESNET_DEFAULTS,
  kinds: {
    depth: ['number', 'null'],
    stemChannels: ['number', 'null'],
  },
  choices: { depth: [18, 34, 50, 101, 152] },
  ranges: {
    inChannels: RANGES.positiveInt,
    stemChannels: RANGES.positiveInt,
    baseChannels: RANGES.positiveInt,
    numStages: { integer: true, min: 1, max: 4 },
    outIndices: { integer: true, min: 0, max: 3 },
    frozenStages: { integer: true, min: -1, max: 4 },
  },
  required: ['depth'],
  docs: {
    depth: '18 | 34 | 50 | 101 | 152 (BasicBlock for 18/34, Bottleneck for 50/101/152); required',
    inChannels: 'input image channels',
    stemChannels: 'channels of the stem conv1 (null: baseChannels)',
    numStages: 'stages built (1..4)',
    baseChannels: 'planes of stage 1, doubled per stage (64 in torchvision; smaller only for tests and tiny models)',
    outIndices: 'stages (0-based) whose outputs are returned, in stage order',
    frozenStages: '-1: none; 0: stem conv1/bn1; k: stem and layer1..k (no gradients, eval mode)',
    normEval: 'keep every BatchNorm in eval mode while training (mmdet norm_eval; usual when fine-tuning detectors)',
    zeroInitResidual: 'zero-initialise the last BatchNorm scale of each residual block',
    withCp: 'activation checkpointing per residual block (mmdet with_cp): recompute intermediates in backward to save memory',
  },
  build: (options) => new ResNet(options),
};

/** The FCN decode head (mmseg 1.x `FCNHead`, `mmseg/models/decode_heads/fcn_head.py`). */
import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { ModuleList } from '../../nn/module.js';
import { ConvModule } from '../../nn/layers/conv_module.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HeadContext } from '../../registry/registries.js';
import {
  DECODE_HEAD_DEFAULTS,
  DECODE_HEAD_DOCS,
  DECODE_HEAD_KINDS,
  DECODE_HEAD_RANGES,
  BaseDecodeHead,
  resolveDecodeHead,
  withPath,
  type DecodeHeadCommonOptions,
  type DecodeHeadConfig,
  type DecodeHeadInit,
  type InputTransform,
} from './decode_head.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link FCNHead} beyond the shared ones. */
export interface FCNHeadExtraOptions {
  /** `null` (one input) or `'resize_concat'`. Default null. */
  inputTransform: Exclude<InputTransform, 'multiple_select'> | null;
  /** Number of ConvModules (0: identity, needs input channels = `channels`). Default 2 (configs use 1 for auxiliary heads). */
  numConvs: number;
  /** Kernel size of the convs (padding `⌊k/2⌋·dilation`). Default 3. */
  kernelSize: number;
  /** Concatenate the input with the convs' output and fuse it with `conv_cat`. Default true. */
  concatInput: boolean;
  /** Dilation of the convs (not of `conv_cat`). Default 1. */
  dilation: number;
}

/**
 * Fully convolutional head: `numConvs` k×k ConvModules, optionally `conv_cat` on
 * `[input, convs(input)]`, then the classifier. mmseg configs use it as the
 * auxiliary head of UPerNet (`numConvs: 1, concatInput: false, inIndex: 2`).
 *
 * Output: logits `[B, h, w, K]` at the input's resolution.
 *
 * State-dict names (mmseg): `convs.{i}.conv.*`, `convs.{i}.bn.*`, `conv_cat.*`, `conv_seg.*`.
 */
export class FCNHead extends BaseDecodeHead {
  /** The convs (empty with `numConvs` 0). */
  readonly convs: ModuleList<ConvModule>;
  /** Fusion of input and convs' output, or null. */
  readonly convCat: ConvModule | null;

  constructor(init: DecodeHeadInit, options: DecodeHeadCommonOptions & FCNHeadExtraOptions) {
    super(init, options, options.inputTransform);
    const { numConvs, kernelSize, dilation, normCfg, actCfg } = options;
    if (!Number.isInteger(numConvs) || numConvs < 0) throw new ConfigError(`FCNHead: numConvs must be a non-negative integer, got ${numConvs}`);
    if (!Number.isInteger(dilation) || dilation < 1) throw new ConfigError(`FCNHead: dilation must be a positive integer, got ${dilation}`);
    const inChannels = this.transformedChannels;
    if (numConvs === 0 && inChannels !== this.channels) {
      throw new ConfigError(`FCNHead: numConvs 0 needs input channels (${inChannels}) equal to channels (${this.channels})`);
    }
    const half = Math.floor(kernelSize / 2);
    this.convs = this.addModule('convs', new ModuleList<ConvModule>());
    for (let i = 0; i < numConvs; i++) {
      this.convs.push(new ConvModule(i === 0 ? inChannels : this.channels, this.channels, kernelSize, { padding: half * dilation, dilation, normCfg, actCfg }));
    }
    this.convCat = options.concatInput ? this.addModule('conv_cat', new ConvModule(inChannels + this.channels, this.channels, kernelSize, { padding: half, normCfg, actCfg })) : null;
  }

  protected forwardFeature(features: readonly tf.Tensor4D[]): tf.Tensor4D {
    const [x] = this.transformInputs(features);
    let feats = x;
    for (const conv of this.convs.items) feats = conv.forward(feats);
    if (this.convCat !== null) feats = this.convCat.forward(tf.concat([x, feats], 3)); // [B, h, w, C_in + channels]
    return feats;
  }
}

/** Config of {@link FCNHead}. */
export type FCNHeadConfig = DecodeHeadConfig & FCNHeadExtraOptions;

/** Registry entry of {@link FCNHead}. */
export const fcnHeadSpec: ComponentSpec<FCNHeadConfig, FCNHead, HeadContext> = {
  name: 'FCNHead',
  description: 'FCN decode head: k x k ConvModules (+ conv_cat on the input); the usual auxiliary head (mmseg)',
  defaults: { ...DECODE_HEAD_DEFAULTS, inputTransform: null, numConvs: 2, kernelSize: 3, concatInput: true, dilation: 1 },
  children: { lossDecode: { registry: 'losses', list: 'either' } },
  kinds: { ...DECODE_HEAD_KINDS, inputTransform: ['string', 'null'] },
  ranges: { ...DECODE_HEAD_RANGES, numConvs: RANGES.nonNegativeInt, kernelSize: RANGES.positiveInt, dilation: RANGES.positiveInt },
  required: ['channels'],
  docs: {
    ...DECODE_HEAD_DOCS,
    inputTransform: "null (one input) or 'resize_concat' (selected inputs resized to the first and concatenated)",
    numConvs: 'number of ConvModules (auxiliary heads: 1)',
    kernelSize: 'kernel size of the convs',
    concatInput: 'fuse [input, convs(input)] with conv_cat',
    dilation: 'dilation of the convs',
  },
  build(options, context, path) {
    if (options.inputTransform !== null && options.inputTransform !== 'resize_concat') {
      throw new ConfigError(`${path}.inputTransform: FCNHead supports null or 'resize_concat', got '${String(options.inputTransform)}'`);
    }
    const { init, common } = resolveDecodeHead(options, context, path);
    const { inputTransform, numConvs, kernelSize, concatInput, dilation } = options;
    return withPath(path, () => new FCNHead(init, { ...common, inputTransform, numConvs, kernelSize, concatInput, dilation }));
  },
};

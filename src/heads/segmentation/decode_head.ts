/**
 * The base of semantic-segmentation decode heads, after mmsegmentation 1.x's
 * `BaseDecodeHead` (`mmseg/models/decode_heads/decode_head.py`): input selection
 * and transform, channel dropout + `conv_seg` classifier, and the training losses
 * on logits upsampled to the label size.
 */
import { tf } from '../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../core/errors.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { initConv, parseActCfg, parseNormCfg, type ActCfg, type NormCfg } from '../../nn/layers/conv_module.js';
import { resizeBilinear } from '../../nn/functional/resize.js';
import { RANGES, type ComponentConfig, type NumberRange, type ValueKind } from '../../registry/options.js';
import { LOSSES, type HeadContext } from '../../registry/registries.js';
import { asLogitLoss, type LogitLoss } from '../../losses/loss.js';
import { Dropout2d } from './dropout2d.js';
import { resolveHeadNumClasses } from '../num_classes.js';

/**
 * How the selected inputs are handed to the head: `null` — a single map;
 * `'resize_concat'` — all selected maps bilinearly resized to the first one's size and
 * concatenated along channels; `'multiple_select'` — the list of selected maps.
 */
export type InputTransform = 'resize_concat' | 'multiple_select';

/** A loss a decode head applies: any {@link LogitLoss} taking `'pixels'` targets (logits `[B, H, W, K]`, labels `[B, H, W]`). */
export type SegLoss = LogitLoss;

/** Named scalar loss terms returned by {@link DecodeHead.loss}. */
export type SegLossDict = Record<string, tf.Scalar>;

/**
 * The contract between a segmentor (`EncoderDecoder`) and its decode and
 * auxiliary heads. {@link BaseDecodeHead} implements it as mmseg does; any
 * module with these members plugs in by config.
 */
export interface DecodeHead extends Module {
  /** Discriminates decode heads among the `HEADS` registry's components. */
  readonly headKind: 'segmentation';
  /** Number of classes `K`. */
  readonly numClasses: number;
  /** `align_corners` of the head's resizes (the segmentor's resizes of its logits follow it). */
  readonly alignCorners: boolean;
  /**
   * @param features every map the head was built for (its `HeadContext.inputs`), NHWC, in order.
   * @returns logits `[B, h, w, K]` (any resolution; the segmentor resizes them).
   */
  forward(features: readonly tf.Tensor4D[]): tf.Tensor4D;
  /** Logits resized to `size`, `[B, H, W, K]`. */
  predict(features: readonly tf.Tensor4D[], size: readonly [number, number]): tf.Tensor4D;
  /**
   * @param logits `[B, h, w, K]` from {@link forward}; @param labels `[B, H, W]` int32.
   * @param prefix prepended to every key (`'decode.'`, `'aux.'`).
   * @returns named scalar terms.
   */
  loss(logits: tf.Tensor4D, labels: tf.Tensor3D, prefix?: string): SegLossDict;
}

/** Whether a built head is a {@link DecodeHead} (checked by its declared members, not its class). */
export function isDecodeHead(head: Module): head is DecodeHead {
  const h = head as unknown as Partial<DecodeHead>;
  return h.headKind === 'segmentation' && typeof h.forward === 'function' && typeof h.loss === 'function' && typeof h.predict === 'function';
}

/** Options shared by every decode head (mmseg's `BaseDecodeHead` arguments, resolved). */
export interface DecodeHeadCommonOptions {
  /** Input feature(s) by name (e.g. `'stage3'` or `['stage1', ..., 'stage4']`); exclusive with `inIndex`. Default null. */
  inFeatures: string | string[] | null;
  /**
   * Input feature(s) by index into the head's inputs (negative counts from the end);
   * exclusive with `inFeatures`. With neither, single-input heads take the last input
   * (mmseg's `in_index=-1`) and multi-input heads all inputs. Default null.
   */
  inIndex: number | number[] | null;
  /** Channels of the head's inner layers, before `conv_seg`. Required. */
  channels: number;
  /** Channel-dropout probability before `conv_seg` (mmseg's `Dropout2d`; 0 disables). Default 0.1. */
  dropoutRatio: number;
  /** Normalisation of the head's ConvModules, or null. Default null. */
  normCfg: NormCfg | null;
  /** Activation of the head's ConvModules, or null. Default `{type: 'ReLU'}`. */
  actCfg: ActCfg | null;
  /** `align_corners` of every bilinear resize in the head and its loss. Default false. */
  alignCorners: boolean;
  /** Label value excluded from the cross-entropy loss, or null. Default 255. */
  ignoreIndex: number | null;
}

/** What a decode head is built from besides its options. */
export interface DecodeHeadInit {
  /** Specs of the maps the head receives (backbone or neck outputs), in order. */
  inputs: readonly FeatureSpec[];
  /** Number of classes `K` (channels of the logits). */
  numClasses: number;
  /** The losses of {@link DecodeHead.loss}; terms with equal names are summed. */
  losses: readonly SegLoss[];
}

/**
 * Resolves the selected input indices.
 * @throws ConfigError on unknown names, out-of-range indices, both selectors given,
 *   or several inputs without an input transform.
 */
export function selectInputIndices(inputs: readonly FeatureSpec[], inFeatures: string | string[] | null, inIndex: number | number[] | null, transform: InputTransform | null, owner: string): number[] {
  if (inputs.length === 0) throw new ConfigError(`${owner}: no input features`);
  if (inFeatures !== null && inIndex !== null) throw new ConfigError(`${owner}: give inFeatures or inIndex, not both`);
  let indices: number[];
  let single: boolean;
  if (inFeatures !== null) {
    single = typeof inFeatures === 'string';
    indices = (typeof inFeatures === 'string' ? [inFeatures] : inFeatures).map((name) => {
      const i = inputs.findIndex((s) => s.name === name);
      if (i < 0) throw new ConfigError(`${owner}: input feature '${name}' is not among the inputs (${inputs.map((s) => s.name).join(', ')})`);
      return i;
    });
  } else if (inIndex !== null) {
    single = typeof inIndex === 'number';
    indices = (typeof inIndex === 'number' ? [inIndex] : inIndex).map((i) => {
      const j = i < 0 ? inputs.length + i : i;
      if (!Number.isInteger(j) || j < 0 || j >= inputs.length) {
        throw new ConfigError(`${owner}: inIndex ${i} out of range for ${inputs.length} inputs (${inputs.map((s) => s.name).join(', ')})`);
      }
      return j;
    });
  } else {
    single = transform === null;
    indices = transform === null ? [inputs.length - 1] : inputs.map((_, i) => i);
  }
  if (indices.length === 0) throw new ConfigError(`${owner}: no input selected`);
  if (transform === null && (!single || indices.length !== 1)) {
    throw new ConfigError(`${owner}: several inputs selected but inputTransform is null (use 'resize_concat' or 'multiple_select')`);
  }
  return indices;
}

/**
 * Base class of decode heads.
 *
 * Subclasses implement {@link forwardFeature} (mmseg's `_forward_feature`); the base
 * applies channel dropout and `conv_seg` (1×1 conv `channels → K`, names
 * `conv_seg.weight` `[K, channels, 1, 1]` / `conv_seg.bias` `[K]`, initialised
 * normal(0, 0.01) / 0 as mmseg's `init_cfg`).
 */
export abstract class BaseDecodeHead extends Module implements DecodeHead {
  readonly headKind = 'segmentation' as const;
  /** Indices of the selected inputs. */
  readonly inIndices: readonly number[];
  /** Specs of the selected inputs. */
  readonly selectedInputs: readonly FeatureSpec[];
  /** Input transform. */
  readonly inputTransform: InputTransform | null;
  /** Number of classes `K`. */
  readonly numClasses: number;
  /** Inner channels. */
  readonly channels: number;
  /** Shared options. */
  readonly common: DecodeHeadCommonOptions;
  /** Losses, in order. */
  readonly losses: readonly SegLoss[];
  /** The classifier. */
  readonly convSeg: Conv2d;
  /** Channel dropout before the classifier, or null. */
  readonly dropout: Dropout2d | null;

  /** `common.alignCorners`. */
  get alignCorners(): boolean {
    return this.common.alignCorners;
  }

  protected constructor(init: DecodeHeadInit, common: DecodeHeadCommonOptions, inputTransform: InputTransform | null) {
    super();
    const owner = this.constructor.name;
    if (!Number.isInteger(common.channels) || common.channels < 1) throw new ConfigError(`${owner}: channels must be a positive integer, got ${common.channels}`);
    if (!Number.isInteger(init.numClasses) || init.numClasses < 1) throw new ConfigError(`${owner}: numClasses must be a positive integer, got ${init.numClasses}`);
    if (init.losses.length === 0) throw new ConfigError(`${owner}: no loss given`);
    this.inIndices = selectInputIndices(init.inputs, common.inFeatures, common.inIndex, inputTransform, owner);
    this.selectedInputs = this.inIndices.map((i) => init.inputs[i]);
    this.inputTransform = inputTransform;
    this.numClasses = init.numClasses;
    this.channels = common.channels;
    this.common = common;
    this.losses = init.losses;
    this.convSeg = this.addModule('conv_seg', new Conv2d(common.channels, init.numClasses, 1));
    initConv(this.convSeg, { normalStd: 0.01 });
    this.dropout = common.dropoutRatio > 0 ? this.addModule('dropout', new Dropout2d(common.dropoutRatio)) : null;
  }

  /**
   * Channels of the transformed input for single-map modes: the selected map's
   * channels, or their sum with `'resize_concat'`.
   */
  protected get transformedChannels(): number {
    return this.selectedInputs.reduce((sum, s) => sum + s.channels, 0);
  }

  /**
   * mmseg's `_transform_inputs`: one map (`null`), one concatenated map
   * (`'resize_concat'`, `[B, H_0, W_0, ΣC]`), or the list of selected maps.
   */
  protected transformInputs(features: readonly tf.Tensor4D[]): tf.Tensor4D[] {
    const selected = this.inIndices.map((i, j) => {
      const f = features[i];
      const spec = this.selectedInputs[j];
      if (f === undefined || f.rank !== 4 || f.shape[3] !== spec.channels) {
        throw new ShapeError(`${this.constructor.name}: input ${i} (${spec.name}) should be NHWC with ${spec.channels} channels, got ${f === undefined ? 'nothing' : formatShape(f.shape)}`);
      }
      return f;
    });
    if (this.inputTransform !== 'resize_concat') return selected;
    const size: [number, number] = [selected[0].shape[1], selected[0].shape[2]];
    return [
      tf.concat(
        selected.map((x) => resizeBilinear(x, size, this.common.alignCorners)),
        3,
      ),
    ]; // [B, H_0, W_0, ΣC]
  }

  /** The head's features before the classifier, `[B, h, w, channels]`. */
  protected abstract forwardFeature(features: readonly tf.Tensor4D[]): tf.Tensor4D;

  /** mmseg's `cls_seg`: dropout, then `conv_seg`. `[B, h, w, channels]` → `[B, h, w, K]`. */
  protected clsSeg(feat: tf.Tensor4D): tf.Tensor4D {
    return this.convSeg.forward(this.dropout === null ? feat : this.dropout.forward(feat));
  }

  /**
   * @param features the maps declared by the head's inputs (all of them, in order).
   * @returns logits `[B, h, w, K]` at the resolution of the head's finest selected input.
   */
  forward(features: readonly tf.Tensor4D[]): tf.Tensor4D {
    return tf.tidy(() => this.clsSeg(this.forwardFeature(features)));
  }

  /** Logits bilinearly resized to `size` (mmseg's `predict_by_feat`). `[B, H, W, K]`. */
  predict(features: readonly tf.Tensor4D[], size: readonly [number, number]): tf.Tensor4D {
    return tf.tidy(() => resizeBilinear(this.forward(features), size, this.common.alignCorners));
  }

  /**
   * mmseg's `loss_by_feat`: the logits are bilinearly resized to the label size
   * (`alignCorners`), then every loss is applied; terms with the same name are summed.
   * Every loss is called with `{ignoreIndex}`: cross-entropy skips those pixels (averaging
   * over the others); Dice uses its own `ignoreIndex` option instead, as in mmseg.
   *
   * Keys are `prefix + lossName` (`loss_ce`, `loss_dice`, ...). A segmentor passes
   * `'decode.'` for its decode head and `'aux.'` (or `'aux{i}.'` for several) for its
   * auxiliary heads, as mmseg's `EncoderDecoder` does (`decode.loss_ce`, `aux.loss_ce`).
   *
   * @param logits `[B, h, w, K]` from {@link forward}.
   * @param labels `[B, H, W]` int32 class indices.
   */
  loss(logits: tf.Tensor4D, labels: tf.Tensor3D, prefix = ''): SegLossDict {
    const [b, , , k] = logits.shape;
    if (labels.rank !== 3 || labels.shape[0] !== b) {
      throw new ShapeError(`${this.constructor.name}.loss: labels ${formatShape(labels.shape)} do not fit logits ${formatShape(logits.shape)} (expected [B, H, W])`);
    }
    const [, h, w] = labels.shape;
    return tf.tidy(() => {
      const resized = resizeBilinear(logits, [h, w], this.common.alignCorners); // [B, H, W, K]
      const intLabels = labels.cast('int32') as tf.Tensor3D;
      const out: SegLossDict = {};
      for (const lossFn of this.losses) {
        const value = lossFn.forward(resized, intLabels, { ignoreIndex: this.common.ignoreIndex });
        const key = `${prefix}${lossFn.name}`;
        const previous = out[key];
        out[key] = previous === undefined ? value : (previous.add(value) as tf.Scalar);
      }
      return out;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Config side: shared defaults, kinds and docs of the head specs, and their resolution.

/** Config form of {@link DecodeHeadCommonOptions}: `numClasses`, `channels` and losses unresolved. */
export interface DecodeHeadConfig extends Omit<DecodeHeadCommonOptions, 'channels'> {
  /** Number of classes; null takes it from the dataset. Default null. */
  numClasses: number | null;
  /** Inner channels. Required. */
  channels: number | null;
  /** A loss config (`CrossEntropyLoss` / `DiceLoss`) or a list of them. Default `{type: 'CrossEntropyLoss'}`. */
  lossDecode: ComponentConfig | ComponentConfig[];
}

/** Defaults of {@link DecodeHeadConfig}. */
export const DECODE_HEAD_DEFAULTS: DecodeHeadConfig = {
  numClasses: null,
  inFeatures: null,
  inIndex: null,
  channels: null,
  dropoutRatio: 0.1,
  normCfg: null,
  actCfg: { type: 'ReLU' },
  alignCorners: false,
  ignoreIndex: 255,
  lossDecode: { type: 'CrossEntropyLoss' },
};

/** Value kinds of {@link DecodeHeadConfig} options whose defaults do not tell. */
export const DECODE_HEAD_KINDS: { [K in keyof DecodeHeadConfig]?: ValueKind[] } = {
  numClasses: ['number', 'null'],
  inFeatures: ['string', 'array', 'null'],
  inIndex: ['number', 'array', 'null'],
  channels: ['number', 'null'],
  normCfg: ['object', 'null'],
  actCfg: ['object', 'null'],
  ignoreIndex: ['number', 'null'],
  lossDecode: ['object', 'array'],
};

/** Ranges of {@link DecodeHeadConfig} numbers (checked at load time). */
export const DECODE_HEAD_RANGES: { [K in keyof DecodeHeadConfig]?: NumberRange } = {
  numClasses: RANGES.positiveInt,
  inIndex: RANGES.integer,
  channels: RANGES.positiveInt,
  dropoutRatio: RANGES.ratio,
  ignoreIndex: RANGES.integer,
};

/** One-line docs of {@link DecodeHeadConfig}. */
export const DECODE_HEAD_DOCS: { [K in keyof DecodeHeadConfig]?: string } = {
  numClasses: 'number of classes (null: from the dataset)',
  inFeatures: 'input feature name(s); exclusive with inIndex',
  inIndex: 'input index/indices (negative from the end); default: last input, or all for multi-input heads',
  channels: 'channels of the inner layers',
  dropoutRatio: 'channel dropout before conv_seg (0: none)',
  normCfg: "null or {type: 'BN' | 'SyncBN' | 'GN', numGroups?, eps?, momentum?, requiresGrad?}",
  actCfg: "null or {type: 'ReLU'}",
  alignCorners: 'align_corners of bilinear resizes',
  ignoreIndex: 'label value ignored by the cross-entropy loss',
  lossDecode: "a loss config or a list (CrossEntropyLoss, DiceLoss); terms 'loss_ce', 'loss_dice'",
};

/** Builds the losses of a head config. */
export function buildSegLosses(lossDecode: ComponentConfig | ComponentConfig[], path: string): SegLoss[] {
  const configs = Array.isArray(lossDecode) ? lossDecode : [lossDecode];
  if (configs.length === 0) throw new ConfigError(`${path}: empty loss list`);
  return configs.map((cfg, i) => {
    const where = Array.isArray(lossDecode) ? `${path}.${i}` : path;
    return asLogitLoss(LOSSES.build(cfg, {}, where), 'pixels', where, 'a decode head');
  });
}

/**
 * Resolves the shared part of a head config: classes (option or dataset), losses,
 * norm/act configs and the required `channels`.
 * @throws ConfigError naming the option's path.
 */
export function resolveDecodeHead(options: DecodeHeadConfig, context: HeadContext, path: string): { init: DecodeHeadInit; common: DecodeHeadCommonOptions } {
  const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
  if (options.channels === null) throw new ConfigError(`Missing required option 'channels' at ${path}.channels`);
  const losses = buildSegLosses(options.lossDecode, `${path}.lossDecode`);
  const common: DecodeHeadCommonOptions = {
    inFeatures: options.inFeatures,
    inIndex: options.inIndex,
    channels: options.channels,
    dropoutRatio: options.dropoutRatio,
    normCfg: parseNormCfg(options.normCfg, `${path}.normCfg`),
    actCfg: parseActCfg(options.actCfg, `${path}.actCfg`),
    alignCorners: options.alignCorners,
    ignoreIndex: options.ignoreIndex,
  };
  return { init: { inputs: context.inputs, numClasses, losses }, common };
}

/** Re-throws a construction ConfigError with the config path in front. */
export function withPath<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
  }
}

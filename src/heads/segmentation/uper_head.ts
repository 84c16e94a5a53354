/** UPerNet's decode head (mmseg 1.x `UPerHead`, `mmseg/models/decode_heads/uper_head.py`). */
import { tf } from '../../core/tf.js';
import { ModuleList } from '../../nn/module.js';
import { ConvModule } from '../../nn/layers/conv_module.js';
import { resizeBilinear } from '../../nn/functional/resize.js';
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
} from './decode_head.js';
import { PPM } from './ppm.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link UPerHead} beyond the shared ones. */
export interface UPerHeadExtraOptions {
  /** Output sizes of the pyramid pooling branches on the coarsest input. Default `[1, 2, 3, 6]`. */
  poolScales: number[];
}

/**
 * Unified Perceptual Parsing head (UPerNet), input transform `'multiple_select'`
 * (by default every input, finest first).
 *
 * On the coarsest selected map: PPM (pool to each scale, 1×1 ConvModule, upsample)
 * concatenated with the map, then the 3×3 `bottleneck`. Each finer map gets a 1×1
 * lateral ConvModule; a top-down pass adds the bilinearly upsampled coarser lateral;
 * 3×3 `fpn_convs` follow (not on the PPM level); all levels are upsampled to the finest
 * one, concatenated, and fused by the 3×3 `fpn_bottleneck`, then classified.
 *
 * Output: logits `[B, H_0, W_0, K]` at the finest selected input's resolution.
 *
 * State-dict names (mmseg): `psp_modules.{i}.1.conv.*`, `bottleneck.*`,
 * `lateral_convs.{i}.*`, `fpn_convs.{i}.*`, `fpn_bottleneck.*`, `conv_seg.*`.
 */
export class UPerHead extends BaseDecodeHead {
  readonly pspModules: PPM;
  readonly bottleneck: ConvModule;
  readonly lateralConvs: ModuleList<ConvModule>;
  readonly fpnConvs: ModuleList<ConvModule>;
  readonly fpnBottleneck: ConvModule;

  constructor(init: DecodeHeadInit, options: DecodeHeadCommonOptions & UPerHeadExtraOptions) {
    super(init, options, 'multiple_select');
    const { normCfg, actCfg, alignCorners } = options;
    const channels = this.channels;
    const inChannels = this.selectedInputs.map((s) => s.channels);
    const top = inChannels[inChannels.length - 1];
    this.pspModules = this.addModule('psp_modules', new PPM(options.poolScales, top, channels, normCfg, actCfg, alignCorners));
    this.bottleneck = this.addModule('bottleneck', new ConvModule(top + options.poolScales.length * channels, channels, 3, { padding: 1, normCfg, actCfg }));
    this.lateralConvs = this.addModule('lateral_convs', new ModuleList<ConvModule>());
    this.fpnConvs = this.addModule('fpn_convs', new ModuleList<ConvModule>());
    for (const c of inChannels.slice(0, -1)) {
      this.lateralConvs.push(new ConvModule(c, channels, 1, { normCfg, actCfg }));
      this.fpnConvs.push(new ConvModule(channels, channels, 3, { padding: 1, normCfg, actCfg }));
    }
    this.fpnBottleneck = this.addModule('fpn_bottleneck', new ConvModule(inChannels.length * channels, channels, 3, { padding: 1, normCfg, actCfg }));
  }

  /** PPM on the coarsest map, concatenated with it, then `bottleneck`. `[B, h, w, channels]`. */
  private pspForward(x: tf.Tensor4D): tf.Tensor4D {
    const pooled = [x, ...this.pspModules.forward(x)];
    return this.bottleneck.forward(tf.concat(pooled, 3)); // concat: [B, h, w, C + S*channels]
  }

  protected forwardFeature(features: readonly tf.Tensor4D[]): tf.Tensor4D {
    const inputs = this.transformInputs(features);
    const align = this.common.alignCorners;
    const laterals = this.lateralConvs.items.map((conv, i) => conv.forward(inputs[i]));
    laterals.push(this.pspForward(inputs[inputs.length - 1]));
    const used = laterals.length;
    for (let i = used - 1; i > 0; i--) {
      const size: [number, number] = [laterals[i - 1].shape[1], laterals[i - 1].shape[2]];
      laterals[i - 1] = laterals[i - 1].add(resizeBilinear(laterals[i], size, align));
    }
    const outs = laterals.slice(0, used - 1).map((lat, i) => this.fpnConvs.items[i].forward(lat));
    outs.push(laterals[used - 1]);
    const size: [number, number] = [outs[0].shape[1], outs[0].shape[2]];
    for (let i = used - 1; i > 0; i--) outs[i] = resizeBilinear(outs[i], size, align);
    return this.fpnBottleneck.forward(tf.concat(outs, 3)); // concat: [B, H_0, W_0, L*channels]
  }
}

/** Config of {@link UPerHead} (the input transform is always `'multiple_select'`). */
export type UPerHeadConfig = DecodeHeadConfig & UPerHeadExtraOptions;

/** Registry entry of {@link UPerHead}. */
export const uperHeadSpec: ComponentSpec<UPerHeadConfig, UPerHead, HeadContext> = {
  name: 'UPerHead',
  description: 'UPerNet decode head: PPM on the coarsest input + FPN fusion of all inputs (mmseg)',
  defaults: { ...DECODE_HEAD_DEFAULTS, poolScales: [1, 2, 3, 6] },
  children: { lossDecode: { registry: 'losses', list: 'either' } },
  kinds: { ...DECODE_HEAD_KINDS },
  ranges: { ...DECODE_HEAD_RANGES, poolScales: RANGES.positiveInt },
  required: ['channels'],
  docs: { ...DECODE_HEAD_DOCS, poolScales: 'output sizes of the pyramid pooling branches' },
  build(options, context, path) {
    const { init, common } = resolveDecodeHead(options, context, path);
    return withPath(path, () => new UPerHead(init, { ...common, poolScales: options.poolScales }));
  },
};

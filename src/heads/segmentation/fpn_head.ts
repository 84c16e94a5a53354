/** The Semantic FPN decode head (mmseg 1.x `FPNHead`, `mmseg/models/decode_heads/fpn_head.py`). */
import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Module, ModuleList } from '../../nn/module.js';
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
import { RANGES } from '../../registry/options.js';

/**
 * mmseg's `Upsample(scale_factor, mode='bilinear')` as a module (no parameters):
 * bilinear resize to `⌊H·s⌋ × ⌊W·s⌋`.
 */
export class Upsample extends Module {
  constructor(
    readonly scaleFactor: number,
    readonly alignCorners: boolean,
  ) {
    super();
  }

  /** `[B, H, W, C]` → `[B, ⌊H·s⌋, ⌊W·s⌋, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const s = this.scaleFactor;
    return resizeBilinear(x, [Math.floor(x.shape[1] * s), Math.floor(x.shape[2] * s)], this.alignCorners);
  }
}

/** Options of {@link FPNHead} beyond the shared ones. */
export interface FPNHeadExtraOptions {
  /**
   * Strides of the selected inputs, finest first (powers of 2); null takes them from
   * the input specs. Default null.
   */
  featureStrides: number[] | null;
}

/**
 * Semantic FPN head (Panoptic FPN's semantic branch) over FPN outputs, input
 * transform `'multiple_select'` (by default every input).
 *
 * For input i with stride s_i, a scale head of `max(1, log2(s_i/s_0))` 3×3
 * ConvModules, each followed by a ×2 bilinear upsampling when s_i ≠ s_0; the scale
 * heads' outputs are summed after resizing to the first one's size, then classified.
 *
 * Output: logits `[B, H_0, W_0, K]` at the finest input's resolution.
 *
 * State-dict names (mmseg's `nn.Sequential` indices, upsamplers included):
 * `scale_heads.{i}.{j}.conv.*` with j = 0, 2, 4, … (j = 0 only for the finest input), `conv_seg.*`.
 */
export class FPNHead extends BaseDecodeHead {
  /** Per input: the sequence of ConvModules and Upsamples. */
  readonly scaleHeads: ModuleList<ModuleList<ConvModule | Upsample>>;
  /** Strides used to size the scale heads. */
  readonly featureStrides: readonly number[];

  constructor(init: DecodeHeadInit, options: DecodeHeadCommonOptions & FPNHeadExtraOptions) {
    super(init, options, 'multiple_select');
    const strides = options.featureStrides ?? this.selectedInputs.map((s) => s.stride);
    if (strides.length !== this.selectedInputs.length) {
      throw new ConfigError(`FPNHead: ${strides.length} featureStrides for ${this.selectedInputs.length} inputs`);
    }
    if (Math.min(...strides) !== strides[0]) throw new ConfigError(`FPNHead: the first input must have the smallest stride, got [${strides.join(', ')}]`);
    this.featureStrides = strides;
    const { normCfg, actCfg, alignCorners } = options;
    this.scaleHeads = this.addModule('scale_heads', new ModuleList<ModuleList<ConvModule | Upsample>>());
    strides.forEach((stride, i) => {
      const length = Math.max(1, Math.trunc(Math.log2(stride) - Math.log2(strides[0])));
      const seq = new ModuleList<ConvModule | Upsample>();
      for (let k = 0; k < length; k++) {
        seq.push(new ConvModule(k === 0 ? this.selectedInputs[i].channels : this.channels, this.channels, 3, { padding: 1, normCfg, actCfg }));
        if (stride !== strides[0]) seq.push(new Upsample(2, alignCorners));
      }
      this.scaleHeads.push(seq);
    });
  }

  protected forwardFeature(features: readonly tf.Tensor4D[]): tf.Tensor4D {
    const x = this.transformInputs(features);
    const run = (i: number): tf.Tensor4D => this.scaleHeads.items[i].items.reduce((y, m) => m.forward(y), x[i]);
    let output = run(0);
    const size: [number, number] = [output.shape[1], output.shape[2]];
    for (let i = 1; i < x.length; i++) output = output.add(resizeBilinear(run(i), size, this.common.alignCorners));
    return output;
  }
}

/** Config of {@link FPNHead} (the input transform is always `'multiple_select'`). */
export type FPNHeadConfig = DecodeHeadConfig & FPNHeadExtraOptions;

/** Registry entry of {@link FPNHead}. */
export const fpnHeadSpec: ComponentSpec<FPNHeadConfig, FPNHead, HeadContext> = {
  name: 'FPNHead',
  description: 'Semantic FPN decode head over FPN outputs: per-level conv + x2 upsampling stacks, summed (mmseg)',
  defaults: { ...DECODE_HEAD_DEFAULTS, featureStrides: null },
  children: { lossDecode: { registry: 'losses', list: 'either' } },
  kinds: { ...DECODE_HEAD_KINDS, featureStrides: ['array', 'null'] },
  ranges: { ...DECODE_HEAD_RANGES, featureStrides: RANGES.positiveInt },
  required: ['channels'],
  docs: { ...DECODE_HEAD_DOCS, featureStrides: 'strides of the selected inputs (null: from the input specs)' },
  build(options, context, path) {
    const { init, common } = resolveDecodeHead(options, context, path);
    return withPath(path, () => new FPNHead(init, { ...common, featureStrides: options.featureStrides }));
  },
};

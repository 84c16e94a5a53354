/**
 * mmdetection 3.x's Feature Pyramid Network (`mmdet/models/necks/fpn.py`), over
 * NHWC maps, built from the declared specs of its inputs.
 */
import { RANGES } from '../registry/options.js';
import { tf } from '../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../core/errors.js';
import type { FeatureSpec } from '../backbones/backbone.js';
import type { ComponentSpec } from '../registry/registry.js';
import { ModuleList } from '../nn/module.js';
import { ConvModule, initConv, parseActCfg, parseNormCfg, type ActCfg, type NormCfg } from '../nn/layers/conv_module.js';
import { resizeBilinear, resizeNearest, resizeNearestScale } from '../nn/functional/resize.js';
import { Neck, type NeckContext } from './neck.js';

/** Where the extra (stride-2 conv) levels of {@link FPN} take their input. */
export type ExtraConvsSource = 'on_input' | 'on_lateral' | 'on_output';

/** Upsampling of the top-down path (mmdet's `upsample_cfg`, passed to `F.interpolate`). */
export interface FpnUpsampleCfg {
  /** Interpolation mode. Default `'nearest'`. */
  mode: 'nearest' | 'bilinear';
  /**
   * Fixed scale factor (mmdet's `scale_factor`, e.g. 2); `null` resizes to the size of
   * the next finer lateral (mmdet's default). Default `null`.
   */
  scaleFactor?: number | null;
  /** `align_corners` for bilinear mode. Default `false`. */
  alignCorners?: boolean;
}

/** Options of {@link FPN} (mmdet's arguments in camelCase; input channels come from the input specs). */
export interface FPNOptions {
  /** Channels of every output level. Required. */
  outChannels: number;
  /** Number of output levels; `null` means one per used input level (no extra level). Default `null`. */
  numOuts: number | null;
  /** First input level used. Default 0. */
  startLevel: number;
  /**
   * Last input level used, inclusive (mmdet 3.x); `-1` means the last input. Extra
   * levels are only allowed when the last input is used. Default −1.
   */
  endLevel: number;
  /**
   * Extra levels beyond the used inputs: `false` → stride-2 subsampling of the last
   * output (`max_pool2d(kernel 1, stride 2)`); `true` ≡ `'on_input'`; or a stride-2
   * 3×3 conv on the last used input (`'on_input'`), last lateral (`'on_lateral'`) or
   * last output (`'on_output'`), each further level convolving the previous one. Default `false`.
   */
  addExtraConvs: boolean | ExtraConvsSource;
  /** ReLU before the second and later extra convs. Default `false`. */
  reluBeforeExtraConvs: boolean;
  /** No normalisation in the lateral 1×1 convs. Default `false`. */
  noNormOnLateral: boolean;
  /** Normalisation of every ConvModule, or `null`. Default `null`. */
  normCfg: NormCfg | null;
  /** Activation of every ConvModule, or `null` (mmdet's default). Default `null`. */
  actCfg: ActCfg | null;
  /** Top-down upsampling. Default `{mode: 'nearest'}` (size-matched). */
  upsampleCfg: FpnUpsampleCfg;
}

/** Defaults of {@link FPNOptions} except `outChannels`, which must be given. */
export const FPN_DEFAULTS: Omit<FPNOptions, 'outChannels'> = {
  numOuts: null,
  startLevel: 0,
  endLevel: -1,
  addExtraConvs: false,
  reluBeforeExtraConvs: false,
  noNormOnLateral: false,
  normCfg: null,
  actCfg: null,
  upsampleCfg: { mode: 'nearest', scaleFactor: null, alignCorners: false },
};

/** Output name of a level of stride `stride`: `p{log2(stride)}` (`p2` … `p7`). */
export function pyramidLevelName(stride: number): string {
  const level = Math.log2(stride);
  return Number.isInteger(level) ? `p${level}` : `p_s${stride}`;
}

/**
 * Feature Pyramid Network (mmdet 3.x).
 *
 * Inputs: the maps declared by `inputs` (`[B, H_i, W_i, C_i]`). Outputs
 * ({@link outputSpecs}): `numOuts` maps `[B, H_l, W_l, outChannels]`, first the used
 * input levels `startLevel..endLevel` (same strides, named `p{log2 stride}`), then
 * the extra levels, each at twice the previous stride and `⌈H/2⌉ × ⌈W/2⌉`.
 *
 * State-dict names (mmdet): `lateral_convs.{i}.conv.*` (1×1) and `fpn_convs.{i}.conv.*`
 * (3×3; indices after the used levels are the extra stride-2 convs), plus `.bn.*`/`.gn.*`
 * with a norm. Conv weights are initialised Xavier-uniform, biases 0 (mmdet's `init_cfg`).
 */
export class FPN extends Neck {
  readonly outputSpecs: readonly FeatureSpec[];
  /** 1×1 lateral convs of the used input levels. */
  readonly lateralConvs: ModuleList<ConvModule>;
  /** 3×3 output convs, then the extra stride-2 convs. */
  readonly fpnConvs: ModuleList<ConvModule>;
  /** One past the last used input level. */
  readonly backboneEndLevel: number;
  /** Resolved extra-level source (`false`: subsampling). */
  readonly extraSource: ExtraConvsSource | false;
  /** Number of output levels. */
  readonly numOuts: number;

  constructor(
    readonly inputs: readonly FeatureSpec[],
    readonly options: FPNOptions,
  ) {
    super();
    const numIns = inputs.length;
    const { outChannels, startLevel, endLevel } = options;
    if (!Number.isInteger(outChannels) || outChannels < 1) throw new ConfigError(`FPN: outChannels must be a positive integer, got ${outChannels}`);
    if (numIns === 0) throw new ConfigError('FPN: no input features');
    if (!Number.isInteger(startLevel) || startLevel < 0 || startLevel >= numIns) {
      throw new ConfigError(`FPN: startLevel ${startLevel} out of range for ${numIns} inputs`);
    }
    let numOuts: number;
    if (endLevel === -1 || endLevel === numIns - 1) {
      this.backboneEndLevel = numIns;
      numOuts = options.numOuts ?? numIns - startLevel;
      if (numOuts < numIns - startLevel) {
        throw new ConfigError(`FPN: numOuts (${numOuts}) must be at least the ${numIns - startLevel} used input levels`);
      }
    } else {
      if (!Number.isInteger(endLevel) || endLevel < startLevel || endLevel >= numIns) {
        throw new ConfigError(`FPN: endLevel ${endLevel} out of range [${startLevel}, ${numIns - 1}] (or -1)`);
      }
      this.backboneEndLevel = endLevel + 1;
      numOuts = options.numOuts ?? endLevel - startLevel + 1;
      if (numOuts !== endLevel - startLevel + 1) {
        throw new ConfigError(`FPN: with endLevel ${endLevel} < last input, numOuts must be ${endLevel - startLevel + 1} (no extra levels), got ${numOuts}`);
      }
    }
    this.numOuts = numOuts;
    this.extraSource = options.addExtraConvs === true ? 'on_input' : options.addExtraConvs;

    this.lateralConvs = this.addModule('lateral_convs', new ModuleList<ConvModule>());
    this.fpnConvs = this.addModule('fpn_convs', new ModuleList<ConvModule>());
    const { normCfg, actCfg } = options;
    for (let i = startLevel; i < this.backboneEndLevel; i++) {
      this.lateralConvs.push(new ConvModule(inputs[i].channels, outChannels, 1, { normCfg: options.noNormOnLateral ? null : normCfg, actCfg }));
      this.fpnConvs.push(new ConvModule(outChannels, outChannels, 3, { padding: 1, normCfg, actCfg }));
    }
    const extraLevels = numOuts - this.backboneEndLevel + startLevel;
    if (this.extraSource !== false) {
      for (let i = 0; i < extraLevels; i++) {
        const cin = i === 0 && this.extraSource === 'on_input' ? inputs[this.backboneEndLevel - 1].channels : outChannels;
        this.fpnConvs.push(new ConvModule(cin, outChannels, 3, { stride: 2, padding: 1, normCfg, actCfg }));
      }
    }
    for (const [, m] of this.namedModules()) if (m instanceof ConvModule) initConv(m.conv, 'xavier_uniform');

    const specs: FeatureSpec[] = [];
    for (let i = startLevel; i < this.backboneEndLevel; i++) {
      specs.push({ name: pyramidLevelName(inputs[i].stride), channels: outChannels, stride: inputs[i].stride });
    }
    for (let i = 0; i < extraLevels; i++) {
      const stride = specs[specs.length - 1].stride * 2;
      specs.push({ name: pyramidLevelName(stride), channels: outChannels, stride });
    }
    this.outputSpecs = specs;
  }

  private upsampleTo(x: tf.Tensor4D, target: tf.Tensor4D): tf.Tensor4D {
    const { mode, scaleFactor = null, alignCorners = false } = this.options.upsampleCfg;
    let y: tf.Tensor4D;
    if (scaleFactor !== null) {
      if (mode !== 'nearest') throw new ConfigError('FPN: upsampleCfg.scaleFactor is only supported with mode nearest');
      y = resizeNearestScale(x, scaleFactor);
    } else {
      const size: [number, number] = [target.shape[1], target.shape[2]];
      y = mode === 'nearest' ? resizeNearest(x, size) : resizeBilinear(x, size, alignCorners);
    }
    if (y.shape[1] !== target.shape[1] || y.shape[2] !== target.shape[2]) {
      throw new ShapeError(`FPN: upsampled ${formatShape(x.shape)} to ${formatShape(y.shape)}, which does not match the lateral ${formatShape(target.shape)}`);
    }
    return y;
  }

  /**
   * @param features one map per input spec, `[B, H_i, W_i, C_i]`.
   * @returns one map per entry of {@link outputSpecs}, `[B, H_l, W_l, outChannels]`.
   */
  forward(features: tf.Tensor4D[]): tf.Tensor4D[] {
    if (features.length !== this.inputs.length) {
      throw new ShapeError(`FPN: expected ${this.inputs.length} input maps (${this.inputs.map((s) => s.name).join(', ')}), got ${features.length}`);
    }
    features.forEach((f, i) => {
      if (f.rank !== 4 || f.shape[3] !== this.inputs[i].channels) {
        throw new ShapeError(`FPN: input ${this.inputs[i].name} should be NHWC with ${this.inputs[i].channels} channels, got ${formatShape(f.shape)}`);
      }
    });
    const { startLevel } = this.options;
    return tf.tidy(() => {
      const laterals = this.lateralConvs.items.map((conv, i) => conv.forward(features[i + startLevel]));
      const used = laterals.length;
      for (let i = used - 1; i > 0; i--) {
        laterals[i - 1] = laterals[i - 1].add(this.upsampleTo(laterals[i], laterals[i - 1]));
      }
      const outs = laterals.map((lat, i) => this.fpnConvs.items[i].forward(lat));
      if (this.numOuts > used) {
        if (this.extraSource === false) {
          for (let i = 0; i < this.numOuts - used; i++) outs.push(subsample2(outs[outs.length - 1]));
        } else {
          const source = this.extraSource === 'on_input' ? features[this.backboneEndLevel - 1] : this.extraSource === 'on_lateral' ? laterals[used - 1] : outs[used - 1];
          outs.push(this.fpnConvs.items[used].forward(source));
          for (let i = used + 1; i < this.numOuts; i++) {
            const prev = outs[outs.length - 1];
            outs.push(this.fpnConvs.items[i].forward(this.options.reluBeforeExtraConvs ? tf.relu(prev) : prev));
          }
        }
      }
      return outs;
    });
  }
}

/** `F.max_pool2d(x, 1, stride=2)`: every other row and column, `[B, ⌈H/2⌉, ⌈W/2⌉, C]`. */
function subsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  // Gathers rather than stridedSlice, which has no gradient in tfjs.
  const every2 = (n: number) => tf.range(0, n, 2, 'int32');
  const rows = tf.gather(x, every2(h), 1); // [B, ceil(H/2), W, C]
  return tf.gather(rows, every2(w), 2) as tf.Tensor4D; // [B, ceil(H/2), ceil(W/2), C]
}

function parseUpsampleCfg(value: unknown, path: string): FpnUpsampleCfg {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path}: expected {mode: 'nearest' | 'bilinear', scaleFactor?, alignCorners?}`);
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!['mode', 'scaleFactor', 'alignCorners'].includes(key)) {
      throw new ConfigError(`Unknown option '${key}' at ${path}.${key}. Valid options: mode, scaleFactor, alignCorners`);
    }
  }
  const mode = v.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new ConfigError(`${path}.mode: expected 'nearest' or 'bilinear', got ${JSON.stringify(mode)}`);
  const scaleFactor = v.scaleFactor ?? null;
  if (scaleFactor !== null && (typeof scaleFactor !== 'number' || !(scaleFactor > 0))) {
    throw new ConfigError(`${path}.scaleFactor: expected a positive number or null`);
  }
  if (scaleFactor !== null && mode !== 'nearest') throw new ConfigError(`${path}.scaleFactor: only supported with mode 'nearest'`);
  const alignCorners = v.alignCorners ?? false;
  if (typeof alignCorners !== 'boolean') throw new ConfigError(`${path}.alignCorners: expected a boolean`);
  return { mode, scaleFactor, alignCorners };
}

/** Config form of {@link FPNOptions}: `outChannels` is required (null until given). */
export type FPNConfig = Omit<FPNOptions, 'outChannels'> & { outChannels: number | null };

/** Registry entry of {@link FPN}. */
export const fpnSpec: ComponentSpec<FPNConfig, FPN, NeckContext> = {
  name: 'FPN',
  description: 'mmdet Feature Pyramid Network; outputs p{log2 stride} levels (extra levels at doubled strides)',
  defaults: { ...FPN_DEFAULTS, outChannels: null },
  kinds: {
    outChannels: ['number', 'null'],
    numOuts: ['number', 'null'],
    addExtraConvs: ['boolean', 'string'],
    normCfg: ['object', 'null'],
    actCfg: ['object', 'null'],
    upsampleCfg: ['object'],
  },
  required: ['outChannels'],
  choices: { addExtraConvs: [false, true, 'on_input', 'on_lateral', 'on_output'] },
  ranges: { outChannels: RANGES.positiveInt, numOuts: RANGES.positiveInt, startLevel: RANGES.nonNegativeInt, endLevel: { integer: true, min: -1 } },
  sections: {
    upsampleCfg: {
      defaults: { mode: 'nearest', scaleFactor: null, alignCorners: false },
      kinds: { scaleFactor: ['number', 'null'] },
      choices: { mode: ['nearest', 'bilinear'] },
      ranges: { scaleFactor: RANGES.positive },
    },
  },
  docs: {
    outChannels: 'channels of every output level',
    numOuts: 'number of output levels (null: one per used input level)',
    startLevel: 'first input level used',
    endLevel: 'last input level used, inclusive (-1: the last input)',
    addExtraConvs: "extra levels: false (stride-2 subsampling), true/'on_input', 'on_lateral', 'on_output' (stride-2 3x3 convs)",
    reluBeforeExtraConvs: 'ReLU before the second and later extra convs',
    noNormOnLateral: 'no normalisation in the lateral 1x1 convs',
    normCfg: "null or {type: 'BN' | 'SyncBN' | 'GN', numGroups?, eps?, momentum?, requiresGrad?}",
    actCfg: "null or {type: 'ReLU'}",
    upsampleCfg: "top-down upsampling {mode: 'nearest' | 'bilinear', scaleFactor?: number | null, alignCorners?}",
  },
  build(options, context, path) {
    const extra = options.addExtraConvs;
    if (typeof extra === 'string' && !['on_input', 'on_lateral', 'on_output'].includes(extra)) {
      throw new ConfigError(`${path}.addExtraConvs: expected a boolean or 'on_input' | 'on_lateral' | 'on_output', got '${extra}'`);
    }
    if (options.outChannels === null) throw new ConfigError(`Missing required option 'outChannels' at ${path}.outChannels for FPN`);
    const resolved: FPNOptions = {
      ...options,
      outChannels: options.outChannels,
      normCfg: parseNormCfg(options.normCfg, `${path}.normCfg`),
      actCfg: parseActCfg(options.actCfg, `${path}.actCfg`),
      upsampleCfg: parseUpsampleCfg(options.upsampleCfg, `${path}.upsampleCfg`),
    };
    try {
      return new FPN(context.inputs, resolved);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
      throw err;
    }
  },
};

/**
 * mmcv's `ConvModule`: convolution → normalisation → activation, with mmcv's
 * state-dict names (`conv.weight`, `bn.running_mean`, `gn.weight`, ...) and its
 * default initialisation.
 */
import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { kaimingNormal, normal, xavierUniform, zeros } from '../init.js';
import { Conv2d } from './conv2d.js';
import { BatchNorm2d } from './batch_norm.js';
import { GroupNorm } from './group_norm.js';
import { ReLU } from './activation.js';

/** Normalisation types of {@link NormCfg}. `SyncBN` behaves as `BN` (one device). */
export type NormType = 'BN' | 'SyncBN' | 'GN';

/** mmcv's `norm_cfg`, in camelCase. */
export interface NormCfg {
  /** `BN` / `SyncBN` → {@link BatchNorm2d} named `bn`; `GN` → {@link GroupNorm} named `gn`. */
  type: NormType;
  /** Number of groups; required for `GN`. */
  numGroups?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** BN running-statistics momentum (`null`: cumulative average). Default 0.1. */
  momentum?: number | null;
  /** Whether the norm's affine parameters are trained (mmcv's `requires_grad`). Default `true`. */
  requiresGrad?: boolean;
}

/** mmcv's `act_cfg`. */
export interface ActCfg {
  /** Only ReLU is supported. */
  type: 'ReLU';
}

const NORM_TYPES: readonly NormType[] = ['BN', 'SyncBN', 'GN'];
const NORM_KEYS = ['type', 'numGroups', 'eps', 'momentum', 'requiresGrad'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a `normCfg` config value.
 * @throws ConfigError naming `path` on an unknown type or key, or a GN without `numGroups`.
 */
export function parseNormCfg(value: unknown, path: string): NormCfg | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value)) throw new ConfigError(`${path}: expected null or {type: ${NORM_TYPES.join(' | ')}, ...}, got ${JSON.stringify(value)}`);
  for (const key of Object.keys(value)) {
    if (!NORM_KEYS.includes(key)) throw new ConfigError(`Unknown option '${key}' at ${path}.${key}. Valid options: ${NORM_KEYS.join(', ')}`);
  }
  const type = value.type;
  if (typeof type !== 'string' || !(NORM_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`${path}.type: expected one of ${NORM_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  const cfg: NormCfg = { type: type as NormType };
  const num = (key: string): number | undefined => {
    const v = value[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw new ConfigError(`${path}.${key}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  };
  cfg.numGroups = num('numGroups');
  cfg.eps = num('eps');
  if (value.momentum === null) cfg.momentum = null;
  else cfg.momentum = num('momentum');
  if (value.requiresGrad !== undefined) {
    if (typeof value.requiresGrad !== 'boolean') throw new ConfigError(`${path}.requiresGrad: expected a boolean`);
    cfg.requiresGrad = value.requiresGrad;
  }
  if (cfg.type === 'GN' && (cfg.numGroups === undefined || !Number.isInteger(cfg.numGroups) || cfg.numGroups < 1)) {
    throw new ConfigError(`${path}.numGroups: GN needs a positive integer number of groups`);
  }
  return cfg;
}

/**
 * Checks an `actCfg` config value.
 * @throws ConfigError naming `path` on anything but `null` or `{type: 'ReLU'}`.
 */
export function parseActCfg(value: unknown, path: string): ActCfg | null {
  if (value === null || value === undefined) return null;
  if (!isRecord(value) || value.type !== 'ReLU' || Object.keys(value).some((k) => k !== 'type')) {
    throw new ConfigError(`${path}: expected null or {type: 'ReLU'}, got ${JSON.stringify(value)}`);
  }
  return { type: 'ReLU' };
}

/** Options of {@link ConvModule}. */
export interface ConvModuleOptions {
  /** Stride. Default 1. */
  stride?: number | [number, number];
  /** Zero padding per side. Default 0. */
  padding?: number | [number, number];
  /** Dilation. Default 1. */
  dilation?: number | [number, number];
  /** Convolution bias; `'auto'` means a bias only without normalisation (mmcv). Default `'auto'`. */
  bias?: boolean | 'auto';
  /** Normalisation after the convolution, or `null`. Default `null`. */
  normCfg?: NormCfg | null;
  /** Activation after the normalisation, or `null`. Default `{type: 'ReLU'}`. */
  actCfg?: ActCfg | null;
}

/** The norm layer of a {@link ConvModule}. */
export type NormLayer = BatchNorm2d | GroupNorm;

/**
 * Builds a normalisation layer as mmcv's `build_norm_layer` does and returns its
 * mmcv name (`bn` for BN/SyncBN, `gn` for GN).
 */
export function buildNormLayer(cfg: NormCfg, channels: number): { name: 'bn' | 'gn'; layer: NormLayer } {
  const eps = cfg.eps ?? 1e-5;
  let out: { name: 'bn' | 'gn'; layer: NormLayer };
  if (cfg.type === 'GN') {
    if (cfg.numGroups === undefined) throw new ConfigError('GN normCfg needs numGroups');
    out = { name: 'gn', layer: new GroupNorm(cfg.numGroups, channels, { eps }) };
  } else {
    out = { name: 'bn', layer: new BatchNorm2d(channels, { eps, momentum: cfg.momentum === undefined ? 0.1 : cfg.momentum }) };
  }
  if (cfg.requiresGrad === false) for (const [, p] of out.layer.namedParameters()) p.requiresGrad = false;
  return out;
}

/**
 * Convolution → optional norm → optional activation (mmcv `ConvModule`, order
 * `('conv', 'norm', 'act')`, zero padding, `groups = 1`).
 *
 * State-dict names: `conv.weight` `[out, in, kh, kw]`, `conv.bias` `[out]` (when
 * there is a bias), then `bn.{weight,bias,running_mean,running_var,num_batches_tracked}`
 * or `gn.{weight,bias}`.
 *
 * Initialisation as mmcv: conv weight Kaiming-normal (`fan_out`, ReLU gain), bias 0;
 * norm weight 1, bias 0.
 */
export class ConvModule extends Module {
  /** The convolution. */
  readonly conv: Conv2d;
  /** The norm layer, or `null`. */
  readonly norm: NormLayer | null;
  /** The norm's member name (`bn`/`gn`), or `null`. */
  readonly normName: 'bn' | 'gn' | null;
  /** The activation, or `null`. */
  readonly activate: ReLU | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    options: ConvModuleOptions = {},
  ) {
    super();
    const normCfg = options.normCfg ?? null;
    const actCfg = options.actCfg === undefined ? { type: 'ReLU' as const } : options.actCfg;
    const bias = options.bias === undefined || options.bias === 'auto' ? normCfg === null : options.bias;
    this.conv = this.addModule(
      'conv',
      new Conv2d(inChannels, outChannels, kernelSize, {
        stride: options.stride ?? 1,
        padding: options.padding ?? 0,
        dilation: options.dilation ?? 1,
        bias,
      }),
    );
    if (normCfg !== null) {
      const { name, layer } = buildNormLayer(normCfg, outChannels);
      this.norm = this.addModule(name, layer);
      this.normName = name;
    } else {
      this.norm = null;
      this.normName = null;
    }
    this.activate = actCfg !== null ? this.addModule('activate', new ReLU()) : null;
    initConv(this.conv, 'kaiming');
  }

  /** `x` `[B, H, W, inChannels]` → `[B, H', W', outChannels]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.conv.forward(x);
      if (this.norm !== null) y = this.norm.forward(y);
      if (this.activate !== null) y = this.activate.forward(y) as tf.Tensor4D;
      return y;
    });
  }
}

/** Weight initialisations used by mmcv / mmdet / mmseg for convolutions. */
export type ConvInit =
  /** mmcv `kaiming_init`: normal, `fan_out`, ReLU gain; bias 0. */
  | 'kaiming'
  /** mmcv `xavier_init(distribution='uniform')`: gain 1; bias 0. */
  | 'xavier_uniform'
  /** mmcv `normal_init(std)`: normal(0, std); bias 0. */
  | { normalStd: number };

function assign(p: Parameter, value: tf.Tensor): void {
  p.variable.assign(value);
  value.dispose();
}

/** Re-initialises a convolution's weight and bias in place. */
export function initConv(conv: Conv2d, init: ConvInit): void {
  const shape = conv.weight.shape;
  if (init === 'kaiming') assign(conv.weight, kaimingNormal(shape, { mode: 'fan_out', nonlinearity: 'relu' }));
  else if (init === 'xavier_uniform') assign(conv.weight, xavierUniform(shape));
  else assign(conv.weight, normal(shape, 0, init.normalStd));
  if (conv.bias !== null) assign(conv.bias, zeros(conv.bias.shape));
}

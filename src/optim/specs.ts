/**
 * Registry entries of the optimizers (registry `optimizers`) and learning-rate
 * schedulers (registry `schedulers`). The runner builds them through the
 * registries, in `engine/build.ts` (`buildOptimizer`, `buildSchedule`).
 */
import { RANGES } from '../registry/options.js';
import { ConfigError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { ParamGroupInput } from './optimizer.js';
import { ADAMW_DEFAULTS, AdamW, type AdamWOptions } from './adamw.js';
import { SGD, SGD_DEFAULTS } from './sgd.js';
import {
  ConstantLR,
  CosineAnnealingLR,
  LinearLR,
  MultiStepLR,
  PolyLR,
  type ConstantLROptions,
  type CosineAnnealingLROptions,
  type LinearLROptions,
  type MultiStepLROptions,
  type PolyLROptions,
  type SchedulerBuildContext,
  type SchedulerCommonOptions,
} from './schedulers.js';

/** Build-time input of an optimizer: its parameter groups (from {@link buildParamGroups}). */
export interface OptimizerBuildContext {
  /** The parameter groups; lr and weight decay are `base · lrMult` and `base · decayMult`. */
  groups: ParamGroupInput[];
}

/** Options of the `SGD` config entry (`lr` is required). */
export interface SGDConfigOptions {
  /** Base learning rate (required). */
  lr: number | null;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Dampening of the momentum. Default 0. */
  dampening: number;
  /** L2 weight decay added to the gradient. Default 0. */
  weightDecay: number;
  /** Nesterov momentum. Default false. */
  nesterov: boolean;
}

/** Registry entry of {@link AdamW}. */
export const adamWSpec: ComponentSpec<AdamWOptions, AdamW, OptimizerBuildContext> = {
  name: 'AdamW',
  description: 'Adam with decoupled weight decay, as torch.optim.AdamW (amsgrad=False)',
  defaults: { ...ADAMW_DEFAULTS, betas: [...ADAMW_DEFAULTS.betas] },
  ranges: { lr: RANGES.positive, betas: { min: 0, max: 1, maxExclusive: true }, eps: RANGES.positive, weightDecay: RANGES.nonNegative },
  docs: {
    lr: 'base learning rate',
    betas: '[β1, β2] of the running averages of the gradient and its square',
    eps: 'added to the denominator after the bias-corrected square root',
    weightDecay: 'decoupled weight decay (times each group decayMult)',
  },
  build: (options, context) => new AdamW(context.groups, options),
};

/** Registry entry of {@link SGD}. */
export const sgdSpec: ComponentSpec<SGDConfigOptions, SGD, OptimizerBuildContext> = {
  name: 'SGD',
  description: 'stochastic gradient descent with momentum, as torch.optim.SGD',
  defaults: { lr: null, ...SGD_DEFAULTS },
  kinds: { lr: ['number'] },
  required: ['lr'],
  ranges: { lr: RANGES.positive, momentum: RANGES.nonNegative, dampening: RANGES.nonNegative, weightDecay: RANGES.nonNegative },
  docs: {
    lr: 'base learning rate (required)',
    momentum: 'momentum factor',
    dampening: 'dampening of the momentum',
    weightDecay: 'L2 penalty added to the gradient (times each group decayMult)',
    nesterov: 'Nesterov momentum',
  },
  build: (options, context) => new SGD(context.groups, { ...options, lr: options.lr as number }),
};

const COMMON_DEFAULTS: SchedulerCommonOptions = { begin: 0, end: null, byEpoch: false, convertToIterBased: true };
const COMMON_DOCS = {
  begin: 'first step where the scheduler acts',
  end: 'step where it stops (exclusive); null = training length',
  byEpoch: 'begin/end (and milestones, tMax) count epochs',
  convertToIterBased: 'with byEpoch, update every iteration (true) or only at epoch boundaries (false)',
} as const;

/** Registry entry of {@link LinearLR}. Build context: {@link SchedulerBuildContext}. */
export const linearLRSpec: ComponentSpec<LinearLROptions, LinearLR, SchedulerBuildContext> = {
  name: 'LinearLR',
  description: 'linear lr factor from startFactor to endFactor over [begin, end) (warm-up)',
  defaults: { startFactor: 1 / 3, endFactor: 1, ...COMMON_DEFAULTS },
  kinds: { end: ['number', 'null'] },
  docs: { startFactor: 'factor at begin', endFactor: 'factor at end − 1', ...COMMON_DOCS },
  build: (options, context) => new LinearLR(options, context ?? {}),
};

/** Registry entry of {@link CosineAnnealingLR}. Build context: {@link SchedulerBuildContext}. */
export const cosineAnnealingLRSpec: ComponentSpec<CosineAnnealingLROptions, CosineAnnealingLR, SchedulerBuildContext> = {
  name: 'CosineAnnealingLR',
  description: 'cosine annealing from the current lr to etaMin over tMax steps',
  defaults: { tMax: null, etaMin: null, etaMinRatio: null, ...COMMON_DEFAULTS },
  kinds: { end: ['number', 'null'], tMax: ['number', 'null'], etaMin: ['number', 'null'], etaMinRatio: ['number', 'null'] },
  docs: {
    tMax: 'period; null = end − begin',
    etaMin: 'absolute minimum lr (0 when etaMinRatio is null too)',
    etaMinRatio: 'minimum lr relative to each group initial lr',
    ...COMMON_DOCS,
  },
  build: (options, context) => new CosineAnnealingLR(options, context ?? {}),
};

/** Registry entry of {@link PolyLR}. Build context: {@link SchedulerBuildContext}. */
export const polyLRSpec: ComponentSpec<PolyLROptions, PolyLR, SchedulerBuildContext> = {
  name: 'PolyLR',
  description: 'polynomial decay from the current lr to etaMin at end − 1',
  defaults: { power: 1, etaMin: 0, ...COMMON_DEFAULTS },
  kinds: { end: ['number', 'null'] },
  docs: { power: 'power of the polynomial', etaMin: 'absolute lr reached at end − 1', ...COMMON_DOCS },
  build: (options, context) => new PolyLR(options, context ?? {}),
};

/** Registry entry of {@link MultiStepLR}. Build context: {@link SchedulerBuildContext}. */
export const multiStepLRSpec: ComponentSpec<MultiStepLROptions, MultiStepLR, SchedulerBuildContext> = {
  name: 'MultiStepLR',
  description: 'multiply the lr by gamma at each milestone (counted from begin)',
  defaults: { milestones: [], gamma: 0.1, ...COMMON_DEFAULTS },
  kinds: { end: ['number', 'null'] },
  docs: { milestones: 'steps (from begin) where the lr decays', gamma: 'decay factor', ...COMMON_DOCS },
  build: (options, context) => new MultiStepLR(options, context ?? {}),
};

/** Registry entry of {@link ConstantLR}. Build context: {@link SchedulerBuildContext}. */
export const constantLRSpec: ComponentSpec<ConstantLROptions, ConstantLR, SchedulerBuildContext> = {
  name: 'ConstantLR',
  description: 'constant lr factor over [begin, end − 1), full lr from end − 1',
  defaults: { factor: 1 / 3, ...COMMON_DEFAULTS },
  kinds: { end: ['number', 'null'] },
  docs: { factor: 'lr factor inside the range', ...COMMON_DOCS },
  build: (options, context) => new ConstantLR(options, context ?? {}),
};

/** The optimizer specs, for registration in the `optimizers` registry. */
export const OPTIMIZER_SPECS = [adamWSpec, sgdSpec] as const;
/** The scheduler specs, for registration in the `schedulers` registry. */
export const SCHEDULER_SPECS = [linearLRSpec, cosineAnnealingLRSpec, polyLRSpec, multiStepLRSpec, constantLRSpec] as const;

/**
 * The schema of a whole config: its top-level keys and plain sections, in the
 * spirit of mmengine's config (camelCase names: `trainDataloader`,
 * `optimWrapper`, `paramScheduler`, `trainCfg`, `defaultHooks`, ...).
 */
import type { ComponentConfig, ConfigValue, OptionsSchema } from '../registry/options.js';
import { RANGES, isPlainObject, validateOptions } from '../registry/options.js';
import { didYouMean } from '../registry/suggest.js';
import { ConfigError } from '../core/errors.js';
import { priorityValue } from '../core/priority.js';
import type { Config } from './load_config.js';
import { applyTopLevelClasses, checkClassCounts, checkScheduleLength, configuredClassCount } from './cross_checks.js';
import { registryOf } from '../registry/registry.js';

/** A data loader section. */
export interface DataloaderConfig {
  /** Samples per batch. Default 2. */
  batchSize: number;
  /** Batches prepared ahead of the model (asynchronous prefetch depth). Default 2. */
  numWorkers: number;
  /** Shuffle every epoch (seeded). Default false; training configs set true. */
  shuffle: boolean;
  /** Drop the last incomplete batch. Default false. */
  dropLast: boolean;
  /** Skip (and count) samples whose image cannot be decoded instead of stopping. Default false. */
  skipCorrupt: boolean;
  /** The dataset, e.g. `{type: 'ImageFolder', dataRoot, split, pipeline}`. */
  dataset: ComponentConfig | null;
}

/** Schema of a data loader section. */
export const DATALOADER_SCHEMA: OptionsSchema<DataloaderConfig> = {
  defaults: { batchSize: 2, numWorkers: 2, shuffle: false, dropLast: false, skipCorrupt: false, dataset: null },
  children: { dataset: { registry: 'datasets' } },
  required: ['dataset'],
  ranges: { batchSize: RANGES.positiveInt, numWorkers: RANGES.nonNegativeInt },
  docs: {
    batchSize: 'samples per batch',
    numWorkers: 'batches decoded and augmented ahead of the model',
    shuffle: 'reshuffle every epoch with the seeded data RNG',
    dropLast: 'drop the last incomplete batch',
    skipCorrupt: 'skip and count undecodable images instead of stopping',
    dataset: 'dataset config',
  },
};

/** Gradient clipping. */
export interface ClipGradConfig {
  /** Clip the global norm of all gradients to this value. */
  maxNorm: number | null;
  /** Norm type (only 2 is supported). Default 2. */
  normType: number;
}

/** Per-parameter optimizer options, matched by parameter name. */
export interface ParamwiseConfig {
  /** Weight-decay multiplier of normalisation layers' weights and biases. Default null (1). */
  normDecayMult: number | null;
  /** Weight-decay multiplier of biases. Default null (1). */
  biasDecayMult: number | null;
  /** Pattern (substring of the parameter name) → `{lrMult, decayMult}`. */
  customKeys: Record<string, unknown>;
  /** Layer-wise learning-rate decay rate for Swin (null = off). */
  layerDecayRate: number | null;
}

/** The optimizer wrapper section. */
export interface OptimWrapperConfig {
  /** The optimizer, e.g. `{type: 'AdamW', lr: 1e-3, weightDecay: 0.05}`. */
  optimizer: ComponentConfig | null;
  /** Gradient clipping, or null. */
  clipGrad: ClipGradConfig | null;
  /** Gradient accumulation: steps per optimizer update. Default 1. */
  accumulativeCounts: number;
  /** Per-parameter options. */
  paramwiseCfg: ParamwiseConfig;
}

/** The training loop section. */
export interface TrainCfg {
  /** 'iter' or 'epoch' based loop. Default 'iter'. */
  by: string;
  /** Iterations to train (iter-based). */
  maxIters: number | null;
  /** Epochs to train (epoch-based). */
  maxEpochs: number | null;
  /** Evaluate every N iterations (or epochs). Default 0 (only at the end). */
  valInterval: number;
}

/** A runner hook in a config: a registered hook `type`, its options and, optionally, a `priority`. */
export interface HookConfig extends ComponentConfig {
  /** A priority name (`HIGHEST` … `LOWEST`) or an integer in [0, 100]; default the hook's own. */
  priority?: string | number;
}

/** Checkpoint hook options (`defaultHooks.checkpoint`, type `CheckpointHook`). */
export interface CheckpointHookConfig extends HookConfig {
  /** Save every N iterations (or epochs). Default 0 (only at the end). */
  interval: number;
  /** Keep the last k checkpoints. Default 3. */
  maxKeepCkpts: number;
  /** Metric to keep the best checkpoint by, e.g. 'accuracy/top1'. Default null. */
  saveBest: string | null;
  /** 'greater' or 'less' is better. Default 'greater'. */
  rule: string;
}

/** Logger hook options (`defaultHooks.logger`, type `LoggerHook`). */
export interface LoggerHookConfig extends HookConfig {
  /** Log every N iterations. Default 10. */
  interval: number;
}

/**
 * The default hooks (mmengine's `default_hooks`): each entry names its hook; `type`
 * may be left out (it is implied by the key). `progressBar: null` switches the bar off.
 */
export interface DefaultHooksConfig {
  /** `CheckpointHook`: periodic and best checkpoints. */
  checkpoint: CheckpointHookConfig;
  /** `LoggerHook`: `scalars.jsonl` and the `[val]` lines. */
  logger: LoggerHookConfig;
  /** `ProgressBarHook`: the progress bar / progress lines; null for none. */
  progressBar: HookConfig | null;
}

/** Knowledge distillation of a classifier from a frozen teacher. */
export interface DistillationConfig {
  /** The teacher's config file (paths are relative to the working directory). */
  teacherConfig: string | null;
  /** The teacher's weights. */
  teacherWeights: string | null;
  /** 'soft' (KL at temperature T, scaled by T²) or 'hard' (CE on the teacher's arg-max, DeiT). Default 'soft'. */
  type: string;
  /** Weight α of the distillation term; the label loss gets 1 − α. Default 0.5. */
  alpha: number;
  /** Temperature T of soft distillation. Default 1. */
  temperature: number;
}

/** What the runner does when an update turns the loss, gradients or weights non-finite. */
export interface NanGuardConfig {
  /** Roll back to the newest checkpoint with a lower lr instead of stopping. Default false. */
  rollback: boolean;
  /** Each rollback multiplies the lr by this factor, in (0, 1). Default 0.1. */
  lrFactor: number;
  /** Stop after this many rollbacks. Default 3. */
  maxRollbacks: number;
}

/** Schema of the whole config. */
export interface RootConfig {
  model: ComponentConfig | null;
  trainDataloader: DataloaderConfig | null;
  valDataloader: DataloaderConfig | null;
  testDataloader: DataloaderConfig | null;
  valEvaluator: ComponentConfig | null;
  testEvaluator: ComponentConfig | null;
  optimWrapper: OptimWrapperConfig | null;
  paramScheduler: ComponentConfig[];
  trainCfg: TrainCfg | null;
  defaultHooks: DefaultHooksConfig;
  /** The user's hooks (mmengine's `custom_hooks`), run with the default ones in priority order. Default []. */
  customHooks: HookConfig[];
  randomness: { seed: number };
  autoScaleLr: { enable: boolean; baseBatchSize: number };
  workDir: string | null;
  loadFrom: string | null;
  resume: boolean;
  backend: string | null;
  distillation: DistillationConfig | null;
  nanGuard: NanGuardConfig;
  /** Class names, set once for every split's dataset (and checked against heads and loss weights). Default null. */
  classes: string[] | null;
}

const DISTILLATION_SCHEMA: OptionsSchema<DistillationConfig> = {
  defaults: { teacherConfig: null, teacherWeights: null, type: 'soft', alpha: 0.5, temperature: 1 },
  kinds: { teacherConfig: ['string'], teacherWeights: ['string'] },
  required: ['teacherConfig', 'teacherWeights'],
  choices: { type: ['soft', 'hard'] },
  ranges: { alpha: RANGES.ratio, temperature: RANGES.positive },
  docs: {
    teacherConfig: "the teacher's config file",
    teacherWeights: "the teacher's weights",
    type: "'soft' or 'hard'",
    alpha: 'weight of the distillation term',
    temperature: 'temperature of soft distillation',
  },
};

const OPTIM_WRAPPER_SCHEMA: OptionsSchema<OptimWrapperConfig> = {
  defaults: {
    optimizer: null,
    clipGrad: null,
    accumulativeCounts: 1,
    paramwiseCfg: { normDecayMult: null, biasDecayMult: null, customKeys: {}, layerDecayRate: null },
  },
  children: { optimizer: { registry: 'optimizers' } },
  kinds: { clipGrad: ['object', 'null'] },
  ranges: { accumulativeCounts: RANGES.positiveInt },
  sections: {
    clipGrad: {
      defaults: { maxNorm: null, normType: 2 },
      kinds: { maxNorm: ['number', 'null'] },
      ranges: { maxNorm: RANGES.positive },
      choices: { normType: [2] },
    } as OptionsSchema<object>,
    paramwiseCfg: {
      defaults: { normDecayMult: null, biasDecayMult: null, customKeys: {}, layerDecayRate: null },
      kinds: { normDecayMult: ['number', 'null'], biasDecayMult: ['number', 'null'], layerDecayRate: ['number', 'null'] },
      ranges: { normDecayMult: RANGES.nonNegative, biasDecayMult: RANGES.nonNegative, layerDecayRate: { min: 0, max: 1, minExclusive: true } },
    } as OptionsSchema<object>,
  },
  required: ['optimizer'],
};

/** The default hooks' types, by their `defaultHooks` key. */
const DEFAULT_HOOK_TYPES: Record<keyof DefaultHooksConfig, string> = {
  checkpoint: 'CheckpointHook',
  logger: 'LoggerHook',
  progressBar: 'ProgressBarHook',
};

const DEFAULT_HOOKS = {
  checkpoint: { type: 'CheckpointHook' },
  logger: { type: 'LoggerHook' },
  progressBar: { type: 'ProgressBarHook' },
} as unknown as DefaultHooksConfig;

/**
 * Validates one hook config against the hooks registry and returns it with the
 * hook's defaults filled in (`priority` is checked, and kept only when given).
 */
function validateHookConfig(given: unknown, path: string, impliedType: string | null): HookConfig {
  if (!isPlainObject(given)) throw new ConfigError(`${path}: expected a hook config object, got ${JSON.stringify(given)}`);
  const hooks = registryOf('hooks');
  const type = given.type ?? impliedType;
  if (typeof type !== 'string') {
    throw new ConfigError(`${path}: missing 'type' (a registered hooks name: ${hooks.names().join(', ') || 'none registered'})`);
  }
  if (impliedType !== null && type !== impliedType) {
    throw new ConfigError(`${path}.type: this entry is the ${impliedType}, got '${type}'; add other hooks to customHooks`);
  }
  const { priority, ...rest } = given;
  const spec = hooks.get(type, path);
  const options = validateOptions(spec, rest, spec.name, path, ['type']) as Record<string, unknown>;
  const out: HookConfig = { type, ...(options as Record<string, ConfigValue>) };
  if (priority !== undefined) {
    priorityValue(priority, `${path}.priority`);
    out.priority = priority as string | number;
  }
  return out;
}

/** Validates `defaultHooks` (missing entries get their defaults; only `progressBar` may be null). */
function validateDefaultHooks(given: unknown, path: string): DefaultHooksConfig {
  if (!isPlainObject(given)) throw new ConfigError(`${path}: expected an object of hooks by name, got ${JSON.stringify(given)}`);
  const keys = Object.keys(DEFAULT_HOOK_TYPES);
  for (const key of Object.keys(given)) {
    if (!keys.includes(key)) {
      throw new ConfigError(`Unknown default hook '${key}' at ${path}.${key}.${didYouMean(key, keys)} Default hooks: ${keys.join(', ')}; add other hooks to customHooks`);
    }
  }
  const out: Record<string, HookConfig | null> = {};
  for (const [key, type] of Object.entries(DEFAULT_HOOK_TYPES)) {
    const value = given[key];
    if (value === null) {
      if (key !== 'progressBar') throw new ConfigError(`${path}.${key}: the ${type} cannot be switched off (null); only progressBar can`);
      out[key] = null;
      continue;
    }
    out[key] = validateHookConfig(value ?? {}, `${path}.${key}`, type);
  }
  return out as unknown as DefaultHooksConfig;
}

/** Validates `customHooks`: a list of hook configs, each with a registered `type`. */
function validateCustomHooks(given: unknown, path: string): HookConfig[] {
  if (!Array.isArray(given)) throw new ConfigError(`${path}: expected a list of hook configs, got ${JSON.stringify(given)}`);
  return given.map((h, i) => validateHookConfig(h, `${path}.${i}`, null));
}

/** Schema of the root of a config. */
export const ROOT_SCHEMA: OptionsSchema<RootConfig> = {
  defaults: {
    model: null,
    trainDataloader: null,
    valDataloader: null,
    testDataloader: null,
    valEvaluator: null,
    testEvaluator: null,
    optimWrapper: null,
    paramScheduler: [],
    trainCfg: null,
    defaultHooks: DEFAULT_HOOKS,
    customHooks: [],
    randomness: { seed: 0 },
    autoScaleLr: { enable: false, baseBatchSize: 1024 },
    workDir: null,
    loadFrom: null,
    resume: false,
    backend: null,
    distillation: null,
    nanGuard: { rollback: false, lrFactor: 0.1, maxRollbacks: 3 },
    classes: null,
  },
  kinds: {
    distillation: ['object', 'null'],
    defaultHooks: ['object'],
    customHooks: ['array'],
    trainDataloader: ['object', 'null'],
    valDataloader: ['object', 'null'],
    testDataloader: ['object', 'null'],
    optimWrapper: ['object', 'null'],
    trainCfg: ['object', 'null'],
    workDir: ['string', 'null'],
    loadFrom: ['string', 'null'],
    backend: ['string', 'null'],
    classes: ['array', 'null'],
  },
  choices: { backend: ['tensorflow', 'wasm', 'cpu', null] },
  children: {
    model: { registry: 'models' },
    valEvaluator: { registry: 'metrics' },
    testEvaluator: { registry: 'metrics' },
    paramScheduler: { registry: 'schedulers', list: true },
  },
  sections: {
    trainDataloader: DATALOADER_SCHEMA as OptionsSchema<object>,
    valDataloader: DATALOADER_SCHEMA as OptionsSchema<object>,
    testDataloader: DATALOADER_SCHEMA as OptionsSchema<object>,
    optimWrapper: OPTIM_WRAPPER_SCHEMA as OptionsSchema<object>,
    trainCfg: {
      defaults: { by: 'iter', maxIters: null, maxEpochs: null, valInterval: 0 },
      kinds: { maxIters: ['number', 'null'], maxEpochs: ['number', 'null'] },
      choices: { by: ['iter', 'epoch'] },
      ranges: { maxIters: RANGES.positiveInt, maxEpochs: RANGES.positiveInt, valInterval: RANGES.nonNegativeInt },
    } as OptionsSchema<object>,
    randomness: { defaults: { seed: 0 }, ranges: { seed: RANGES.integer } } as OptionsSchema<object>,
    autoScaleLr: { defaults: { enable: false, baseBatchSize: 1024 }, ranges: { baseBatchSize: RANGES.positiveInt } } as OptionsSchema<object>,
    distillation: DISTILLATION_SCHEMA as OptionsSchema<object>,
    nanGuard: {
      defaults: { rollback: false, lrFactor: 0.1, maxRollbacks: 3 },
      ranges: { lrFactor: { min: 0, max: 1, minExclusive: true, maxExclusive: true }, maxRollbacks: RANGES.nonNegativeInt },
      docs: {
        rollback: 'on a non-finite update, roll back to the newest checkpoint with a lower lr instead of stopping',
        lrFactor: 'lr multiplier applied at each rollback',
        maxRollbacks: 'stop after this many rollbacks',
      },
    } as OptionsSchema<object>,
  },
  required: ['model'],
};

/**
 * Validates a loaded config (every key, recursively into registered components)
 * and returns it with defaults filled in.
 * @param file the config file, named in error messages.
 */
export function validateConfig(config: Config, file: string): RootConfig {
  const datasets = registryOf('datasets');
  applyTopLevelClasses(config, (type) => datasets.has(type) && 'classes' in (datasets.get(type).defaults as object));
  const validated = validateOptions(ROOT_SCHEMA, config, `config ${file}`, '');
  validated.defaultHooks = validateDefaultHooks(config.defaultHooks ?? {}, 'defaultHooks');
  validated.customHooks = validateCustomHooks(config.customHooks ?? [], 'customHooks');
  checkScheduleLength(validated as unknown as Record<string, unknown>);
  checkClassCounts(validated.model, configuredClassCount(validated as unknown as Record<string, unknown>));
  return validated;
}

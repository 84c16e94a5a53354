/**
 * The schema of a whole config: its top-level keys and plain sections, in the
 * spirit of mmengine's config (camelCase names: `trainDataloader`,
 * `optimWrapper`, `paramScheduler`, `trainCfg`, `defaultHooks`, ...).
 */
import type { ComponentConfig, OptionsSchema } from '../registry/options.js';
import { RANGES, validateOptions } from '../registry/options.js';
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

/** Checkpoint hook options. */
export interface CheckpointHookConfig {
  /** Save every N iterations (or epochs). Default 0 (only at the end). */
  interval: number;
  /** Keep the last k checkpoints. Default 3. */
  maxKeepCkpts: number;
  /** Metric to keep the best checkpoint by, e.g. 'accuracy/top1'. Default null. */
  saveBest: string | null;
  /** 'greater' or 'less' is better. Default 'greater'. */
  rule: string;
}

/** Logger hook options. */
export interface LoggerHookConfig {
  /** Log every N iterations. Default 10. */
  interval: number;
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
  defaultHooks: { checkpoint: CheckpointHookConfig; logger: LoggerHookConfig };
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
    defaultHooks: {
      checkpoint: { interval: 0, maxKeepCkpts: 3, saveBest: null, rule: 'greater' },
      logger: { interval: 10 },
    },
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
    defaultHooks: {
      defaults: {
        checkpoint: { interval: 0, maxKeepCkpts: 3, saveBest: null, rule: 'greater' },
        logger: { interval: 10 },
      },
      sections: {
        checkpoint: {
          defaults: { interval: 0, maxKeepCkpts: 3, saveBest: null, rule: 'greater' },
          kinds: { saveBest: ['string', 'null'] },
          choices: { rule: ['greater', 'less'] },
          ranges: { interval: RANGES.nonNegativeInt, maxKeepCkpts: RANGES.positiveInt },
        },
        logger: { defaults: { interval: 10 }, ranges: { interval: RANGES.positiveInt } },
      },
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
  checkScheduleLength(validated as unknown as Record<string, unknown>);
  checkClassCounts(validated.model, configuredClassCount(validated as unknown as Record<string, unknown>));
  return validated;
}

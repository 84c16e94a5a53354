/** Building the parts of a run (datasets, loaders, model, optimizer, schedule, metric) from a config. */
import { ConfigError } from '../core/errors.js';
import type { DataloaderConfig, RootConfig } from '../config/schema.js';
import { DATASETS, METRICS, OPTIMIZERS, SCHEDULERS } from '../registry/registries.js';
import { validateOptions, type ComponentConfig } from '../registry/options.js';
import type { BaseDataset } from '../datasets/base_dataset.js';
import type { Model } from '../models/base_model.js';
import type { Metric } from '../evaluation/metric.js';
import { buildParamGroups, formatParamGroups, normParamPredicate } from '../optim/param_groups.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ScheduleSet } from '../optim/schedulers.js';
import { DataLoader } from './data_loader.js';

/** Builds the dataset of a loader section; `dataRoot` overrides the config's. */
export function buildDataset(section: DataloaderConfig, path: string, dataRoot?: string): BaseDataset {
  return DATASETS.build(section.dataset, { dataRoot }, `${path}.dataset`);
}

/** Builds a data loader for a loader section. */
export function buildLoader(section: DataloaderConfig, dataset: BaseDataset, seed: number, overrides: { shuffle?: boolean; skipCorrupt?: boolean } = {}): DataLoader {
  return new DataLoader(dataset, {
    batchSize: section.batchSize,
    shuffle: overrides.shuffle ?? section.shuffle,
    dropLast: section.dropLast,
    prefetch: section.numWorkers,
    seed,
    skipCorrupt: overrides.skipCorrupt ?? section.skipCorrupt,
  });
}

/** Builds the evaluation metric of a config section for a dataset. */
export function buildMetric(config: ComponentConfig | null, dataset: BaseDataset, path: string): Metric {
  if (config === null) throw new ConfigError(`${path}: no evaluator configured`);
  const annFile = (dataset as BaseDataset & { annFile?: unknown }).annFile;
  return METRICS.build(config, { classNames: dataset.classNames, annFile: typeof annFile === 'string' ? annFile : undefined }, path);
}

/** The optimizer's base lr and weight decay from its config (validated by its registered spec). */
export function optimizerBase(config: ComponentConfig, path: string): { lr: number; weightDecay: number } {
  const spec = OPTIMIZERS.get(config.type, path);
  const options = validateOptions(spec, config, spec.name, path, ['type']) as { lr?: unknown; weightDecay?: unknown };
  if (typeof options.lr !== 'number') throw new ConfigError(`${path}.lr: expected a number`);
  return { lr: options.lr, weightDecay: typeof options.weightDecay === 'number' ? options.weightDecay : 0 };
}

/** The optimizer and a description of its parameter groups. */
export interface BuiltOptimizer {
  optimizer: Optimizer;
  /** One line per parameter group, for the log. */
  summary: string[];
}

/**
 * Builds the optimizer over the model's trainable parameters, with the config's
 * per-parameter options and the auto-scaled learning rate.
 * @param batchScale actual batch / `autoScaleLr.baseBatchSize` when auto-scaling is on, else 1.
 */
export function buildOptimizer(config: RootConfig, model: Model, batchScale: number): BuiltOptimizer {
  const wrapper = config.optimWrapper;
  if (wrapper === null || wrapper.optimizer === null) throw new ConfigError('optimWrapper.optimizer: required for training');
  const base = optimizerBase(wrapper.optimizer, 'optimWrapper.optimizer');
  const scaled = { lr: base.lr * batchScale, weightDecay: base.weightDecay };
  const backbone = model.backbone;
  const paramwise = wrapper.paramwiseCfg;
  const probe = model.namedParameters().find(([n]) => n.startsWith('backbone.'))?.[0];
  const supportsLayerIds = probe !== undefined && backbone.layerIdOf(probe) !== null;
  if (paramwise.layerDecayRate !== null && !supportsLayerIds) {
    throw new ConfigError(`optimWrapper.paramwiseCfg.layerDecayRate: the backbone ${backbone.constructor.name} defines no layer ids for layer-wise decay`);
  }
  const { groups, summaries } = buildParamGroups(model.namedParameters(), scaled, paramwise, {
    isNormParam: normParamPredicate(model),
    layerId: supportsLayerIds ? (name: string) => backbone.layerIdOf(name) ?? { layerId: 0, numLayers: 0 } : undefined,
  });
  const optimizer = OPTIMIZERS.build({ ...wrapper.optimizer, lr: scaled.lr }, { groups }, 'optimWrapper.optimizer');
  return { optimizer, summary: formatParamGroups(summaries) };
}

/**
 * Builds the learning-rate schedule of a `paramScheduler` list through the `schedulers` registry.
 * @param paramScheduler the config's `paramScheduler` entries.
 */
export function buildSchedule(paramScheduler: readonly ComponentConfig[], baseLr: number, itersPerEpoch: number, maxIters: number): ScheduleSet {
  const maxEpochs = Math.ceil(maxIters / itersPerEpoch);
  const schedulers = paramScheduler.map((c, i) => SCHEDULERS.build(c, { itersPerEpoch, maxIters, maxEpochs }, `paramScheduler.${i}`));
  return new ScheduleSet(schedulers, baseLr);
}

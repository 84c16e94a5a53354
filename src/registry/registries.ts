/**
 * The framework's registries. Each maps a `type` name to a component spec.
 *
 * External code adds components with e.g. `BACKBONES.register({name: 'MyNet', ...})`.
 */
import type { Backbone, FeatureSpec } from '../backbones/backbone.js';
import type { Neck, NeckContext } from '../necks/neck.js';
import type { Module } from '../nn/module.js';
import type { BaseDataset, DatasetContext } from '../datasets/base_dataset.js';
import type { Transform } from '../datasets/transforms/transform.js';
import type { Metric, MetricContext } from '../evaluation/metric.js';
import type { Loss } from '../losses/loss.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { OptimizerBuildContext } from '../optim/specs.js';
import type { LrScheduler, SchedulerBuildContext } from '../optim/schedulers.js';
import type { Hook } from '../engine/hooks/hook.js';
import { Registry, registryOf } from './registry.js';
import { setChildValidator } from './options.js';

/** Build-time input of a backbone (none today; kept for symmetry). */
export type BackboneContext = Record<string, never>;

/** Build-time input of a head. */
export interface HeadContext {
  /** Specs of the feature maps the head receives, in order. */
  inputs: readonly FeatureSpec[];
  /** Number of classes when the head's own option is unset (from the dataset). */
  numClasses: number | null;
}

/** Build-time input of a model. */
export interface ModelContext {
  /** Number of classes known from the dataset, used when the config leaves it unset. */
  numClasses: number | null;
}

/** Backbones: image → multi-scale features with declared specs. */
export const BACKBONES = new Registry<Backbone, BackboneContext>('backbones');
/** Necks: features → features (FPN, ...). */
export const NECKS = new Registry<Neck, NeckContext>('necks');
/** Heads: classification, segmentation and detection heads. */
export const HEADS = new Registry<Module, HeadContext>('heads');
/** Models: complete networks (classifier, encoder-decoder segmentor, detectors). */
export const MODELS = new Registry<Module, ModelContext>('models');
/** Datasets. */
export const DATASETS = new Registry<BaseDataset, DatasetContext>('datasets');
/** Data transforms (augmentation and preprocessing). */
export const TRANSFORMS = new Registry<Transform, unknown>('transforms');
/** Losses: every one a {@link Loss}; classification and decode heads take a `LogitLoss` (checked with `asLogitLoss`). */
export const LOSSES = new Registry<Loss, unknown>('losses');
/** Optimizers. */
export const OPTIMIZERS = new Registry<Optimizer, OptimizerBuildContext>('optimizers');
/** Learning-rate schedules. */
export const SCHEDULERS = new Registry<LrScheduler, SchedulerBuildContext>('schedulers');
/** Evaluation metrics. */
export const METRICS = new Registry<Metric, MetricContext>('metrics');

/** Build-time input of a runner hook (none: hooks see the runner when called). */
export type HookContext = Record<string, never>;

/** Runner hooks (checkpointing, logging, EMA, ...), ordered by priority; configs add their own with `customHooks`. */
export const HOOKS = new Registry<Hook, HookContext>('hooks');

setChildValidator((kind, config, path) => registryOf(kind).validate(config, path));

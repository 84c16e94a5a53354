/**
 * `CheckpointHook` (mmengine's): writes a periodic training checkpoint every
 * `interval` iterations (epochs with `trainCfg.by: 'epoch'`) and at the end,
 * and the best checkpoint by a validation metric.
 */
import { ConfigError } from '../../core/errors.js';
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import type { MetricValues } from '../../evaluation/metric.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterInfo } from './hook.js';

/** Options of {@link CheckpointHook}. */
export interface CheckpointHookOptions {
  /** Save every N iterations (or epochs); 0 = only at the end. Default 0. */
  interval: number;
  /** Periodic checkpoints kept (older ones are deleted; read by the runner's checkpoint manager). Default 3. */
  maxKeepCkpts: number;
  /** Metric to keep the best checkpoint by, e.g. 'accuracy/top1'; null for none. Default null. */
  saveBest: string | null;
  /** 'greater' or 'less' is better. Default 'greater'. */
  rule: string;
}

/** Writes the periodic and the best checkpoints. Priority VERY_LOW (after the other hooks of an iteration). */
export class CheckpointHook implements Hook {
  readonly name = 'CheckpointHook';
  priority: number = PRIORITIES.VERY_LOW;

  constructor(readonly options: CheckpointHookOptions) {}

  /** The periodic checkpoint is written before the evaluation of the same iteration, so a failing evaluation loses no training. */
  afterTrainIter(runner: HookRunner, info: TrainIterInfo): void {
    const done = info.index + 1;
    const interval = this.options.interval > 0 ? this.options.interval * runner.intervalUnit : runner.maxIters;
    if (done % interval === 0 || done === runner.maxIters) runner.saveCheckpoint('periodic');
  }

  afterValEpoch(runner: HookRunner, metrics: MetricValues): void {
    const { saveBest, rule } = this.options;
    if (saveBest === null) return;
    const value = metrics[saveBest];
    if (value === undefined) {
      throw new ConfigError(`defaultHooks.checkpoint.saveBest: metric '${saveBest}' not produced; got ${Object.keys(metrics).slice(0, 8).join(', ')}`);
    }
    const best = runner.state.best;
    const better = value !== null && (best === null || (rule === 'less' ? value < best.value : value > best.value));
    if (!better) return;
    runner.state.best = { metric: saveBest, value, iter: runner.iter };
    const path = runner.saveCheckpoint('best', saveBest);
    runner.progress.message(`new best ${saveBest} ${value.toFixed(4)}: ${path}`);
  }
}

/** Registry entry of {@link CheckpointHook}. */
export const checkpointHookSpec: ComponentSpec<CheckpointHookOptions, Hook, HookContext> = {
  name: 'CheckpointHook',
  description: 'periodic training checkpoints (exact resume) and the best checkpoint by a metric',
  defaults: { interval: 0, maxKeepCkpts: 3, saveBest: null, rule: 'greater' },
  kinds: { saveBest: ['string', 'null'] },
  choices: { rule: ['greater', 'less'] },
  ranges: { interval: RANGES.nonNegativeInt, maxKeepCkpts: RANGES.positiveInt },
  docs: {
    interval: 'save every N iterations (epochs when trainCfg.by is epoch); 0 = only at the end',
    maxKeepCkpts: 'periodic checkpoints kept',
    saveBest: 'metric to keep the best checkpoint by',
    rule: "'greater' or 'less' is better",
  },
  build: (options) => new CheckpointHook(options),
};

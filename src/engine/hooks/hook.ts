/**
 * Runner hooks (mmengine's `Hook`): the runner owns only the loop and calls
 * named points on its hooks, in priority order. Checkpointing, logging, the
 * progress bar, the NaN guard, distillation, EMA, visualisation and early
 * stopping are hooks; a config adds its own with `customHooks`.
 *
 * Every point is optional. Points may be async; the runner awaits each hook in
 * turn, so a later hook sees what an earlier one did.
 */
import type { RootConfig } from '../../config/schema.js';
import type { Model } from '../../models/base_model.js';
import type { Metric, MetricValues } from '../../evaluation/metric.js';
import type { Optimizer } from '../../optim/optimizer.js';
import type { JsonlLog, TrainLogRecord } from '../../structures/train_log.js';
import type { DataLoader } from '../data_loader.js';
import type { Batch } from '../../structures/data_sample.js';
import type { Prediction } from '../../structures/prediction.js';
import type { ProgressPrinter } from '../progress.js';
import type { TrainStep, UpdateResult } from '../train_step.js';
import type { CheckpointContent, CheckpointManager, TrainingState } from '../checkpoint.js';

export { PRIORITIES, priorityValue, type Priority, type PriorityName } from '../../core/priority.js';

/** What {@link Hook.afterTrainIter} is told about the iteration that just ran. */
export interface TrainIterInfo {
  /** 0-based index of the iteration (the runner's `iter` is now `index + 1`). */
  index: number;
  /** The optimizer update, or null while gradients are still accumulating. */
  update: UpdateResult | null;
  /** Images of the batch(es) behind the update (batch size × accumulation), 0 without an update. */
  images: number;
  /** Seconds spent waiting for the batch. */
  dataSeconds: number;
}

/** What {@link Hook.onTrainIterError} is told about a failed iteration. */
export interface TrainIterErrorInfo {
  /** 0-based index of the iteration that failed. */
  index: number;
  /** What the training step threw. */
  error: unknown;
}

/** What {@link Hook.afterValIter} is told about one validation batch. */
export interface ValIterInfo {
  /** 0-based index of the batch in this evaluation. */
  index: number;
  /** The batch (its tensors are freed after the hooks ran). */
  batch: Batch;
  /** The model's predictions, one per sample, in the original images' frames. */
  predictions: Prediction[];
}

/** Running results hooks share (mmengine's message hub, reduced to what is used). */
export interface RunInfo {
  /** The newest training log record, written by the logger hook. */
  lastTrainLog: TrainLogRecord | null;
  /** Mean loss of the first and the last logged intervals of this run. */
  firstLoss: number | null;
  lastLoss: number | null;
  /** Metrics of the newest evaluation. */
  metrics: MetricValues | null;
  /** `performance.now()` when the loop started, and the iteration it started at. */
  runStart: number;
  startIter: number;
}

/**
 * What a hook sees of the runner. The runner implements it; hooks depend on
 * this interface, not on the runner class.
 */
export interface HookRunner {
  readonly config: RootConfig;
  readonly workDir: string;
  /** The model being trained (and evaluated). */
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly trainLoader: DataLoader;
  readonly valLoader: DataLoader | null;
  readonly metric: Metric | null;
  readonly progress: ProgressPrinter;
  readonly log: JsonlLog;
  readonly checkpoints: CheckpointManager;
  /** The training step (forward, backward, update). */
  readonly step: TrainStep;
  /** Iterations of the whole run, and per epoch. */
  readonly maxIters: number;
  readonly itersPerEpoch: number;
  /** Iterations per unit of the config's intervals: `itersPerEpoch` for `trainCfg.by: 'epoch'`, else 1. */
  readonly intervalUnit: number;
  /** Iterations between evaluations (the last iteration always evaluates). */
  readonly valInterval: number;
  /** The checkpointed training state (iteration, loader position, best metric, `extra`). */
  readonly state: TrainingState;
  /** Results shared between hooks. */
  readonly info: RunInfo;
  /** Completed iterations (the state's `iter`). */
  readonly iter: number;
  /** Options of the run (`dataRoot`, ...). */
  readonly options: { readonly dataRoot?: string };
  /**
   * Trains through `model` instead of the runner's model (distillation wraps the
   * student): rebuilds the training step. Only before the first iteration.
   */
  setLossModel(model: Model): void;
  /** Writes a periodic (or best, naming its metric) checkpoint and returns its path. */
  saveCheckpoint(kind: 'periodic' | 'best', metric?: string): string;
  /** Restores everything from a training checkpoint (calls every hook's `afterLoadCheckpoint`). */
  restore(path: string): void;
  /** Ends training after the current iteration (early stopping); `reason` is printed. */
  requestStop(reason: string): void;
}

/**
 * A runner hook. Implement the points you need; `priority` orders hooks
 * (see `PRIORITIES`); `name` names the hook in messages.
 */
export interface Hook {
  /** Name shown in messages, usually the registered type. */
  readonly name: string;
  /** 0 (first) … 100 (last); see {@link PRIORITIES}. */
  priority: number;
  /** Once, before anything else (before resuming). */
  beforeRun?(runner: HookRunner): void | Promise<void>;
  /** After resuming / loading weights, before the first iteration. */
  beforeTrain?(runner: HookRunner): void | Promise<void>;
  /** Before each iteration; the schedule's lr for it is already set. `index` is 0-based. */
  beforeTrainIter?(runner: HookRunner, index: number): void | Promise<void>;
  /** After each iteration. */
  afterTrainIter?(runner: HookRunner, info: TrainIterInfo): void | Promise<void>;
  /**
   * When the training step throws. Return `'retry'` when the hook repaired the
   * state (e.g. rolled back) and the loop should run the iteration again;
   * throw to replace the error. Otherwise the runner rethrows the error.
   */
  onTrainIterError?(runner: HookRunner, info: TrainIterErrorInfo): 'retry' | void | Promise<'retry' | void>;
  /** Before each evaluation. */
  beforeValEpoch?(runner: HookRunner): void | Promise<void>;
  /** After each validation batch, with its predictions. */
  afterValIter?(runner: HookRunner, info: ValIterInfo): void | Promise<void>;
  /** After each evaluation, with its metrics. */
  afterValEpoch?(runner: HookRunner, metrics: MetricValues): void | Promise<void>;
  /** Before a checkpoint is written: add or replace tensors and `state.extra` entries in `content`. */
  beforeSaveCheckpoint?(runner: HookRunner, content: CheckpointContent): void;
  /**
   * After a checkpoint file was read, before its tensors are loaded into the model and
   * optimizer: take back what `beforeSaveCheckpoint` added (copy tensors; the runner frees them after).
   */
  afterLoadCheckpoint?(runner: HookRunner, content: CheckpointContent): void;
  /** After the last iteration, before the final weights are written (not called when training stops early by `stopAtIter`). */
  afterTrain?(runner: HookRunner): void | Promise<void>;
  /** Once at the very end, also after a failure (free resources here). */
  afterRun?(runner: HookRunner): void | Promise<void>;
  /** Frees the hook's tensors (called by `Runner.dispose`). */
  dispose?(): void;
}

/** The points of {@link Hook} the runner calls. */
export type HookPoint = Exclude<keyof Hook, 'name' | 'priority' | 'dispose'>;

/**
 * `EMAHook`: keeps an exponential moving average of the model's weights
 * (timm's ModelEmaV2 update, optional ModelEmaV3 decay warm-up, see
 * {@link ExponentialMovingAverage}), evaluates on the averaged weights and
 * checkpoints them so that a resumed run continues the average bit-exactly.
 *
 * As in mmengine's EMAHook, a checkpoint's `model.*` tensors hold the averaged
 * weights (so evaluating or fine-tuning from a checkpoint uses them) and
 * `hooks.ema.*` the trained ones; resuming swaps them back. After the last
 * iteration the model takes the averaged weights, so `latest.safetensors`
 * holds them too. The number of updates is kept in the checkpointed state
 * (`extra.emaUpdates`) for the warm-up.
 */
import { tf } from '../../core/tf.js';
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import type { CheckpointContent } from '../checkpoint.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterInfo } from './hook.js';
import { ExponentialMovingAverage, emaDecayAt, type EmaDecayOptions } from './ema.js';

/** Options of {@link EMAHook}. */
export interface EMAHookOptions extends EmaDecayOptions {
  /** Update the average every N optimizer updates. Default 1. */
  interval: number;
  /** Evaluate on the averaged weights. Default true. */
  evalOnEma: boolean;
}

/** Prefix of the EMA hook's tensors inside `CheckpointContent.hooks`. */
export const EMA_PREFIX = 'ema.';

/** Averages the weights after each update. Priority NORMAL (as mmengine's), so checkpoints (VERY_LOW) see the new average. */
export class EMAHook implements Hook {
  readonly name = 'EMAHook';
  priority: number = PRIORITIES.NORMAL;
  private ema: ExponentialMovingAverage | null = null;
  /** Saved trained weights while the model holds the averaged ones for evaluation. */
  private swapped: Map<string, tf.Tensor> | null = null;

  constructor(readonly options: EMAHookOptions) {}

  /** The averaged state dict (null before training starts). */
  get average(): ReadonlyMap<string, tf.Variable> | null {
    return this.ema?.state ?? null;
  }

  /** Updates done so far (checkpointed). */
  static updates(runner: HookRunner): number {
    const v = runner.state.extra.emaUpdates;
    return typeof v === 'number' ? v : 0;
  }

  /** Starts the average from the model's weights after resuming / loading (unless a checkpoint already gave it). */
  beforeTrain(runner: HookRunner): void {
    this.ema ??= new ExponentialMovingAverage(runner.model.stateDict());
  }

  afterTrainIter(runner: HookRunner, info: TrainIterInfo): void {
    if (info.update === null || this.ema === null) return;
    const count = EMAHook.updates(runner) + 1;
    runner.state.extra = { ...runner.state.extra, emaUpdates: count };
    if (count % this.options.interval !== 0) return;
    this.ema.update(runner.model.stateDict(), emaDecayAt(count / this.options.interval, this.options));
  }

  beforeValEpoch(runner: HookRunner): void {
    if (!this.options.evalOnEma || this.ema === null) return;
    this.swapIn(runner);
  }

  afterValEpoch(runner: HookRunner): void {
    this.swapOut(runner);
  }

  /** Checkpoint: `model.*` = averaged weights, `hooks.ema.*` = trained weights (mmengine's swap). */
  beforeSaveCheckpoint(_runner: HookRunner, content: CheckpointContent): void {
    if (this.ema === null) return;
    const hooks = content.hooks ?? new Map<string, tf.Tensor>();
    content.hooks = hooks;
    for (const [name, averaged] of this.ema.state) {
      const trained = content.model.get(name);
      if (trained === undefined) continue;
      hooks.set(`${EMA_PREFIX}${name}`, trained);
      content.model.set(name, averaged);
    }
  }

  /** Resume: the average from `model.*`, and the trained weights (`hooks.ema.*`) handed to the model. */
  afterLoadCheckpoint(runner: HookRunner, content: CheckpointContent): void {
    // a checkpoint that does not fit the model is left to the runner's strict load, which names what differs
    if (!fitsModel(runner, content.model)) return;
    const hooks = content.hooks ?? new Map<string, tf.Tensor>();
    const hasEma = [...hooks.keys()].some((k) => k.startsWith(EMA_PREFIX));
    if (this.ema === null) this.ema = new ExponentialMovingAverage(content.model);
    else this.ema.assign(content.model);
    if (!hasEma) return; // a checkpoint written without EMA: the average starts from its weights
    for (const name of [...content.model.keys()]) {
      const trained = hooks.get(`${EMA_PREFIX}${name}`);
      if (trained === undefined) continue;
      content.model.get(name)?.dispose();
      content.model.set(name, trained);
    }
  }

  /** The final weights are the averaged ones. */
  afterTrain(runner: HookRunner): void {
    if (this.ema === null) return;
    runner.model.loadStateDict(this.ema.state, { strict: false, source: 'EMAHook' });
    runner.progress.message(`EMAHook: the final weights are the exponential moving average (${EMAHook.updates(runner)} updates)`);
  }

  /** Also restores the trained weights when an evaluation failed. */
  afterRun(runner: HookRunner): void {
    this.swapOut(runner);
  }

  dispose(): void {
    this.swapped?.forEach((t) => t.dispose());
    this.swapped = null;
    this.ema?.dispose();
    this.ema = null;
  }

  private swapIn(runner: HookRunner): void {
    if (this.ema === null || this.swapped !== null) return;
    const own = runner.model.stateDict();
    this.swapped = new Map([...own].filter(([name]) => this.ema?.state.has(name)).map(([name, t]) => [name, t.clone()]));
    runner.model.loadStateDict(this.ema.state, { strict: false, source: 'EMAHook' });
  }

  private swapOut(runner: HookRunner): void {
    if (this.swapped === null) return;
    runner.model.loadStateDict(this.swapped, { strict: false, source: 'EMAHook' });
    tf.dispose([...this.swapped.values()]);
    this.swapped = null;
  }
}

/** Whether `state` has every entry of the model's state dict with the same shape. */
function fitsModel(runner: HookRunner, state: ReadonlyMap<string, tf.Tensor>): boolean {
  const own = runner.model.stateDict();
  if (own.size !== state.size) return false;
  for (const [name, t] of own) {
    const v = state.get(name);
    if (v === undefined || v.shape.join(',') !== t.shape.join(',')) return false;
  }
  return true;
}

/** Registry entry of {@link EMAHook}. */
export const emaHookSpec: ComponentSpec<EMAHookOptions, Hook, HookContext> = {
  name: 'EMAHook',
  description: 'exponential moving average of the weights (timm ModelEmaV2, ModelEmaV3 warm-up); evaluation and final weights use it',
  defaults: { decay: 0.9998, warmup: false, warmupGamma: 1, warmupPower: 2 / 3, minDecay: 0, interval: 1, evalOnEma: true },
  ranges: { decay: { min: 0, max: 1 }, warmupGamma: RANGES.positive, warmupPower: RANGES.positive, minDecay: RANGES.ratio, interval: RANGES.positiveInt },
  docs: {
    decay: 'decay of the average (timm --model-ema-decay)',
    warmup: "warm the decay up as timm's ModelEmaV3 (the first update copies the weights)",
    warmupGamma: 'warm-up gamma',
    warmupPower: 'warm-up power',
    minDecay: 'lower bound of the warmed-up decay',
    interval: 'update every N optimizer updates',
    evalOnEma: 'evaluate on the averaged weights',
  },
  build: (options) => new EMAHook(options),
};

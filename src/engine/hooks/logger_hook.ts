/**
 * `LoggerHook` (mmengine's): averages the loss terms over `interval`
 * iterations and appends them to `<workDir>/scalars.jsonl`; writes every
 * evaluation there and prints it as a `[val]` line.
 */
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import type { MetricValues } from '../../evaluation/metric.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterInfo } from './hook.js';

/** Options of {@link LoggerHook}. */
export interface LoggerHookOptions {
  /** Log every N iterations (and at the last). Default 10. */
  interval: number;
}

/** Sums over the current logging interval. */
interface LogWindow {
  loss: number;
  losses: Record<string, number>;
  /** Updates in the window. */
  n: number;
  /** Milliseconds waiting for data. */
  data: number;
  /** `performance.now()` at the window's start. */
  start: number;
  images: number;
}

function emptyWindow(): LogWindow {
  return { loss: 0, losses: {}, n: 0, data: 0, start: performance.now(), images: 0 };
}

/** Writes the training and validation log. Priority BELOW_NORMAL (as mmengine's). */
export class LoggerHook implements Hook {
  readonly name = 'LoggerHook';
  priority: number = PRIORITIES.BELOW_NORMAL;
  private window = emptyWindow();

  constructor(readonly options: LoggerHookOptions) {}

  beforeTrain(): void {
    this.window = emptyWindow();
  }

  afterTrainIter(runner: HookRunner, info: TrainIterInfo): void {
    const w = this.window;
    w.data += info.dataSeconds * 1000;
    const { update } = info;
    if (update !== null) {
      w.loss += update.total;
      for (const [k, v] of Object.entries(update.losses)) w.losses[k] = (w.losses[k] ?? 0) + v;
      w.n++;
      w.images += info.images;
    }
    const done = info.index + 1;
    if (w.n === 0 || (done % this.options.interval !== 0 && done !== runner.maxIters)) return;
    const elapsed = (performance.now() - w.start) / 1000;
    const meanLoss = w.loss / w.n;
    const record = {
      mode: 'train' as const,
      iter: done,
      epoch: Math.floor(info.index / runner.itersPerEpoch),
      lr: runner.optimizer.groups[0]?.lr ?? 0,
      loss: meanLoss,
      losses: Object.fromEntries(Object.entries(w.losses).map(([k, v]) => [k, v / w.n])),
      imagesPerSecond: w.images / elapsed,
      dataTime: w.data / 1000 / w.n,
      time: elapsed / w.n,
      gradNorm: update?.gradNorm,
    };
    runner.log.write(record);
    runner.info.lastTrainLog = record;
    runner.info.firstLoss ??= meanLoss;
    runner.info.lastLoss = meanLoss;
    this.window = emptyWindow();
  }

  afterValEpoch(runner: HookRunner, metrics: MetricValues): void {
    const epoch = Math.floor(runner.iter / runner.itersPerEpoch);
    runner.log.write({ mode: 'val', iter: runner.iter, epoch, metrics });
    const shown = Object.entries(metrics)
      .filter(([k]) => !k.includes('/class/') && !k.startsWith('IoU.') && !k.startsWith('Acc.'))
      .map(([k, v]) => `${k} ${v === null ? 'n/a' : v.toFixed(4)}`)
      .join('  ');
    runner.progress.message(`[val] iter ${runner.iter}: ${shown}`);
  }
}

/** Registry entry of {@link LoggerHook}. */
export const loggerHookSpec: ComponentSpec<LoggerHookOptions, Hook, HookContext> = {
  name: 'LoggerHook',
  description: 'interval means of the loss terms, lr and throughput to scalars.jsonl; evaluations to scalars.jsonl and the console',
  defaults: { interval: 10 },
  ranges: { interval: RANGES.positiveInt },
  docs: { interval: 'log every N iterations' },
  build: (options) => new LoggerHook(options),
};

/**
 * `ProgressBarHook`: shows each logged training interval on the runner's
 * progress printer (a redrawn bar on a terminal, one line per log otherwise)
 * with the estimated time left.
 */
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterInfo } from './hook.js';

/** Options of {@link ProgressBarHook} (none). */
export type ProgressBarHookOptions = Record<string, never>;

/** Draws the progress of the logger hook's records. Priority LOW (after the logger, BELOW_NORMAL). */
export class ProgressBarHook implements Hook {
  readonly name = 'ProgressBarHook';
  priority: number = PRIORITIES.LOW;

  afterTrainIter(runner: HookRunner, info: TrainIterInfo): void {
    const record = runner.info.lastTrainLog;
    const done = info.index + 1;
    if (record === null || record.iter !== done) return;
    const perIter = (performance.now() - runner.info.runStart) / 1000 / (done - runner.info.startIter);
    runner.progress.update({
      iter: done,
      maxIters: runner.maxIters,
      epoch: record.epoch,
      lr: record.lr,
      loss: record.loss,
      imagesPerSecond: record.imagesPerSecond,
      etaSeconds: perIter * (runner.maxIters - done),
    });
  }
}

/** Registry entry of {@link ProgressBarHook}. */
export const progressBarHookSpec: ComponentSpec<ProgressBarHookOptions, Hook, HookContext> = {
  name: 'ProgressBarHook',
  description: 'progress bar (terminal) or progress lines with loss, lr, throughput and time left',
  defaults: {},
  build: () => new ProgressBarHook(),
};

/**
 * `NanGuardHook`: the runner's answer to an update that turned the loss, the
 * gradients or the weights non-finite (the training step detects it and throws
 * {@link NonFiniteLossError}; nothing non-finite is ever written).
 *
 * Without `rollback` it stops training with the error naming the failing
 * iteration and the last checkpoint on disk (all of which are finite). With
 * `rollback` (and rollbacks left) it restores a checkpoint older than the
 * failing iteration and scales the lr by `lrFactor`; a failure before the run
 * has passed the iteration it last rolled back from goes one checkpoint further
 * back. The lr multiplier is kept in the checkpointed state (`extra.lrScale`),
 * so a resumed run keeps it. Built from the config's `nanGuard` section.
 */
import type { NanGuardConfig } from '../../config/schema.js';
import { NonFiniteLossError } from '../non_finite_guard.js';
import { PRIORITIES, type Hook, type HookRunner, type TrainIterErrorInfo } from './hook.js';

/** Options of {@link NanGuardHook}: the config's `nanGuard` section. */
export type NanGuardHookOptions = NanGuardConfig;

/** Stops or rolls back on a non-finite update. Priority VERY_HIGH (its lr scaling comes before other hooks read the lr). */
export class NanGuardHook implements Hook {
  readonly name = 'NanGuardHook';
  priority: number = PRIORITIES.VERY_HIGH;
  private rollbacks = 0;
  private lastRollback: { failedAt: number; depth: number } | null = null;

  constructor(readonly options: NanGuardHookOptions) {}

  /** The lr multiplier left by rollbacks (1 without). */
  static lrScale(runner: HookRunner): number {
    const v = runner.state.extra.lrScale;
    return typeof v === 'number' ? v : 1;
  }

  /** Applies the rollbacks' lr multiplier on top of the schedule's lr. */
  beforeTrainIter(runner: HookRunner): void {
    const scale = NanGuardHook.lrScale(runner);
    if (scale !== 1) for (const g of runner.optimizer.groups) g.lr *= scale;
  }

  onTrainIterError(runner: HookRunner, info: TrainIterErrorInfo): 'retry' | void {
    const err = info.error;
    if (!(err instanceof NonFiniteLossError)) return;
    if (this.rollBack(runner, err)) return 'retry';
    runner.progress.finish();
    throw err.withLastGoodCheckpoint(runner.checkpoints.latest());
  }

  private rollBack(runner: HookRunner, err: NonFiniteLossError): boolean {
    const guard = this.options;
    if (!guard.rollback || this.rollbacks >= guard.maxRollbacks) return false;
    const older = runner.checkpoints
      .periodic()
      .filter((c) => c.iter < err.iter)
      .reverse();
    const again = this.lastRollback !== null && err.iter <= this.lastRollback.failedAt;
    const depth = again && this.lastRollback !== null ? this.lastRollback.depth + 1 : 0;
    const target = older[Math.min(depth, older.length - 1)];
    if (target === undefined) return false;
    const path = runner.checkpoints.pathOf(target.file);
    runner.step.reset();
    const scale = NanGuardHook.lrScale(runner) * guard.lrFactor;
    runner.restore(path);
    runner.state.extra = { ...runner.state.extra, lrScale: scale };
    this.rollbacks++;
    this.lastRollback = { failedAt: Math.max(err.iter, this.lastRollback?.failedAt ?? 0), depth };
    runner.progress.message(
      `nanGuard: ${err.quantity} non-finite at iteration ${err.iter}; rolled back to ${path} (iteration ${runner.iter}) ` +
        `with the lr scaled by ${scale} (rollback ${this.rollbacks} of ${guard.maxRollbacks})`,
    );
    return true;
  }
}

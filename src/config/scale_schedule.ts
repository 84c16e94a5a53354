/**
 * Scales an iteration-based schedule to a new training length, for the
 * command-line gesture "train this config for N iterations instead"
 * (`--cfg-options trainCfg.maxIters=N`): every step-valued option of every
 * iteration-based scheduler (`begin`, `end`, `milestones`, `tMax`) is
 * multiplied by `N / maxIters of the file`, so the schedule keeps its shape
 * (a 30-of-600 warm-up becomes 1-of-20) instead of no longer fitting.
 */
import { isPlainObject } from '../registry/options.js';

/** Keys of a scheduler that count iterations from the start of training. */
const BOUNDARY_KEYS = ['begin', 'end'] as const;

/**
 * Maps one iteration boundary of a `from`-iteration schedule onto a `to`-iteration one.
 * 0 stays 0 and the end of training stays the end; boundaries in between stay
 * inside, at `2 … to − 1` where the run is long enough: a first phase keeps two
 * iterations, the fewest in which a warm-up reaches its full lr (mmengine's
 * `LinearLR` reaches `endFactor` at its last step, `end − begin − 1`; with one
 * step it never leaves `startFactor`). Equal boundaries map to equal ones, so
 * back-to-back phases stay back to back.
 */
export function scaleBoundary(value: number, from: number, to: number): number {
  if (value <= 0) return value;
  if (value >= from) return to + (value - from);
  return Math.min(to - 1, Math.max(2, Math.round((value * to) / from)));
}

/** A step count inside a scheduler (`tMax`, a milestone): scaled and rounded, at least 1. */
function scaleSteps(value: number, from: number, to: number): number {
  return value <= 0 ? value : Math.max(1, Math.round((value * to) / from));
}

/**
 * Scales the iteration-based schedulers of `config.paramScheduler` (in place)
 * from a `from`-iteration run to a `to`-iteration one. Epoch-based schedulers
 * (`byEpoch: true`) are left alone; unset `end`s already follow `trainCfg.maxIters`.
 * Nothing is scaled for `to` < 2.
 * @returns one line per changed key (`paramScheduler.0.end 30 → 1`), empty when nothing changed.
 */
export function scaleScheduleToLength(config: Record<string, unknown>, from: number, to: number): string[] {
  const changes: string[] = [];
  // A 1-iteration run has no room for two phases: the schedule check then names the keys to set.
  if (!(from > 0) || !(to > 1) || from === to || !Array.isArray(config.paramScheduler)) return changes;
  config.paramScheduler.forEach((s: unknown, i: number) => {
    if (!isPlainObject(s) || s.byEpoch === true) return;
    const set = (key: string, next: unknown, before: unknown): void => {
      if (JSON.stringify(next) === JSON.stringify(before)) return;
      s[key] = next;
      changes.push(`paramScheduler.${i}.${key} ${JSON.stringify(before)} → ${JSON.stringify(next)}`);
    };
    for (const key of BOUNDARY_KEYS) {
      const v = s[key];
      if (typeof v === 'number' && Number.isFinite(v) && v < 1e9) set(key, scaleBoundary(v, from, to), v);
    }
    if (typeof s.tMax === 'number') set('tMax', scaleSteps(s.tMax, from, to), s.tMax);
    if (Array.isArray(s.milestones) && s.milestones.every((m) => typeof m === 'number')) {
      set(
        'milestones',
        (s.milestones as number[]).map((m) => scaleSteps(m, from, to)),
        s.milestones,
      );
    }
  });
  return changes;
}

/**
 * `EarlyStoppingHook` (mmengine's semantics): after each evaluation, compares
 * the monitored metric with the best so far and ends training when it has not
 * improved by `minDelta` for `patience` evaluations in a row, when it is not
 * finite (`checkFinite`), or when it passes `stoppingThreshold`.
 *
 * "Not improved" for rule 'greater' means `best + minDelta > current` (for 'less',
 * `best − minDelta < current`); without `rule` it is inferred from the metric
 * name as mmengine does ('acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice',
 * 'mIoU', 'mAcc', 'aAcc' → greater; 'loss' → less). The best value and the wait
 * count are kept in the checkpointed state (`extra.earlyStopping`), so a resumed
 * run counts on where it stopped (mmengine's hook does not save them).
 */
import { ConfigError } from '../../core/errors.js';
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import type { MetricValues } from '../../evaluation/metric.js';
import { PRIORITIES, type Hook, type HookRunner } from './hook.js';

/** Options of {@link EarlyStoppingHook}. */
export interface EarlyStoppingHookOptions {
  /** The metric to monitor, e.g. 'accuracy/top1' (required). */
  monitor: string | null;
  /** 'greater' or 'less' is better; null infers it from the name. Default null. */
  rule: string | null;
  /** Smallest change that counts as an improvement. Default 0.1 (mmengine's). */
  minDelta: number;
  /** Evaluations without improvement before stopping. Default 5. */
  patience: number;
  /** Stop when the metric is NaN or ±Inf. Default true. */
  checkFinite: boolean;
  /** Stop as soon as the metric is better than this; null for none. Default null. */
  stoppingThreshold: number | null;
  /** A missing metric is an error (true) or skipped with a message (false). Default false. */
  strict: boolean;
}

const GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc'];
const LESS_KEYS = ['loss'];

/** The rule of a metric name as mmengine infers it, or null. */
export function inferRule(monitor: string): 'greater' | 'less' | null {
  if (GREATER_KEYS.some((k) => monitor.includes(k))) return 'greater';
  if (LESS_KEYS.some((k) => monitor.includes(k))) return 'less';
  return null;
}

/** What the hook keeps between evaluations (checkpointed). */
interface EarlyStoppingState {
  best: number;
  wait: number;
}

/** Ends training when the monitored metric stops improving. Priority LOWEST (after the checkpoint hook saved the best). */
export class EarlyStoppingHook implements Hook {
  readonly name = 'EarlyStoppingHook';
  priority: number = PRIORITIES.LOWEST;
  readonly monitor: string;
  readonly rule: 'greater' | 'less';

  constructor(
    readonly options: EarlyStoppingHookOptions,
    path = 'EarlyStoppingHook',
  ) {
    if (options.monitor === null) throw new ConfigError(`${path}.monitor: required, the metric to watch (e.g. 'accuracy/top1')`);
    this.monitor = options.monitor;
    const rule = options.rule ?? inferRule(options.monitor);
    if (rule === null) {
      throw new ConfigError(`${path}.rule: cannot infer whether '${options.monitor}' should grow or shrink; set rule to 'greater' or 'less'`);
    }
    this.rule = rule as 'greater' | 'less';
  }

  private better(a: number, b: number): boolean {
    return this.rule === 'greater' ? a > b : a < b;
  }

  private stateOf(runner: HookRunner): EarlyStoppingState {
    const s = runner.state.extra.earlyStopping as EarlyStoppingState | undefined;
    // JSON has no Infinity: a missing best is the worst value
    return s !== undefined && typeof s.best === 'number' ? s : { best: this.rule === 'greater' ? -Infinity : Infinity, wait: s?.wait ?? 0 };
  }

  afterValEpoch(runner: HookRunner, metrics: MetricValues): void {
    const current = metrics[this.monitor];
    if (current === undefined) {
      const known = Object.keys(metrics).slice(0, 10).join(', ');
      if (this.options.strict) throw new ConfigError(`EarlyStoppingHook.monitor: metric '${this.monitor}' not produced; got ${known}`);
      runner.progress.message(`EarlyStoppingHook: metric '${this.monitor}' not produced (got ${known}); skipped`);
      return;
    }
    const value = current ?? NaN;
    const s = this.stateOf(runner);
    const delta = this.rule === 'greater' ? this.options.minDelta : -this.options.minDelta;
    let reason: string | null = null;
    const threshold = this.options.stoppingThreshold;
    if (this.options.checkFinite && !Number.isFinite(value)) {
      reason = `monitored metric ${this.monitor} = ${value} is not finite; the best was ${s.best.toFixed(4)}`;
    } else if (threshold !== null && this.better(value, threshold)) {
      s.best = value;
      reason = `stopping threshold reached: ${this.monitor} = ${value} is ${this.rule} than ${threshold}`;
    } else if (this.better(s.best + delta, value)) {
      s.wait++;
      if (s.wait >= this.options.patience) {
        reason = `${this.monitor} did not improve in the last ${s.wait} evaluations; the best was ${s.best.toFixed(4)}`;
      }
    } else {
      s.best = value;
      s.wait = 0;
    }
    runner.state.extra = { ...runner.state.extra, earlyStopping: { best: Number.isFinite(s.best) ? s.best : null, wait: s.wait } };
    if (reason !== null) runner.requestStop(`early stopping: ${reason}`);
  }
}

/** Registry entry of {@link EarlyStoppingHook}. */
export const earlyStoppingHookSpec: ComponentSpec<EarlyStoppingHookOptions, Hook, HookContext> = {
  name: 'EarlyStoppingHook',
  description: 'ends training when a validation metric stops improving (mmengine semantics: patience, minDelta, rule, threshold)',
  defaults: { monitor: null, rule: null, minDelta: 0.1, patience: 5, checkFinite: true, stoppingThreshold: null, strict: false },
  kinds: { monitor: ['string'], rule: ['string', 'null'], stoppingThreshold: ['number', 'null'] },
  required: ['monitor'],
  choices: { rule: ['greater', 'less', null] },
  ranges: { minDelta: RANGES.nonNegative, patience: RANGES.positiveInt },
  docs: {
    monitor: "metric to monitor, e.g. 'accuracy/top1'",
    rule: "'greater' or 'less' is better; null infers it from the metric name",
    minDelta: 'smallest change counted as an improvement',
    patience: 'evaluations without improvement before stopping',
    checkFinite: 'stop when the metric is NaN or infinite',
    stoppingThreshold: 'stop once the metric is better than this',
    strict: 'a missing metric is an error instead of a skip',
  },
  build: (options, _context, path) => new EarlyStoppingHook(options, path),
};

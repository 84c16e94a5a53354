/**
 * Learning-rate schedules as mmengine's `param_scheduler` entries, as pure
 * functions of the iteration.
 *
 * mmengine's schedulers are *chained*: each one, when active, rewrites the
 * group's current lr from its previous value (`_get_value`), in list order,
 * once at construction (global step 0) and after every iteration. Every such
 * update is an affine map of the incoming lr (`x ← a·x + b`), and for each
 * scheduler the composition of its updates over a range of its steps has a
 * closed form ({@link LrScheduler.span}). {@link ScheduleSet} composes them over
 * the ranges where the set of active schedulers is constant, which gives
 * mmengine's chained values (up to float rounding) at any iteration without
 * replaying the history — so resuming at iteration N sets exactly the lr an
 * uninterrupted run would have.
 *
 * Conventions: `begin`/`end` delimit the half-open range `[begin, end)` of
 * global steps where a scheduler acts; its *local step* is `k = step − begin`.
 * The lr used by training iteration `i` (0-based) is the value after the
 * schedulers have stepped at global step `i` (mmengine steps once when built,
 * then after each iteration).
 */
import { ConfigError } from '../core/errors.js';

/** mmengine's "no end" (`INF = int(1e9)`). */
export const INF = 1e9;

/** An affine map of the learning rate: `x ↦ mul·x + add`. */
export interface AffineMap {
  /** Multiplicative part. */
  mul: number;
  /** Additive part. */
  add: number;
}

const IDENTITY: AffineMap = { mul: 1, add: 0 };

/** Options shared by every scheduler. */
export interface SchedulerCommonOptions {
  /** First step (iteration, or epoch with `byEpoch`) where the scheduler acts. Default 0. */
  begin: number;
  /**
   * Step where it stops acting (exclusive). Default null: the training length
   * given at build time (`maxEpochs` with `byEpoch`, else `maxIters`), else mmengine's INF.
   */
  end: number | null;
  /** `begin`, `end` (and milestones, `tMax`) count epochs rather than iterations. Default false. */
  byEpoch: boolean;
  /**
   * With `byEpoch`, convert to an iteration-based schedule (mmengine's
   * `convert_to_iter_based`: values multiplied by the iterations per epoch,
   * `begin`/`end` truncated to integers). Default true (mmengine's default is
   * false: the lr then changes only at epoch boundaries, which `false` reproduces).
   */
  convertToIterBased: boolean;
}

/** What a scheduler needs to know about the training run when built. */
export interface SchedulerBuildContext {
  /** Iterations per epoch (`len(train_dataloader)`); required by `byEpoch` schedules. Default null. */
  itersPerEpoch?: number | null;
  /** Training length in iterations (default `end` of iteration-based schedules). Default null. */
  maxIters?: number | null;
  /** Training length in epochs (default `end` of epoch-based schedules). Default null. */
  maxEpochs?: number | null;
}

/** How a scheduler's steps are clocked after build-time conversion. */
export type SchedulerClock = 'iter' | 'epoch';

/**
 * Base class of the lr schedulers. After construction all quantities are in
 * the scheduler's clock units: iterations, or epochs for an unconverted
 * `byEpoch` schedule (which then steps at iterations `e · itersPerEpoch`).
 */
export abstract class LrScheduler {
  /** Registry name (`LinearLR`, ...). */
  abstract readonly type: string;
  /** First active step, in clock units. */
  readonly begin: number;
  /** End of the active range (exclusive), in clock units. */
  readonly end: number;
  /** What the steps count. */
  readonly clock: SchedulerClock;
  /** Iterations per epoch (1 for iteration clocks). */
  readonly itersPerEpoch: number;

  /**
   * Resolves `begin`/`end` and the clock from the options and the build
   * context; subclasses convert their own step-valued options with {@link scale}.
   * @throws ConfigError when `end ≤ begin` or `byEpoch` lacks `itersPerEpoch`.
   */
  protected constructor(common: SchedulerCommonOptions, context: SchedulerBuildContext, name: string) {
    const byEpoch = common.byEpoch;
    const perEpoch = context.itersPerEpoch ?? null;
    if (byEpoch && (perEpoch === null || !(perEpoch > 0) || !Number.isInteger(perEpoch))) {
      throw new ConfigError(`${name}: byEpoch needs the number of iterations per epoch (a positive integer), got ${perEpoch}`);
    }
    const defaultEnd = byEpoch ? (context.maxEpochs ?? null) : (context.maxIters ?? null);
    const rawEnd = common.end ?? defaultEnd ?? INF;
    if (!(rawEnd > common.begin)) throw new ConfigError(`${name}: end (${rawEnd}) must be larger than begin (${common.begin})`);
    if (!(common.begin >= 0)) throw new ConfigError(`${name}: begin must be ≥ 0, got ${common.begin}`);
    if (byEpoch && common.convertToIterBased) {
      const L = perEpoch as number;
      this.clock = 'iter';
      this.itersPerEpoch = 1;
      this.begin = Math.trunc(common.begin * L);
      this.end = rawEnd === INF ? INF : Math.trunc(rawEnd * L);
      this.conversion = L;
    } else {
      if (!Number.isInteger(common.begin)) throw new ConfigError(`${name}: begin must be an integer, got ${common.begin}`);
      this.clock = byEpoch ? 'epoch' : 'iter';
      this.itersPerEpoch = byEpoch ? (perEpoch as number) : 1;
      this.begin = common.begin;
      this.end = rawEnd;
      this.conversion = 1;
    }
    if (!(this.end > this.begin)) throw new ConfigError(`${name}: the converted range [${this.begin}, ${this.end}) is empty`);
  }

  /** Factor applied to step-valued options by the conversion (iterations per epoch, or 1). */
  private readonly conversion: number;

  /** Converts a step-valued option (milestone, `tMax`) as mmengine's `build_iter_from_epoch` does (no truncation). */
  protected scale(steps: number): number {
    return steps * this.conversion;
  }

  /** Last local step, `end − begin − 1` (mmengine's `total_iters`). */
  get totalSteps(): number {
    return this.end - this.begin - 1;
  }

  /** First global iteration where the scheduler acts. */
  get beginIter(): number {
    return this.begin * this.itersPerEpoch;
  }

  /** Global iteration where it stops acting (exclusive; may exceed INF for epoch clocks). */
  get endIter(): number {
    return this.end * this.itersPerEpoch;
  }

  /**
   * mmengine's `_get_value` at local step `k`: the new lr from the current lr
   * `x` of a group whose initial lr is `base`. Exactly mmengine's arithmetic.
   */
  abstract applyStep(k: number, x: number, base: number): number;

  /**
   * The composition of local steps `k0 … k1` (inclusive, `k0 ≤ k1`, applied in
   * order) as one affine map, in closed form, or null when there is none
   * (the caller then replays the steps).
   */
  abstract span(k0: number, k1: number, base: number): AffineMap | null;

  /** The local step that fires at global iteration `g`, or null. */
  localStepAt(g: number): number | null {
    if (this.clock === 'iter') return g >= this.begin && g < this.end ? g - this.begin : null;
    if (g % this.itersPerEpoch !== 0) return null;
    const e = g / this.itersPerEpoch;
    return e >= this.begin && e < this.end ? e - this.begin : null;
  }

  /** The local steps firing in global iterations `[a, b]`, as an inclusive range, or null if none. */
  localStepsIn(a: number, b: number): [number, number] | null {
    let first: number;
    let last: number;
    if (this.clock === 'iter') {
      first = Math.max(a, this.begin);
      last = Math.min(b, this.end - 1);
    } else {
      const L = this.itersPerEpoch;
      first = Math.max(Math.ceil(a / L), this.begin);
      last = Math.min(Math.floor(b / L), this.end - 1);
    }
    return first <= last ? [first - this.begin, last - this.begin] : null;
  }
}

function commonOf(o: Partial<SchedulerCommonOptions>): SchedulerCommonOptions {
  return { begin: o.begin ?? 0, end: o.end ?? null, byEpoch: o.byEpoch ?? false, convertToIterBased: o.convertToIterBased ?? true };
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions extends SchedulerCommonOptions {
  /** Factor of the lr at the first step, in (0, 1]. Default 1/3. */
  startFactor: number;
  /** Factor at the last step `end − 1`, in [0, 1]. Default 1. */
  endFactor: number;
}

/**
 * Linear change of the lr factor (mmengine `LinearLR`), typically a warm-up.
 *
 * Closed form, alone, with `T = end − begin − 1` and local step `k ∈ [0, T]`:
 * `lr = base · (s + (e − s) · k / T)` — from `s·base` at `begin` to `e·base` at
 * `end − 1`; afterwards the lr is left as it is. Chained, each step multiplies
 * the current lr by `f(k)/f(k−1)` (`f(−1) = 1`), `f(k) = s + (e − s)·k/T`.
 */
export class LinearLR extends LrScheduler {
  readonly type = 'LinearLR';
  /** Start factor. */
  readonly startFactor: number;
  /** End factor. */
  readonly endFactor: number;

  constructor(options: Partial<LinearLROptions> = {}, context: SchedulerBuildContext = {}) {
    super(commonOf(options), context, 'LinearLR');
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) {
      throw new ConfigError(`LinearLR: startFactor must be in (0, 1] (mmengine divides by it), got ${this.startFactor}`);
    }
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new ConfigError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
  }

  /** The factor `f(k)` relative to the lr entering the schedule. */
  factor(k: number): number {
    if (k < 0) return 1;
    const T = this.totalSteps;
    return T === 0 ? this.startFactor : this.startFactor + ((this.endFactor - this.startFactor) * Math.min(k, T)) / T;
  }

  applyStep(k: number, x: number): number {
    const s = this.startFactor;
    const e = this.endFactor;
    if (k === 0) return x * s;
    return x * (1 + (e - s) / (this.totalSteps * s + (k - 1) * (e - s)));
  }

  span(k0: number, k1: number): AffineMap {
    return { mul: this.factor(k1) / this.factor(k0 - 1), add: 0 };
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions extends SchedulerCommonOptions {
  /** Period T_max (steps; epochs with `byEpoch`). Default null: `end − begin`. */
  tMax: number | null;
  /** Absolute minimum lr. Default null (0 when `etaMinRatio` is null too). */
  etaMin: number | null;
  /** Minimum lr as a ratio of the group's initial lr (exclusive with `etaMin`). Default null. */
  etaMinRatio: number | null;
}

/**
 * Cosine annealing (mmengine `CosineAnnealingLR`), from the lr it finds at
 * `begin` (η₀) towards `ηmin` (`etaMin`, or `etaMinRatio · initial lr`).
 *
 * Closed form, alone, local step `k ≤ T_max`:
 * `lr = ηmin + (η₀ − ηmin) · (1 + cos(π k / T_max)) / 2`.
 * Chained, each step maps `x ↦ ηmin + (x − ηmin)·C(k)/C(k−1)`, `C(k) = 1 + cos(πk/T_max)`,
 * except at `k = (2j+1)·T_max + 1`, where mmengine adds
 * `(base − ηmin)(1 − cos(π/T_max))/2` (the restart branch; those ranges are replayed).
 * After a LinearLR warm-up ending at factor 1, η₀ is the base lr.
 */
export class CosineAnnealingLR extends LrScheduler {
  readonly type = 'CosineAnnealingLR';
  /** T_max in clock units (after conversion). */
  readonly tMax: number;
  /** Absolute minimum, or null. */
  readonly etaMin: number | null;
  /** Relative minimum, or null. */
  readonly etaMinRatio: number | null;

  constructor(options: Partial<CosineAnnealingLROptions> = {}, context: SchedulerBuildContext = {}) {
    super(commonOf(options), context, 'CosineAnnealingLR');
    const etaMin = options.etaMin ?? null;
    const etaMinRatio = options.etaMinRatio ?? null;
    if (etaMin !== null && etaMinRatio !== null) {
      throw new ConfigError('CosineAnnealingLR: set either etaMin or etaMinRatio, not both');
    }
    this.etaMin = etaMin === null && etaMinRatio === null ? 0 : etaMin;
    this.etaMinRatio = etaMinRatio;
    const tMax = options.tMax ?? null;
    // mmengine: `T_max or (end − begin)`, with T_max converted before (so 0 also falls back).
    this.tMax = tMax !== null && tMax !== 0 ? this.scale(tMax) : this.end - this.begin;
    if (!(this.tMax > 0)) throw new ConfigError(`CosineAnnealingLR: tMax must be > 0, got ${this.tMax}`);
  }

  /** The minimum for a group whose initial lr is `base`. */
  minFor(base: number): number {
    return this.etaMinRatio === null ? (this.etaMin as number) : base * this.etaMinRatio;
  }

  private isRestartStep(k: number): boolean {
    const n = 2 * this.tMax;
    return (((k - 1 - this.tMax) % n) + n) % n === 0;
  }

  applyStep(k: number, x: number, base: number): number {
    const m = this.minFor(base);
    const T = this.tMax;
    if (k === 0) return x;
    if (this.isRestartStep(k)) return x + ((base - m) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * k) / T)) / (1 + Math.cos((Math.PI * (k - 1)) / T))) * (x - m) + m;
  }

  span(k0: number, k1: number, base: number): AffineMap | null {
    const first = Math.max(k0, 1);
    if (first > k1) return IDENTITY;
    const T = this.tMax;
    if (k1 > T) {
      if (!Number.isInteger(T)) return null;
      // Restart steps are k = (2j+1)·T + 1; is one of them in [first, k1]?
      const j = Math.max(0, Math.ceil((first - 1 - T) / (2 * T)));
      if ((2 * j + 1) * T + 1 <= k1) return null;
    }
    const c = (k: number): number => 1 + Math.cos((Math.PI * k) / T);
    const mul = c(k1) / c(first - 1);
    return { mul, add: this.minFor(base) * (1 - mul) };
  }
}

/** Options of {@link PolyLR}. */
export interface PolyLROptions extends SchedulerCommonOptions {
  /** Power of the polynomial. Default 1. */
  power: number;
  /** Absolute lr reached at the last step `end − 1`. Default 0. */
  etaMin: number;
}

/**
 * Polynomial decay (mmengine `PolyLR`) from the lr it finds at `begin` (η₀).
 *
 * Closed form, alone, `T = end − begin − 1`, local step `k ∈ [0, T]`:
 * `lr = ηmin + (η₀ − ηmin) · (1 − k/T)^power` (ηmin reached at `end − 1`).
 * Chained, each step maps `x ↦ ηmin + (x − ηmin)·(1 − 1/(T − k + 1))^power`.
 */
export class PolyLR extends LrScheduler {
  readonly type = 'PolyLR';
  /** Power. */
  readonly power: number;
  /** Minimum lr (absolute). */
  readonly etaMin: number;

  constructor(options: Partial<PolyLROptions> = {}, context: SchedulerBuildContext = {}) {
    super(commonOf(options), context, 'PolyLR');
    this.power = options.power ?? 1;
    this.etaMin = options.etaMin ?? 0;
    if (!(this.power >= 0)) throw new ConfigError(`PolyLR: power must be ≥ 0, got ${this.power}`);
  }

  applyStep(k: number, x: number): number {
    if (k === 0) return x;
    return (x - this.etaMin) * (1 - 1 / (this.totalSteps - k + 1)) ** this.power + this.etaMin;
  }

  span(k0: number, k1: number): AffineMap {
    const first = Math.max(k0, 1);
    if (first > k1) return IDENTITY;
    const T = this.totalSteps;
    const mul = ((T - k1) / (T - first + 1)) ** this.power;
    return { mul, add: this.etaMin * (1 - mul) };
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions extends SchedulerCommonOptions {
  /** Steps (relative to `begin`, as in mmengine) where the lr is multiplied by `gamma`. Default []. */
  milestones: number[];
  /** Decay factor. Default 0.1. */
  gamma: number;
}

/**
 * Step decay at milestones (mmengine `MultiStepLR`).
 *
 * Closed form, alone: `lr = base · γ^(number of milestones ≤ k)`, local step k
 * (milestones count from `begin`, as in mmengine; a repeated milestone decays
 * once per repetition).
 */
export class MultiStepLR extends LrScheduler {
  readonly type = 'MultiStepLR';
  /** Milestones in clock units (after conversion), sorted, with repetitions. */
  readonly milestones: number[];
  /** Decay factor. */
  readonly gamma: number;

  constructor(options: Partial<MultiStepLROptions> = {}, context: SchedulerBuildContext = {}) {
    super(commonOf(options), context, 'MultiStepLR');
    const milestones = options.milestones ?? [];
    if (!milestones.every((m) => typeof m === 'number' && m >= 0)) {
      throw new ConfigError(`MultiStepLR: milestones must be numbers ≥ 0, got ${JSON.stringify(milestones)}`);
    }
    this.milestones = milestones.map((m) => this.scale(m)).sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
  }

  private countIn(k0: number, k1: number): number {
    // Only integral milestones can equal a step (mmengine tests `last_step in milestones`).
    return this.milestones.filter((m) => Number.isInteger(m) && m >= k0 && m <= k1).length;
  }

  applyStep(k: number, x: number): number {
    const c = this.countIn(k, k);
    return c === 0 ? x : x * this.gamma ** c;
  }

  span(k0: number, k1: number): AffineMap {
    return { mul: this.gamma ** this.countIn(k0, k1), add: 0 };
  }
}

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions extends SchedulerCommonOptions {
  /** Factor applied until the last step of the range, in (0, 1]. Default 1/3. */
  factor: number;
}

/**
 * Constant factor (mmengine `ConstantLR`): `lr = base · factor` for local steps
 * `k < T = end − begin − 1`, and the factor is removed (`÷ factor`) at `k = T`
 * (so the last iteration of the range already has the full lr). With `T = 0`
 * the factor is never removed, as in mmengine.
 */
export class ConstantLR extends LrScheduler {
  readonly type = 'ConstantLR';
  /** The factor. */
  readonly factor: number;

  constructor(options: Partial<ConstantLROptions> = {}, context: SchedulerBuildContext = {}) {
    super(commonOf(options), context, 'ConstantLR');
    this.factor = options.factor ?? 1 / 3;
    if (!(this.factor > 0 && this.factor <= 1)) throw new ConfigError(`ConstantLR: factor must be in (0, 1], got ${this.factor}`);
  }

  applyStep(k: number, x: number): number {
    if (k === 0) return x * this.factor;
    if (k === this.totalSteps) return x * (1 / this.factor);
    return x;
  }

  span(k0: number, k1: number): AffineMap {
    let mul = 1;
    if (k0 <= 0 && 0 <= k1) mul *= this.factor;
    const T = this.totalSteps;
    if (T !== 0 && k0 <= T && T <= k1) mul *= 1 / this.factor;
    return { mul, add: 0 };
  }
}

/** Anything whose groups' learning rates a schedule can set (an {@link Optimizer}). */
export interface LrSettable {
  /** Groups with their initial (unscheduled) and current learning rates. */
  readonly groups: ReadonlyArray<{ lr: number; readonly initialLr: number }>;
}

/**
 * A list of schedulers composed as mmengine chains them (list order; at a
 * global step > 0, iteration-clocked ones before epoch-clocked ones, as
 * mmengine's `ParamSchedulerHook` steps them after the iteration, then after the epoch).
 *
 * Usage, before training iteration `iter` (0-based): `schedule.apply(optimizer, iter)`
 * (exact per group), or `optimizer.setLrFactor(schedule.factorAt(iter))` (exact
 * when every group scales alike, i.e. no absolute `etaMin ≠ 0` with several lr multipliers).
 */
export class ScheduleSet {
  private readonly replayCache = new Map<string, { g: number; x: number }>();

  /**
   * @param schedulers the schedulers, in config order.
   * @param baseLr the optimizer's base lr, the reference of {@link factorAt}. Default 1.
   */
  constructor(
    readonly schedulers: readonly LrScheduler[],
    readonly baseLr = 1,
  ) {}

  /** The lr factor at iteration `iter`, relative to `baseLr`. 1 without schedulers. */
  factorAt(iter: number): number {
    if (this.baseLr === 0) return this.lrAt(iter, 1);
    return this.lrAt(iter, this.baseLr) / this.baseLr;
  }

  /** Sets every group's lr to its scheduled value at iteration `iter`. */
  apply(target: LrSettable, iter: number): void {
    for (const group of target.groups) group.lr = this.lrAt(iter, group.initialLr);
  }

  /**
   * The lr of a group whose initial lr is `base`, at training iteration `iter`
   * (global step `iter`), in closed form over each range where the set of
   * active schedulers is constant; ranges with several non-multiplicative
   * schedulers active at once (or a cosine restart step) are replayed step by
   * step (cached, so consecutive calls stay cheap).
   */
  lrAt(iter: number, base: number): number {
    if (!Number.isInteger(iter) || iter < 0) throw new Error(`ScheduleSet: iteration must be an integer ≥ 0, got ${iter}`);
    const cuts = new Set<number>([0]);
    for (const s of this.schedulers) {
      if (s.beginIter <= iter) cuts.add(s.beginIter);
      if (s.endIter <= iter) cuts.add(s.endIter);
    }
    const starts = [...cuts].sort((a, b) => a - b);
    let x = base;
    for (let i = 0; i < starts.length; i++) {
      const a = starts[i];
      const b = i + 1 < starts.length ? starts[i + 1] - 1 : iter; // inclusive
      const active = this.schedulers.filter((s) => s.beginIter <= a && a < s.endIter);
      if (active.length === 0) continue;
      const spans: AffineMap[] = [];
      let closed = true;
      for (const s of active) {
        const range = s.localStepsIn(a, b);
        if (range === null) continue;
        const m = s.span(range[0], range[1], base);
        if (m === null) {
          closed = false;
          break;
        }
        spans.push(m);
      }
      if (closed && (spans.length <= 1 || spans.every((m) => m.add === 0))) {
        for (const m of spans) x = m.mul * x + m.add;
      } else {
        x = this.replay(a, b, x, base);
      }
    }
    return x;
  }

  /** Replays global steps `a … b` from the value `x` entering step `a`. */
  private replay(a: number, b: number, x: number, base: number): number {
    const key = `${base}|${a}|${x}`;
    const cached = this.replayCache.get(key);
    let g = a;
    let value = x;
    if (cached !== undefined && cached.g <= b) {
      g = cached.g + 1;
      value = cached.x;
    }
    for (; g <= b; g++) value = this.stepAt(g, value, base);
    this.replayCache.set(key, { g: b, x: value });
    return value;
  }

  /** Applies every scheduler firing at global step `g`, in mmengine's order. */
  private stepAt(g: number, x: number, base: number): number {
    let value = x;
    const order = g === 0 ? this.schedulers : [...this.schedulers.filter((s) => s.clock === 'iter'), ...this.schedulers.filter((s) => s.clock === 'epoch')];
    for (const s of order) {
      const k = s.localStepAt(g);
      if (k !== null) value = s.applyStep(k, value, base);
    }
    return value;
  }

  /**
   * Reference implementation: mmengine's chained recursion replayed from
   * step 0 to `iter` (O(iter)); {@link lrAt} equals it up to float rounding.
   */
  lrBySimulation(iter: number, base: number): number {
    let x = base;
    for (let g = 0; g <= iter; g++) x = this.stepAt(g, x, base);
    return x;
  }
}

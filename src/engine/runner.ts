/**
 * The training runner: builds everything a config describes and runs the
 * iteration loop with evaluation, logging and checkpoints (mmengine's Runner,
 * iteration- or epoch-based).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../core/tf.js';
import { ConfigError, CheckpointError } from '../core/errors.js';
import { globalRng, setGlobalSeed } from '../core/rng.js';
import type { RootConfig } from '../config/schema.js';
import { buildModel } from '../models/build_model.js';
import type { Model } from '../models/base_model.js';
import type { Metric, MetricValues } from '../evaluation/metric.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ScheduleSet } from '../optim/schedulers.js';
import { saveWeights, readWeights, hostToTensor, formatLoadReport, type LoadWeightsReport } from '../checkpoint/weights.js';
import { buildDataset, buildLoader, buildMetric, buildOptimizer, buildSchedule } from './build.js';
import type { DataLoader } from './data_loader.js';
import { TrainStep } from './train_step.js';
import { Distiller, buildTeacher } from './distillation.js';
import { ImageClassifier } from '../models/image_classifier.js';
import { evaluate } from './evaluate.js';
import { CheckpointManager, readCheckpoint, restoreNewestLoadable, type CheckpointContent, type TrainingState } from './checkpoint.js';
import { NonFiniteLossError, allFinite } from './non_finite_guard.js';
import { checkDatasetClasses } from '../config/cross_checks.js';
import { JsonlLog, readJsonlLog, type TrainLogRecord } from '../structures/train_log.js';
import { ProgressPrinter } from './progress.js';

/** Options of {@link Runner}, mostly from the command line. */
export interface RunnerOptions {
  /** Work directory for logs and checkpoints. */
  workDir: string;
  /** Overrides the dataRoot of every dataset of the config. */
  dataRoot?: string;
  /** Resume from the newest checkpoint in the work dir. */
  resume?: boolean;
  /** Start from these weights (strict = false; mismatched shapes are skipped and reported). */
  loadFrom?: string | null;
  /** Where progress and messages go. Default: stdout. */
  progress?: ProgressPrinter;
  /** Stop after this iteration, as an interrupted run would (for time budgets and resume tests). */
  stopAtIter?: number;
  /** The frozen teacher when the config asks for distillation (see {@link Runner.create}). */
  teacher?: ImageClassifier;
}

/** `run_summary.json`: what a finished run measured. */
export interface RunSummary {
  backend: string;
  parameters: number;
  iterations: number;
  wallSeconds: number;
  /** Mean of the logged training throughputs. */
  trainImagesPerSecond: number | null;
  /** Peak resident set size of the process. */
  peakRssBytes: number;
  /** Size of the wasm heap at the end (it only grows, so this is its peak); null off wasm. */
  wasmHeapBytes: number | null;
  metrics: MetricValues | null;
}

/** What {@link Runner.train} returns. */
export interface TrainResult {
  /** Iterations run in total (including before a resume). */
  iters: number;
  /** Metrics of the last evaluation, if any. */
  metrics: MetricValues | null;
  /** Path of the final weights. */
  weightsPath: string;
  /** Mean loss of the first and last logged intervals. */
  firstLoss: number | null;
  lastLoss: number | null;
}

/** Runs training for one config. */
export class Runner {
  readonly model: Model;
  readonly trainLoader: DataLoader;
  readonly valLoader: DataLoader | null;
  readonly metric: Metric | null;
  readonly optimizer: Optimizer;
  readonly schedule: ScheduleSet;
  readonly step: TrainStep;
  readonly maxIters: number;
  readonly itersPerEpoch: number;
  readonly valInterval: number;
  readonly checkpointInterval: number;
  readonly checkpoints: CheckpointManager;
  readonly log: JsonlLog;
  readonly progress: ProgressPrinter;
  private state: TrainingState;
  private readonly logInterval: number;
  private distiller: Distiller | null = null;
  private rollbacks = 0;
  private lastRollback: { failedAt: number; depth: number } | null = null;

  /** Builds a runner, loading the distillation teacher first when the config has one. */
  static async create(config: RootConfig, options: RunnerOptions): Promise<Runner> {
    let teacher = options.teacher;
    if (config.distillation !== null && teacher === undefined && config.trainDataloader !== null) {
      const classes = buildDataset(config.trainDataloader, 'trainDataloader', options.dataRoot).classNames.length;
      teacher = await buildTeacher(config.distillation, classes);
    }
    return new Runner(config, { ...options, teacher });
  }

  constructor(
    readonly config: RootConfig,
    readonly options: RunnerOptions,
  ) {
    const seed = config.randomness.seed;
    const train = config.trainDataloader;
    if (train === null) throw new ConfigError('trainDataloader: required for training');
    if (config.trainCfg === null) throw new ConfigError('trainCfg: required for training');
    mkdirSync(options.workDir, { recursive: true });
    this.progress = options.progress ?? new ProgressPrinter();

    const trainSet = buildDataset(train, 'trainDataloader', options.dataRoot);
    checkDatasetClasses(config as unknown as Record<string, unknown>, trainSet.classNames, 'trainDataloader.dataset');
    this.trainLoader = buildLoader(train, trainSet, seed);
    if (config.valDataloader !== null) {
      const valSet = buildDataset(config.valDataloader, 'valDataloader', options.dataRoot);
      if (valSet.classNames.join('\n') !== trainSet.classNames.join('\n')) {
        throw new ConfigError(
          `valDataloader.dataset has the classes ${JSON.stringify(valSet.classNames)}, trainDataloader.dataset ${JSON.stringify(trainSet.classNames)}: ` +
            `set the classes once with the top-level 'classes' option`,
        );
      }
      this.valLoader = buildLoader(config.valDataloader, valSet, seed, { shuffle: false });
      this.metric = buildMetric(config.valEvaluator, valSet, 'valEvaluator');
    } else {
      this.valLoader = null;
      this.metric = null;
    }

    setGlobalSeed(seed);
    this.model = buildModel(config, trainSet.classNames.length);
    this.model.train();

    const { trainCfg } = config;
    this.itersPerEpoch = this.trainLoader.batchesPerEpoch;
    const byEpoch = trainCfg.by === 'epoch';
    if (trainCfg.by !== 'epoch' && trainCfg.by !== 'iter') throw new ConfigError(`trainCfg.by: expected 'iter' or 'epoch', got '${trainCfg.by}'`);
    const length = byEpoch ? trainCfg.maxEpochs : trainCfg.maxIters;
    if (length === null || length <= 0) throw new ConfigError(`trainCfg.${byEpoch ? 'maxEpochs' : 'maxIters'}: required, a positive number`);
    this.maxIters = byEpoch ? length * this.itersPerEpoch : length;
    const unit = byEpoch ? this.itersPerEpoch : 1;
    this.valInterval = trainCfg.valInterval > 0 ? trainCfg.valInterval * unit : this.maxIters;
    const ck = config.defaultHooks.checkpoint;
    this.checkpointInterval = ck.interval > 0 ? ck.interval * unit : this.maxIters;
    this.logInterval = Math.max(1, config.defaultHooks.logger.interval);

    const accumulation = config.optimWrapper?.accumulativeCounts ?? 1;
    const batchScale = config.autoScaleLr.enable ? (train.batchSize * accumulation) / config.autoScaleLr.baseBatchSize : 1;
    const { optimizer, summary } = buildOptimizer(config, this.model, batchScale);
    this.optimizer = optimizer;
    this.schedule = buildSchedule(config.paramScheduler, optimizer.baseLr, this.itersPerEpoch, this.maxIters);
    let trained: Model = this.model;
    if (config.distillation !== null) {
      if (options.teacher === undefined) throw new ConfigError('distillation: build the runner with Runner.create so that the teacher is loaded');
      if (!(this.model instanceof ImageClassifier)) throw new ConfigError('distillation: the student must be an ImageClassifier');
      this.distiller = new Distiller(this.model, options.teacher, config.distillation);
      trained = this.distiller;
      this.progress.message(
        `distillation: ${config.distillation.type}, alpha ${config.distillation.alpha}, T ${config.distillation.temperature}, ` +
          `teacher ${config.distillation.teacherConfig} (${options.teacher.numParameters().toLocaleString('en')} parameters, frozen)`,
      );
    }
    this.step = new TrainStep(trained, optimizer, {
      clipMaxNorm: config.optimWrapper?.clipGrad?.maxNorm ?? null,
      clipNormType: config.optimWrapper?.clipGrad?.normType,
      accumulativeCounts: accumulation,
    });
    this.checkpoints = new CheckpointManager(options.workDir, { maxKeep: ck.maxKeepCkpts });
    this.log = new JsonlLog(options.workDir);
    this.state = { iter: 0, loader: { epoch: 0, batch: 0 }, rng: globalRng().getState(), best: null, extra: {} };

    this.progress.message(
      `model ${this.model.constructor.name}: ${this.model.numParameters().toLocaleString('en')} parameters ` +
        `(${this.model.numParameters(true).toLocaleString('en')} trainable); ${trainSet.length} training samples, ` +
        `${this.itersPerEpoch} iterations per epoch, ${this.maxIters} iterations`,
    );
    if (batchScale !== 1) this.progress.message(`autoScaleLr: lr scaled by ${batchScale} to ${optimizer.baseLr}`);
    for (const line of summary) this.progress.message(`  ${line}`);
  }

  /** Loads weights to start from (fine-tuning): strict off, mismatched shapes skipped; returns the report. */
  loadFrom(path: string): LoadWeightsReport {
    const { state, conversion } = readWeights(path);
    const own = this.model.stateDict();
    const tensors = new Map<string, tf.Tensor>();
    const mismatched: string[] = [];
    for (const [name, t] of state) {
      const target = own.get(name);
      if (target !== undefined && target.shape.join(',') !== t.shape.join(',')) {
        mismatched.push(`${name} (file [${t.shape.join(',')}], model [${target.shape.join(',')}])`);
        continue;
      }
      tensors.set(name, hostToTensor(t, `${path}: ${name}`));
    }
    try {
      const report = this.model.loadStateDict(tensors, { strict: false, source: path });
      if (report.loaded.length === 0) {
        throw new CheckpointError(
          `--load-from ${path}: no tensor of the file fits the model (${state.size} tensors in the file` +
            `${mismatched.length > 0 ? `, ${mismatched.length} with other shapes` : ''}); is it a checkpoint of this architecture?`,
        );
      }
      const full = { ...report, conversion };
      this.progress.message(formatLoadReport(full, path));
      if (mismatched.length > 0) this.progress.message(`skipped, shape differs (${mismatched.length}): ${mismatched.join(', ')}`);
      return full;
    } finally {
      tf.dispose([...tensors.values()]);
    }
  }

  /**
   * Restores everything from a training checkpoint.
   * @throws CheckpointError when the file cannot be read, does not fit the model or holds NaN/Inf.
   */
  restore(path: string): void {
    const content = readCheckpoint(path);
    try {
      if (!allFinite([...content.model.values(), ...content.optimizer.values()])) {
        throw new CheckpointError(`${path}: holds NaN or Inf tensors (written before the NaN guard checked checkpoints)`);
      }
      this.model.loadStateDict(content.model, { strict: true, source: path });
      this.optimizer.loadStateDict(content.optimizer, { strict: true, source: path });
    } finally {
      tf.dispose([...content.model.values(), ...content.optimizer.values()]);
    }
    this.state = content.state;
    globalRng().setState(content.state.rng);
    this.trainLoader.setPosition(content.state.loader);
  }

  /**
   * `--resume`: restores the newest checkpoint that loads, naming each newer one
   * skipped and why, and drops log records written after it. Returns the path or null.
   */
  resumeFromWorkDir(): string | null {
    const { restored, skipped } = restoreNewestLoadable(this.checkpoints, (p) => this.restore(p));
    for (const s of skipped) this.progress.message(`--resume: skipped ${s.path} (${s.reason})`);
    if (restored === null) {
      this.progress.message(`--resume: no loadable checkpoint in ${this.options.workDir}, starting from scratch`);
      return null;
    }
    const dropped = this.log.truncateAfter(this.state.iter);
    this.progress.message(
      `resumed from ${restored} at iteration ${this.state.iter}${dropped > 0 ? ` (dropped ${dropped} log record(s) written after it)` : ''}`,
    );
    return restored;
  }

  /**
   * The NaN guard's response to a non-finite update: with `nanGuard.rollback`
   * (and rollbacks left), restores a checkpoint older than the failing
   * iteration and scales the lr by `nanGuard.lrFactor`, returning true;
   * otherwise returns false (the caller rethrows). A failure before the run has
   * passed the iteration it last rolled back to goes one checkpoint further back.
   */
  private rollBack(err: NonFiniteLossError): boolean {
    const guard = this.config.nanGuard;
    if (!guard.rollback || this.rollbacks >= guard.maxRollbacks) return false;
    const older = this.checkpoints.periodic().filter((c) => c.iter < err.iter).reverse();
    const again = this.lastRollback !== null && err.iter <= this.lastRollback.failedAt;
    const depth = again && this.lastRollback !== null ? this.lastRollback.depth + 1 : 0;
    const target = older[Math.min(depth, older.length - 1)];
    if (target === undefined) return false;
    const path = join(this.options.workDir, target.file);
    this.step.reset();
    const scale = this.lrScale * guard.lrFactor;
    this.restore(path);
    this.state.extra = { ...this.state.extra, lrScale: scale };
    this.rollbacks++;
    this.lastRollback = { failedAt: Math.max(err.iter, this.lastRollback?.failedAt ?? 0), depth };
    this.progress.message(
      `nanGuard: ${err.quantity} non-finite at iteration ${err.iter}; rolled back to ${path} (iteration ${this.state.iter}) ` +
        `with the lr scaled by ${scale} (rollback ${this.rollbacks} of ${guard.maxRollbacks})`,
    );
    return true;
  }

  /** The lr multiplier left by NaN-guard rollbacks (1 without). */
  private get lrScale(): number {
    const v = this.state.extra.lrScale;
    return typeof v === 'number' ? v : 1;
  }

  private snapshot(): CheckpointContent {
    const optimizerState = this.optimizer.stateDict();
    return {
      model: this.model.stateDict(),
      optimizer: optimizerState,
      state: { ...this.state, rng: globalRng().getState(), loader: this.trainLoader.getPosition() },
    };
  }

  private saveCheckpoint(kind: 'periodic' | 'best', metric = ''): string {
    const content = this.snapshot();
    try {
      return kind === 'periodic' ? this.checkpoints.save(content) : this.checkpoints.saveBest(content, metric);
    } finally {
      tf.dispose([...content.optimizer.values()]);
    }
  }

  /** Evaluates on the validation loader (null without one). */
  async validate(): Promise<MetricValues | null> {
    if (this.valLoader === null || this.metric === null) return null;
    const metrics = await evaluate(this.model, this.valLoader, this.metric);
    const epoch = Math.floor(this.state.iter / this.itersPerEpoch);
    this.log.write({ mode: 'val', iter: this.state.iter, epoch, metrics });
    const shown = Object.entries(metrics)
      .filter(([k]) => !k.includes('/class/') && !k.startsWith('IoU.') && !k.startsWith('Acc.'))
      .map(([k, v]) => `${k} ${v === null ? 'n/a' : v.toFixed(4)}`)
      .join('  ');
    this.progress.message(`[val] iter ${this.state.iter}: ${shown}`);
    const ck = this.config.defaultHooks.checkpoint;
    if (ck.saveBest !== null) {
      const value = metrics[ck.saveBest];
      if (value === undefined) throw new ConfigError(`defaultHooks.checkpoint.saveBest: metric '${ck.saveBest}' not produced; got ${Object.keys(metrics).slice(0, 8).join(', ')}`);
      const better = value !== null && (this.state.best === null || (ck.rule === 'less' ? value < this.state.best.value : value > this.state.best.value));
      if (better) {
        this.state.best = { metric: ck.saveBest, value, iter: this.state.iter };
        const path = this.saveCheckpoint('best', ck.saveBest);
        this.progress.message(`new best ${ck.saveBest} ${value.toFixed(4)}: ${path}`);
      }
    }
    return metrics;
  }

  /** Runs the training loop to `maxIters`, then writes `<workDir>/latest.safetensors`. */
  async train(): Promise<TrainResult> {
    const stale = this.checkpoints.removeStaleTempFiles();
    if (stale.length > 0) this.progress.message(`removed ${stale.length} temporary file(s) left by an interrupted write: ${stale.join(', ')}`);
    if (this.options.resume === true) this.resumeFromWorkDir();
    if (this.state.iter === 0 && this.options.loadFrom) this.loadFrom(this.options.loadFrom);

    let metrics: MetricValues | null = null;
    let firstLoss: number | null = null;
    let lastLoss: number | null = null;
    let window = { loss: 0, losses: {} as Record<string, number>, n: 0, data: 0, start: performance.now(), images: 0 };
    const runStart = performance.now();
    const startIter = this.state.iter;
    const batchSize = this.config.trainDataloader?.batchSize ?? 1;

    const stopAt = Math.min(this.maxIters, this.options.stopAtIter ?? this.maxIters);
    while (this.state.iter < stopAt) {
      const iter = this.state.iter;
      this.schedule.apply(this.optimizer, iter);
      const lrScale = this.lrScale;
      if (lrScale !== 1) for (const g of this.optimizer.groups) g.lr *= lrScale;
      const t0 = performance.now();
      const { batch } = await this.trainLoader.next();
      window.data += performance.now() - t0;
      let update = null;
      try {
        try {
          this.step.accumulate(batch, iter);
        } finally {
          tf.dispose(batch.inputs);
        }
        if (this.step.ready) update = this.step.apply(iter);
      } catch (err) {
        if (!(err instanceof NonFiniteLossError)) throw err;
        if (this.rollBack(err)) continue;
        this.progress.finish();
        throw err.withLastGoodCheckpoint(this.checkpoints.latest());
      }
      this.state.iter = iter + 1;
      if (update !== null) {
        window.loss += update.total;
        for (const [k, v] of Object.entries(update.losses)) window.losses[k] = (window.losses[k] ?? 0) + v;
        window.n++;
        window.images += batchSize * this.step.accumulation;
      }
      const done = this.state.iter;
      if (window.n > 0 && (done % this.logInterval === 0 || done === this.maxIters)) {
        const elapsed = (performance.now() - window.start) / 1000;
        const meanLoss = window.loss / window.n;
        firstLoss ??= meanLoss;
        lastLoss = meanLoss;
        const losses = Object.fromEntries(Object.entries(window.losses).map(([k, v]) => [k, v / window.n]));
        const lr = this.optimizer.groups[0]?.lr ?? 0;
        const imagesPerSecond = window.images / elapsed;
        const epoch = Math.floor(iter / this.itersPerEpoch);
        this.log.write({
          mode: 'train', iter: done, epoch, lr, loss: meanLoss, losses, imagesPerSecond,
          dataTime: window.data / 1000 / window.n, time: elapsed / window.n, gradNorm: update?.gradNorm,
        });
        const perIter = (performance.now() - runStart) / 1000 / (done - startIter);
        this.progress.update({ iter: done, maxIters: this.maxIters, epoch, lr, loss: meanLoss, imagesPerSecond, etaSeconds: perIter * (this.maxIters - done) });
        window = { loss: 0, losses: {}, n: 0, data: 0, start: performance.now(), images: 0 };
      }
      // The checkpoint due now is written before validation, so a failing validation loses no training.
      if (done % this.checkpointInterval === 0 || done === this.maxIters) this.saveCheckpoint('periodic');
      if (done % this.valInterval === 0 || done === this.maxIters) metrics = (await this.validate()) ?? metrics;
    }
    this.progress.finish();
    if (this.state.iter < this.maxIters) {
      this.progress.message(`stopped at iteration ${this.state.iter} of ${this.maxIters} (resume with --resume)`);
      return { iters: this.state.iter, metrics, weightsPath: '', firstLoss, lastLoss };
    }
    if (this.trainLoader.skipped > 0) {
      this.progress.message(`skipped ${this.trainLoader.skipped} corrupt image(s), e.g. ${this.trainLoader.skippedPaths.slice(0, 3).join(', ')}`);
    }
    const weightsPath = join(this.options.workDir, 'latest.safetensors');
    saveWeights(this.model, weightsPath, { iter: String(this.state.iter) });
    if (metrics !== null) writeFileSync(join(this.options.workDir, 'metrics.json'), JSON.stringify(metrics, null, 2));
    writeFileSync(join(this.options.workDir, 'run_summary.json'), JSON.stringify(this.summary(metrics, runStart, startIter), null, 2));
    this.progress.message(`final weights: ${weightsPath}`);
    return { iters: this.state.iter, metrics, weightsPath, firstLoss, lastLoss };
  }

  /** Numbers describing a finished run (read by `npm run sweep`). */
  private summary(metrics: MetricValues | null, runStart: number, startIter: number): RunSummary {
    const train = readJsonlLog(this.options.workDir).filter((r): r is TrainLogRecord => r.mode === 'train' && r.iter > startIter);
    const ips = train.map((r) => r.imagesPerSecond).filter(Number.isFinite);
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return {
      backend: tf.getBackend(),
      parameters: this.model.numParameters(),
      iterations: this.state.iter,
      wallSeconds: (performance.now() - runStart) / 1000,
      trainImagesPerSecond: ips.length > 0 ? ips.reduce((a, b) => a + b, 0) / ips.length : null,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wasmHeapBytes: backend.wasm?.HEAPU8?.byteLength ?? null,
      metrics,
    };
  }

  /** Frees the model and optimizer. */
  dispose(): void {
    this.step.reset();
    this.distiller?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/**
 * The training runner: builds everything a config describes and runs the
 * iteration loop with evaluation (mmengine's Runner, iteration- or
 * epoch-based). Checkpointing, logging, the progress bar, the NaN guard,
 * distillation and the user's hooks are {@link Hook}s, called at named points
 * of the loop in priority order.
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
import { buildTeacher } from './distillation.js';
import type { ImageClassifier } from '../models/image_classifier.js';
import { evaluate } from './evaluate.js';
import { CheckpointManager, readCheckpoint, restoreNewestLoadable, type CheckpointContent, type TrainingState } from './checkpoint.js';
import { allFinite } from './non_finite_guard.js';
import type { Hook, HookPoint, HookRunner, RunInfo } from './hooks/hook.js';
import { buildHooks, insertByPriority } from './hooks/build_hooks.js';
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
  /** Why a hook ended training before `maxIters` (early stopping), or null. */
  stoppedEarly: string | null;
}

/** The arguments of a hook point after the runner. */
type HookArgs<P extends HookPoint> = NonNullable<Hook[P]> extends (runner: HookRunner, ...rest: infer A) => unknown ? A : never;

/** Runs training for one config. */
export class Runner implements HookRunner {
  readonly model: Model;
  readonly trainLoader: DataLoader;
  readonly valLoader: DataLoader | null;
  readonly metric: Metric | null;
  readonly optimizer: Optimizer;
  readonly schedule: ScheduleSet;
  readonly maxIters: number;
  readonly itersPerEpoch: number;
  /** Iterations per unit of the config's intervals (`itersPerEpoch` when by epoch, else 1). */
  readonly intervalUnit: number;
  /** Evaluate every this many iterations (and at the end). */
  readonly valInterval: number;
  readonly checkpoints: CheckpointManager;
  readonly log: JsonlLog;
  readonly progress: ProgressPrinter;
  /** Results hooks share (the newest log record, first and last loss, newest metrics). */
  readonly info: RunInfo = { lastTrainLog: null, firstLoss: null, lastLoss: null, metrics: null, runStart: 0, startIter: 0 };
  private trainStep: TrainStep;
  private readonly hookList: Hook[];
  private trainingState: TrainingState;
  private stopReason: string | null = null;
  private looping = false;

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
    this.intervalUnit = unit;
    this.valInterval = trainCfg.valInterval > 0 ? trainCfg.valInterval * unit : this.maxIters;

    const accumulation = config.optimWrapper?.accumulativeCounts ?? 1;
    const batchScale = config.autoScaleLr.enable ? (train.batchSize * accumulation) / config.autoScaleLr.baseBatchSize : 1;
    const { optimizer, summary } = buildOptimizer(config, this.model, batchScale);
    this.optimizer = optimizer;
    this.schedule = buildSchedule(config.paramScheduler, optimizer.baseLr, this.itersPerEpoch, this.maxIters);
    this.trainStep = this.makeTrainStep(this.model);
    this.checkpoints = new CheckpointManager(options.workDir, { maxKeep: config.defaultHooks.checkpoint.maxKeepCkpts });
    this.log = new JsonlLog(options.workDir);
    this.trainingState = { iter: 0, loader: { epoch: 0, batch: 0 }, rng: globalRng().getState(), best: null, extra: {} };
    this.hookList = buildHooks(config, options.teacher);

    this.progress.message(
      `model ${this.model.constructor.name}: ${this.model.numParameters().toLocaleString('en')} parameters ` +
        `(${this.model.numParameters(true).toLocaleString('en')} trainable); ${trainSet.length} training samples, ` +
        `${this.itersPerEpoch} iterations per epoch, ${this.maxIters} iterations`,
    );
    if (batchScale !== 1) this.progress.message(`autoScaleLr: lr scaled by ${batchScale} to ${optimizer.baseLr}`);
    for (const line of summary) this.progress.message(`  ${line}`);
  }

  /** The training step (forward, backward, update) of the current loss model. */
  get step(): TrainStep {
    return this.trainStep;
  }

  /** The checkpointed training state. */
  get state(): TrainingState {
    return this.trainingState;
  }

  /** Completed iterations. */
  get iter(): number {
    return this.trainingState.iter;
  }

  get workDir(): string {
    return this.options.workDir;
  }

  /** The hooks, in calling order. */
  get hooks(): readonly Hook[] {
    return this.hookList;
  }

  /** Adds a hook (mmengine's `register_hook`): after the hooks of lower or equal priority. */
  registerHook(hook: Hook): void {
    insertByPriority(this.hookList, hook);
  }

  private makeTrainStep(model: Model): TrainStep {
    const wrapper = this.config.optimWrapper;
    return new TrainStep(model, this.optimizer, {
      clipMaxNorm: wrapper?.clipGrad?.maxNorm ?? null,
      clipNormType: wrapper?.clipGrad?.normType,
      accumulativeCounts: wrapper?.accumulativeCounts ?? 1,
    });
  }

  setLossModel(model: Model): void {
    if (this.looping) throw new Error('Runner.setLossModel: only before the loop starts (beforeRun or beforeTrain)');
    this.trainStep.reset();
    this.trainStep = this.makeTrainStep(model);
  }

  requestStop(reason: string): void {
    this.stopReason = reason;
  }

  /** Calls `point` on every hook that has it, in order, awaiting each. */
  private async callHook<P extends HookPoint>(point: P, ...args: HookArgs<P>): Promise<void> {
    for (const hook of this.hookList) {
      const fn = hook[point] as ((runner: HookRunner, ...rest: unknown[]) => unknown) | undefined;
      if (fn !== undefined) await fn.call(hook, this, ...args);
    }
  }

  /** Calls a synchronous point (checkpoint contents) on every hook that has it. */
  private callHookSync(point: 'beforeSaveCheckpoint' | 'afterLoadCheckpoint', content: CheckpointContent): void {
    for (const hook of this.hookList) hook[point]?.(this, content);
  }

  /** Asks the hooks about a failed iteration: true when one repaired the state for a retry. */
  private async handleIterError(index: number, error: unknown): Promise<boolean> {
    for (const hook of this.hookList) {
      if (hook.onTrainIterError === undefined) continue;
      if ((await hook.onTrainIterError(this, { index, error })) === 'retry') return true;
    }
    return false;
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
    const hookTensors = [...(content.hooks?.values() ?? [])];
    try {
      if (!allFinite([...content.model.values(), ...content.optimizer.values(), ...hookTensors])) {
        throw new CheckpointError(`${path}: holds NaN or Inf tensors (written before the NaN guard checked checkpoints)`);
      }
      this.callHookSync('afterLoadCheckpoint', content);
      this.model.loadStateDict(content.model, { strict: true, source: path });
      this.optimizer.loadStateDict(content.optimizer, { strict: true, source: path });
    } finally {
      tf.dispose([...content.model.values(), ...content.optimizer.values(), ...hookTensors]);
    }
    this.trainingState = content.state;
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
    const dropped = this.log.truncateAfter(this.trainingState.iter);
    this.progress.message(`resumed from ${restored} at iteration ${this.state.iter}${dropped > 0 ? ` (dropped ${dropped} log record(s) written after it)` : ''}`);
    return restored;
  }

  private snapshot(): CheckpointContent {
    const optimizerState = this.optimizer.stateDict();
    return {
      model: this.model.stateDict(),
      optimizer: optimizerState,
      hooks: new Map(),
      state: { ...this.trainingState, rng: globalRng().getState(), loader: this.trainLoader.getPosition() },
    };
  }

  /**
   * Writes a periodic (or best) checkpoint, after every hook's `beforeSaveCheckpoint`.
   * Tensors hooks put into it stay theirs; the optimizer's are freed here.
   */
  saveCheckpoint(kind: 'periodic' | 'best', metric = ''): string {
    const content = this.snapshot();
    this.callHookSync('beforeSaveCheckpoint', content);
    try {
      return kind === 'periodic' ? this.checkpoints.save(content) : this.checkpoints.saveBest(content, metric);
    } finally {
      tf.dispose([...content.optimizer.values()]);
    }
  }

  /** Evaluates on the validation loader (null without one), between the hooks' `beforeValEpoch` and `afterValEpoch`. */
  async validate(): Promise<MetricValues | null> {
    if (this.valLoader === null || this.metric === null) return null;
    await this.callHook('beforeValEpoch');
    const metrics = await evaluate(this.model, this.valLoader, this.metric, {
      onPredictions: (batch, predictions, index) => this.callHook('afterValIter', { index, batch, predictions }),
    });
    this.info.metrics = metrics;
    await this.callHook('afterValEpoch', metrics);
    return metrics;
  }

  /** Runs the training loop to `maxIters`, then writes `<workDir>/latest.safetensors`. */
  async train(): Promise<TrainResult> {
    const stale = this.checkpoints.removeStaleTempFiles();
    if (stale.length > 0) this.progress.message(`removed ${stale.length} temporary file(s) left by an interrupted write: ${stale.join(', ')}`);
    try {
      await this.callHook('beforeRun');
      return await this.runLoop();
    } finally {
      await this.callHook('afterRun');
    }
  }

  private async runLoop(): Promise<TrainResult> {
    if (this.options.resume === true) this.resumeFromWorkDir();
    if (this.trainingState.iter === 0 && this.options.loadFrom) this.loadFrom(this.options.loadFrom);
    const runStart = performance.now();
    const startIter = this.trainingState.iter;
    Object.assign(this.info, { lastTrainLog: null, firstLoss: null, lastLoss: null, metrics: null, runStart, startIter });
    this.stopReason = null;
    await this.callHook('beforeTrain');
    const batchSize = this.config.trainDataloader?.batchSize ?? 1;

    const stopAt = Math.min(this.maxIters, this.options.stopAtIter ?? this.maxIters);
    this.looping = true;
    try {
      await this.iterate(stopAt, batchSize);
    } finally {
      this.looping = false;
    }
    this.progress.finish();
    const { firstLoss, lastLoss, metrics } = this.info;
    const stoppedEarly = this.stopReason;
    if (stoppedEarly !== null) {
      this.progress.message(`stopped at iteration ${this.trainingState.iter} of ${this.maxIters}: ${stoppedEarly}`);
    } else if (this.trainingState.iter < this.maxIters) {
      this.progress.message(`stopped at iteration ${this.trainingState.iter} of ${this.maxIters} (resume with --resume)`);
      return { iters: this.trainingState.iter, metrics, weightsPath: '', firstLoss, lastLoss, stoppedEarly };
    }
    await this.callHook('afterTrain');
    if (this.trainLoader.skipped > 0) {
      this.progress.message(`skipped ${this.trainLoader.skipped} corrupt image(s), e.g. ${this.trainLoader.skippedPaths.slice(0, 3).join(', ')}`);
    }
    const weightsPath = join(this.options.workDir, 'latest.safetensors');
    saveWeights(this.model, weightsPath, { iter: String(this.trainingState.iter) });
    if (metrics !== null) writeFileSync(join(this.options.workDir, 'metrics.json'), JSON.stringify(metrics, null, 2));
    writeFileSync(join(this.options.workDir, 'run_summary.json'), JSON.stringify(this.summary(metrics, runStart, startIter), null, 2));
    this.progress.message(`final weights: ${weightsPath}`);
    return { iters: this.trainingState.iter, metrics, weightsPath, firstLoss, lastLoss, stoppedEarly };
  }

  /** Runs iterations until `stopAt` or a hook's stop request, validating every `valInterval`. */
  private async iterate(stopAt: number, batchSize: number): Promise<void> {
    while (this.trainingState.iter < stopAt && this.stopReason === null) {
      const index = this.trainingState.iter;
      this.schedule.apply(this.optimizer, index);
      await this.callHook('beforeTrainIter', index);
      const t0 = performance.now();
      const { batch } = await this.trainLoader.next();
      const dataSeconds = (performance.now() - t0) / 1000;
      let update = null;
      try {
        try {
          this.trainStep.accumulate(batch, index);
        } finally {
          tf.dispose(batch.inputs);
        }
        if (this.trainStep.ready) update = this.trainStep.apply(index);
      } catch (error) {
        if (await this.handleIterError(index, error)) continue;
        throw error;
      }
      this.trainingState.iter = index + 1;
      const images = update === null ? 0 : batchSize * this.trainStep.accumulation;
      await this.callHook('afterTrainIter', { index, update, images, dataSeconds });
      const done = this.trainingState.iter;
      if (done % this.valInterval === 0 || done === this.maxIters) await this.validate();
    }
  }

  /** Numbers describing a finished run (read by `npm run sweep`). */
  private summary(metrics: MetricValues | null, runStart: number, startIter: number): RunSummary {
    const train = readJsonlLog(this.options.workDir).filter((r): r is TrainLogRecord => r.mode === 'train' && r.iter > startIter);
    const ips = train.map((r) => r.imagesPerSecond).filter(Number.isFinite);
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return {
      backend: tf.getBackend(),
      parameters: this.model.numParameters(),
      iterations: this.trainingState.iter,
      wallSeconds: (performance.now() - runStart) / 1000,
      trainImagesPerSecond: ips.length > 0 ? ips.reduce((a, b) => a + b, 0) / ips.length : null,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wasmHeapBytes: backend.wasm?.HEAPU8?.byteLength ?? null,
      metrics,
    };
  }

  /** Frees the model, the optimizer and the hooks' tensors. */
  dispose(): void {
    this.trainStep.reset();
    for (const hook of this.hookList) hook.dispose?.();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

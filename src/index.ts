/**
 * densekit's programmatic API for Node (the package's `.` and `./node` entry).
 *
 * ```ts
 * import { initModel } from 'densekit';
 * const model = await initModel('configs/segmentation/swin-mini_upernet_ade.ts', { weights: 'latest.safetensors' });
 * const result = await model.predict('photo.jpg'); // { task: 'segmentation', labelMap, classNames }
 * model.dispose();
 * ```
 *
 * The browser entry (`densekit/browser`) offers the same {@link Predictor}
 * without file access; see `src/browser.ts`.
 */
import { tf } from './core/tf.js';
import { selectBackend, type BackendName } from './core/backend.js';
import type { WasmThreadsRequest } from './core/wasm_threads/threads_setting.js';
import { ConfigError } from './core/errors.js';
import { registerBuiltins } from './registry/builtins.js';
import { loadConfig, type Config } from './config/load_config.js';
import { validateConfig, type RootConfig } from './config/schema.js';
import { buildModel } from './models/build_model.js';
import { loadWeightsInto } from './checkpoint/weights.js';
import { decodeSafetensors } from './checkpoint/safetensors_decode.js';
import { loadHostStateInto } from './checkpoint/host_to_tensor.js';
import { decodeImageBytes, decodeImageFile } from './datasets/image_io.js';
import type { LoadReport } from './nn/module.js';
import { configuredNumClasses } from './apis/infer_task.js';
import { classNamesFor } from './apis/classification.js';
import { detectionMeta } from './apis/infer_detection.js';
import { Predictor, datasetClassNames, type PredictInput, type PredictionResult, type PredictorOptions } from './apis/predictor.js';
import { Runner, type RunnerOptions, type TrainResult } from './engine/runner.js';

registerBuiltins();

/** What {@link NodePredictor.predict} takes: an image file path, encoded image bytes (a `Buffer`), decoded pixels (`ImageData`-like) or a `[H, W, 3]` tensor. */
export type NodePredictInput = string | Uint8Array | PredictInput;

/** A {@link Predictor} that also reads image files and encoded bytes (decoded with sharp, EXIF orientation applied). */
export class NodePredictor extends Predictor {
  /** Load report of the weights, or null when none were given. */
  loadReport: LoadReport | null = null;

  override async predict(image: NodePredictInput): Promise<PredictionResult> {
    if (typeof image === 'string') return super.predict(await decodeImageFile(image));
    if (image instanceof Uint8Array) return super.predict(await decodeImageBytes(image));
    return super.predict(image);
  }
}

/** Options of {@link initModel}. */
export interface InitModelOptions extends PredictorOptions {
  /** Weights: a `.safetensors` or PyTorch `.pth` path (layout detected), or safetensors bytes. Omitted: random initialisation. */
  weights?: string | Uint8Array;
  /** `tensorflow`, `wasm` or `cpu`. Default: `DENSEKIT_BACKEND`, else the automatic choice (see README, *Backends*). */
  backend?: BackendName;
  /**
   * Threads of the wasm backend in Node: `'auto'` (one per logical core, at most 8), `'off'` or 1–8.
   * Default: `DENSEKIT_WASM_THREADS`, else `'auto'`. Applies at the process's first wasm initialisation.
   */
  wasmThreads?: WasmThreadsRequest;
  /** `key=value` overrides, as `--cfg-options` (only for a config file). */
  cfgOptions?: string[];
  /** Require exactly the model's keys in the weights. Default true. */
  strict?: boolean;
  /** Where the one-line backend message goes; default `console.error`, `null` silences it. */
  log?: ((message: string) => void) | null;
}

/** Loads and validates a config file (bases merged, overrides applied) or validates a config object. */
export async function resolveConfig(config: string | Config, cfgOptions: string[] = []): Promise<RootConfig> {
  if (typeof config === 'string') return validateConfig(await loadConfig(config, { cfgOptions }), config);
  if ('_base_' in config) throw new ConfigError('resolveConfig: a config object cannot have _base_ (pass the file path instead)');
  return validateConfig(config, '<config object>');
}

/** Class names a Node predictor shows: the dataset's `classes`, a COCO annotation file's categories, or ImageNet's for 1000 outputs. */
function nodeClassNames(config: RootConfig, model: { task: string }, numOutputs: number | null): string[] | null {
  const fromDataset = datasetClassNames(config);
  if (fromDataset !== null) return fromDataset;
  if (model.task === 'detection') return detectionMeta(config).classNames;
  if (model.task === 'classification' && numOutputs !== null) return classNamesFor(config, numOutputs);
  return null;
}

/**
 * Builds the model of a config (file path or object), selects the backend,
 * loads weights and returns a predictor in eval mode (mmdet's `init_detector`).
 *
 * @throws ConfigError naming the bad key; CheckpointError naming the bad tensor or shape.
 */
export async function initModel(config: string | Config, options: InitModelOptions = {}): Promise<NodePredictor> {
  const root = await resolveConfig(config, options.cfgOptions);
  await selectBackend({ requested: options.backend, log: options.log, wasmThreads: options.wasmThreads });
  const model = buildModel(root, configuredNumClasses(root));
  try {
    let report: LoadReport | null = null;
    if (typeof options.weights === 'string') report = loadWeightsInto(model, options.weights, { strict: options.strict });
    else if (options.weights !== undefined) {
      report = loadHostStateInto(model, decodeSafetensors(options.weights).tensors, { strict: options.strict, source: '<weights buffer>' });
    }
    const numOutputs = 'numClasses' in model && typeof model.numClasses === 'number' ? model.numClasses : numClassifierOutputs(model);
    const classNames = options.classNames !== undefined ? options.classNames : nodeClassNames(root, model, numOutputs);
    const predictor = new NodePredictor(model, root, { classNames });
    predictor.loadReport = report;
    return predictor;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Output width of a classifier's last `fc` weight, when it has one. */
function numClassifierOutputs(model: { stateDict(): Map<string, tf.Tensor> }): number | null {
  for (const [name, t] of model.stateDict()) if (name.endsWith('fc.weight')) return t.shape[0];
  return null;
}

/**
 * Runs one image through a predictor (mmdet's `inference_detector`).
 * Same as `predictor.predict(image)`.
 */
export function inferenceModel(predictor: NodePredictor, image: NodePredictInput): Promise<PredictionResult> {
  return predictor.predict(image);
}

/** Options of {@link train}. */
export interface TrainOptions extends Partial<RunnerOptions> {
  /** `key=value` overrides (only for a config file). */
  cfgOptions?: string[];
  /** Backend, as in {@link InitModelOptions.backend}. */
  backend?: BackendName;
}

/**
 * Trains a config (file path or object) with the {@link Runner}: logs, checkpoints
 * and `latest.safetensors` go to `workDir` (default `work_dirs/<name>`).
 * Components registered before the call (e.g. `BACKBONES.register(...)`) can be named in the config.
 */
export async function train(config: string | Config, options: TrainOptions = {}): Promise<TrainResult> {
  const root = await resolveConfig(config, options.cfgOptions);
  await selectBackend({ requested: options.backend ?? root.backend ?? undefined });
  const name = typeof config === 'string' ? config.replace(/^.*\//, '').replace(/\.[^.]+$/, '') : 'run';
  const { cfgOptions: _c, backend: _b, ...runnerOptions } = options;
  const workDir = runnerOptions.workDir ?? root.workDir ?? `work_dirs/${name}`;
  const runner = await Runner.create(root, { ...runnerOptions, workDir });
  return runner.train();
}

export { tf };
export { selectBackend, BACKEND_NAMES, type BackendName } from './core/backend.js';
export { WASM_THREADS_ENV_VAR, type WasmThreadsRequest } from './core/wasm_threads/threads_setting.js';
export { wasmThreadsCount } from './core/wasm_threads/threaded_backend.js';
export { ConfigError, DataError, CheckpointError, ShapeError } from './core/errors.js';
export { loadConfig, type Config } from './config/load_config.js';
export { validateConfig, type RootConfig } from './config/schema.js';
export { registerBuiltins } from './registry/builtins.js';
export * from './registry/registries.js';
export type { ComponentSpec } from './registry/registry.js';
export { buildModel } from './models/build_model.js';
export { Model, type Task } from './models/base_model.js';
export { Backbone } from './backbones/backbone.js';
export { Module } from './nn/module.js';
export { Runner, type RunnerOptions, type TrainResult } from './engine/runner.js';
export { PRIORITIES, type Hook, type HookRunner, type HookPoint, type TrainIterInfo, type TrainIterErrorInfo, type ValIterInfo, type RunInfo, type Priority } from './engine/hooks/hook.js';
export { EMAHook } from './engine/hooks/ema_hook.js';
export { EarlyStoppingHook } from './engine/hooks/early_stopping_hook.js';
export { VisualizationHook } from './engine/hooks/visualization_hook.js';
export { loadWeightsInto, saveWeights, readWeights } from './checkpoint/weights.js';
export { readSafetensors, writeSafetensors } from './checkpoint/safetensors.js';
export { decodeSafetensors } from './checkpoint/safetensors_decode.js';
export { decodeImageFile, decodeImageBytes } from './datasets/image_io.js';
export { blendLabelMap, segPalette } from './visualization/overlay.js';
export {
  Predictor,
  createPredictor,
  type ClassificationResult,
  type SegmentationResult,
  type DetectionResult,
  type Detection,
  type PredictionResult,
  type PredictInput,
  type RgbPixels,
  type PredictorOptions,
} from './apis/predictor.js';
export type { TopKEntry } from './apis/top_k.js';
export type { LabelMap } from './structures/data_sample.js';

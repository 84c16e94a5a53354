/**
 * The programmatic inference API shared by the Node and browser builds
 * (mmdet's `init_detector` / `inference_detector` in spirit): a built model with
 * its config, and `predict` on decoded RGB pixels or a tensor. Nothing here
 * touches the file system or native modules; the Node entry (`src/index.ts`)
 * adds files and Buffers, the browser entry (`src/browser.ts`) adds the
 * browser's image decoders.
 */
import { tf } from '../core/tf.js';
import { ConfigError, DataError } from '../core/errors.js';
import { globalRng } from '../core/rng.js';
import type { RootConfig } from '../config/schema.js';
import { validateConfig } from '../config/schema.js';
import type { Config } from '../config/load_config.js';
import { isPlainObject } from '../registry/options.js';
import { buildPipeline, type Pipeline } from '../datasets/transforms/pipeline.js';
import { sampleForImage, type LabelMap } from '../structures/data_sample.js';
import { buildModel } from '../models/build_model.js';
import type { Model, Task } from '../models/base_model.js';
import { ImageClassifier } from '../models/image_classifier.js';
import type { LoadReport } from '../nn/module.js';
import { decodeSafetensors } from '../checkpoint/safetensors_decode.js';
import { loadHostStateInto } from '../checkpoint/host_to_tensor.js';
import type { HostTensor } from '../checkpoint/host_tensor.js';
import { configuredNumClasses } from './infer_task.js';
import { softmax, topK, type TopKEntry } from './top_k.js';

/**
 * Decoded pixels: `data[(y·width + x)·channels + c]`, 8-bit RGB (`channels` 3) or
 * RGBA (4, alpha ignored, e.g. a canvas `ImageData`).
 */
export interface RgbPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Default: `data.length / (width·height)`, which must be 3 or 4. */
  channels?: number;
}

/** What {@link Predictor.predict} takes: pixels, or a `[H, W, 3]` tensor of RGB values in 0..255. */
export type PredictInput = RgbPixels | tf.Tensor3D;

/** A classifier's result. */
export interface ClassificationResult {
  task: 'classification';
  /** Raw logits `[numClasses]`. */
  logits: Float32Array;
  /** Softmax of the logits `[numClasses]`. */
  scores: Float32Array;
  /** Arg-max class. */
  label: number;
  /** The five (or fewer) most probable classes, with names when known. */
  top5: TopKEntry[];
}

/** A segmentor's result, at the input image's size. */
export interface SegmentationResult {
  task: 'segmentation';
  /** Class index per pixel, `[height, width]` row-major. */
  labelMap: LabelMap;
  /** Name of each class, when known. */
  classNames: string[] | null;
}

/** One detected object, in input-image pixels. */
export interface Detection {
  /** `[x1, y1, x2, y2]`. */
  bbox: [number, number, number, number];
  score: number;
  /** Contiguous class index. */
  label: number;
  /** Class name, when known. */
  name: string | null;
}

/** A detector's result: every detection the model's `testCfg` keeps, scores descending. */
export interface DetectionResult {
  task: 'detection';
  detections: Detection[];
}

/** Any result of {@link Predictor.predict}. */
export type PredictionResult = ClassificationResult | SegmentationResult | DetectionResult;

/** Options of {@link Predictor}. */
export interface PredictorOptions {
  /** Class names; default: the `classes` of the config's test, val or train dataset, else none. */
  classNames?: string[] | null;
  /** The test pipeline's transform configs; default: the config's `testDataloader` (or `valDataloader`) pipeline. */
  testPipeline?: readonly unknown[];
}

/** Transforms that read files; the predictor hands the decoded image to the rest of the test pipeline. */
const FILE_LOADERS = new Set(['LoadImageFromFile', 'LoadAnnotations']);

/** `config[section].dataset`, when it is an object (works on raw and validated configs). */
function datasetOf(config: object, section: string): Record<string, unknown> | null {
  const loader = (config as Record<string, unknown>)[section];
  const ds = isPlainObject(loader) ? loader.dataset : undefined;
  return isPlainObject(ds) ? ds : null;
}

/** The `classes` of the config's test, val or train dataset (first found), else null. */
export function datasetClassNames(config: Config | RootConfig): string[] | null {
  for (const section of ['testDataloader', 'valDataloader', 'trainDataloader']) {
    const ds = datasetOf(config, section);
    if (ds !== null && Array.isArray(ds.classes)) return ds.classes.map(String);
  }
  return null;
}

/**
 * The transform configs of the config's test (or val) pipeline.
 * @throws DataError when the config has no such pipeline.
 */
export function testPipelineOf(config: Config | RootConfig): unknown[] {
  const ds = datasetOf(config, 'testDataloader') ?? datasetOf(config, 'valDataloader');
  if (ds === null || !Array.isArray(ds.pipeline)) {
    throw new DataError('The config has no testDataloader.dataset.pipeline (or valDataloader) to preprocess images with');
  }
  return ds.pipeline;
}

/** A test pipeline without its file-loading transforms (`LoadImageFromFile`, `LoadAnnotations`). */
export function inMemoryPipeline(pipeline: readonly unknown[]): Pipeline {
  const kept = pipeline.filter((t) => !(isPlainObject(t) && typeof t.type === 'string' && FILE_LOADERS.has(t.type)));
  return buildPipeline(kept, 'testDataloader.dataset.pipeline');
}

/** Copies pixels into a tight RGB uint8 buffer, checking the sizes. */
export function toRgb(pixels: RgbPixels): Uint8Array {
  const { width, height, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new DataError(`predict: image size ${width}×${height} is not a positive integer size`);
  }
  const channels = pixels.channels ?? data.length / (width * height);
  if ((channels !== 3 && channels !== 4) || data.length !== width * height * channels) {
    throw new DataError(`predict: ${data.length} bytes do not make a ${width}×${height} RGB (3 bytes per pixel) or RGBA (4) image`);
  }
  if (channels === 3) return Uint8Array.from(data);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = data[j];
    out[i + 1] = data[j + 1];
    out[i + 2] = data[j + 2];
  }
  return out;
}

/** `[H, W, 3]` tensor of RGB values 0..255 → pixels (rounded, clamped to 0..255). */
async function tensorToPixels(t: tf.Tensor3D): Promise<RgbPixels> {
  if (t.rank !== 3 || t.shape[2] !== 3) {
    throw new DataError(`predict: expected a [H, W, 3] RGB tensor, got shape [${t.shape.join(', ')}]`);
  }
  const values = await t.data();
  return { data: Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round(v)))), width: t.shape[1], height: t.shape[0], channels: 3 };
}

/**
 * A model in eval mode with the config it was built from.
 *
 * `predict` runs the config's test pipeline (without `LoadImageFromFile`) on
 * the image and returns a typed result; every intermediate tensor is disposed.
 * Call {@link Predictor.dispose} to free the weights.
 */
export class Predictor {
  /** What the model predicts. */
  readonly task: Task;
  /** Class names used in results, or null. */
  readonly classNames: string[] | null;
  private readonly pipeline: Pipeline;

  constructor(
    /** The model (put in eval mode here). */
    readonly model: Model,
    /** The validated config it was built from. */
    readonly config: RootConfig,
    options: PredictorOptions = {},
  ) {
    model.eval();
    this.task = model.task;
    this.classNames = options.classNames !== undefined ? options.classNames : datasetClassNames(config);
    this.pipeline = inMemoryPipeline(options.testPipeline ?? testPipelineOf(config));
  }

  /**
   * Preprocesses the image exactly as the Node pipeline does after decoding.
   * @returns the `[1, H, W, 3]` input (caller disposes) and its sample.
   */
  async preprocess(image: PredictInput): Promise<{ input: tf.Tensor4D; sample: ReturnType<typeof sampleForImage> }> {
    const pixels = image instanceof tf.Tensor ? await tensorToPixels(image) : image;
    const rgb = toRgb(pixels);
    const sample = sampleForImage(pixels.height, pixels.width, '<memory>');
    const results = await this.pipeline.run({ img: { data: rgb, height: pixels.height, width: pixels.width, channels: 3 }, sample }, globalRng());
    const img = results.img;
    if (img === null) throw new DataError('predict: the test pipeline produced no image');
    return { input: tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]), sample: results.sample };
  }

  /** Runs the model on one image. */
  async predict(image: PredictInput): Promise<PredictionResult> {
    const { input, sample } = await this.preprocess(image);
    try {
      if (this.task === 'classification') {
        if (!(this.model instanceof ImageClassifier)) throw new ConfigError(`predict: task 'classification' but ${this.model.constructor.name} is not an ImageClassifier`);
        const logitsT = this.model.forward(input);
        const logits = Float32Array.from(await logitsT.data());
        logitsT.dispose();
        const scores = softmax(logits);
        const top5 = topK(Array.from(logits), 5, this.classNames);
        return { task: 'classification', logits, scores, label: top5[0].label, top5 };
      }
      const [pred] = await this.model.predict({ inputs: input, samples: [sample] });
      if (pred.kind === 'seg') return { task: 'segmentation', labelMap: pred.labelMap, classNames: this.classNames };
      if (pred.kind === 'det') {
        const detections: Detection[] = [];
        for (let i = 0; i < pred.scores.length; i++) {
          const b = pred.bboxes;
          const label = pred.labels[i];
          detections.push({ bbox: [b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]], score: pred.scores[i], label, name: this.classNames?.[label] ?? null });
        }
        return { task: 'detection', detections };
      }
      throw new ConfigError(`predict: unexpected prediction kind '${pred.kind}' for task '${this.task}'`);
    } finally {
      input.dispose();
    }
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}

/** Where {@link createPredictor} gets its weights from. */
export type WeightsSource = Uint8Array | ArrayBuffer | ReadonlyMap<string, HostTensor>;

/** Options of {@link createPredictor}. */
export interface CreatePredictorOptions extends PredictorOptions {
  /** Weights: safetensors bytes, or host tensors by name. Omitted: the model keeps its initialisation. */
  weights?: WeightsSource;
  /** Name of the weights in error messages. Default `<weights>`. */
  weightsName?: string;
  /** Require exactly the model's keys. Default true. */
  strict?: boolean;
  /** Name of the config in error messages. Default `<config>`. */
  configName?: string;
}

/**
 * Builds the model of a resolved config (plain data, no `_base_`), loads
 * weights and returns a {@link Predictor}. Only what inference needs is
 * validated: `model`, the test pipeline and the dataset's `classes`; the
 * dataloaders' datasets, evaluators and optimizer are not built (the browser
 * build registers no datasets).
 * @throws ConfigError naming the bad key; CheckpointError naming the bad tensor.
 */
export function createPredictor(config: Config | RootConfig, options: CreatePredictorOptions = {}): { predictor: Predictor; report: LoadReport | null } {
  const configName = options.configName ?? '<config>';
  if ('_base_' in config) {
    throw new ConfigError(`${configName}: has _base_; pass a resolved config (\`densekit print-config --json\`) or load it with loadConfig in Node`);
  }
  if (!isPlainObject(config.model)) throw new ConfigError(`${configName}: model: expected an object`);
  const testPipeline = options.testPipeline ?? testPipelineOf(config);
  const classNames = options.classNames !== undefined ? options.classNames : datasetClassNames(config);
  const root = validateConfig({ model: config.model }, configName);
  const model = buildModel(root, classNames !== null ? classNames.length : configuredNumClasses(root));
  let report: LoadReport | null = null;
  try {
    if (options.weights !== undefined) {
      const name = options.weightsName ?? '<weights>';
      const state = options.weights instanceof Map ? options.weights : decodeSafetensors(options.weights as Uint8Array | ArrayBuffer, name).tensors;
      report = loadHostStateInto(model, state, { strict: options.strict, source: name });
    }
    return { predictor: new Predictor(model, root, { classNames, testPipeline }), report };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The contract of a task's inference output writer, used by `npm run infer`. */
import type { RootConfig } from '../config/schema.js';
import type { Model } from '../models/base_model.js';

/** What `npm run infer` passes to a task's writer. */
export interface InferRequest {
  /** The built model, weights loaded, in eval mode. */
  model: Model;
  /** The validated config. */
  config: RootConfig;
  /** The input file (image, or `.npy` where the task supports it). */
  input: string;
  /** The `--out` path, if given. */
  out: string | undefined;
  /** Detection: boxes scored below this are not drawn (all are written to the JSON). Default 0.3. */
  scoreThr?: number;
}

/** Runs the model on the input and writes/prints the task's outputs. */
export type InferWriter = (request: InferRequest) => Promise<void>;

/**
 * The number of classes a model built for inference needs when its config leaves
 * `numClasses` to the dataset: the length of the `classes` option of the config's
 * test, val or train dataset (first found). `null` when no dataset lists its
 * classes; the model's own `numClasses` must then be set (it is an error otherwise).
 */
export function configuredNumClasses(config: RootConfig): number | null {
  for (const section of [config.testDataloader, config.valDataloader, config.trainDataloader]) {
    const classes = (section?.dataset as { classes?: unknown } | undefined)?.classes;
    if (Array.isArray(classes) && classes.length > 0) return classes.length;
  }
  return null;
}

/**
 * A copy of `config` whose train/val/test datasets have `dataRoot` set to `root`
 * (`npm run infer -- --data-root`, so dataset metadata such as COCO class names and
 * ids is read from where the data really is). Loaders without a dataset are kept.
 */
export function withDataRoot(config: RootConfig, root: string): RootConfig {
  const section = <T extends { dataset: unknown } | null>(s: T): T => (s === null ? s : { ...s, dataset: { ...(s.dataset as Record<string, unknown>), dataRoot: root } });
  return {
    ...config,
    trainDataloader: section(config.trainDataloader),
    valDataloader: section(config.valDataloader),
    testDataloader: section(config.testDataloader),
  };
}

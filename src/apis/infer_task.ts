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
}

/** Runs the model on the input and writes/prints the task's outputs. */
export type InferWriter = (request: InferRequest) => Promise<void>;

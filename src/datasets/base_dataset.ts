/** The dataset contract: indexed samples run through a transform pipeline. */
import type { Rng } from '../core/rng.js';
import type { DataSample } from '../structures/data_sample.js';
import type { Pipeline } from './transforms/pipeline.js';
import type { PipelineResults } from './transforms/transform.js';

/** Build-time input of a dataset. */
export interface DatasetContext {
  /** Overrides the config's `dataRoot` (the `--data-root` flag). */
  dataRoot?: string;
}

/** A dataset: a list of samples (paths and targets) and the pipeline that loads and augments them. */
export abstract class BaseDataset {
  /** Class names, index = label. */
  abstract readonly classNames: readonly string[];
  /** Root directory the samples come from. */
  abstract readonly dataRoot: string;
  /** Number of samples. */
  abstract readonly length: number;

  constructor(readonly pipeline: Pipeline) {}

  /** A fresh sample (metadata and targets) for index `i`, before any transform. */
  abstract sampleInfo(i: number): DataSample;

  /** Loads and transforms sample `i`, drawing randomness from `rng`. */
  async get(i: number, rng: Rng): Promise<PipelineResults> {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`${this.constructor.name}: index ${i} out of range [0, ${this.length})`);
    }
    return this.pipeline.run({ img: null, sample: this.sampleInfo(i) }, rng);
  }
}

/** The transform contract: one step of a data pipeline. */
import type { Rng } from '../../core/rng.js';
import type { DataSample } from '../../structures/data_sample.js';
import type { HostImage } from '../image.js';

/** What flows through a pipeline: the image (once loaded) and its sample. */
export interface PipelineResults {
  /** The image, HWC; uint8 until `Normalize` makes it float32. Null before loading. */
  img: HostImage | null;
  /** Metadata and targets, updated by geometric transforms. */
  sample: DataSample;
}

/**
 * One data transform. Random transforms draw only from the `rng` they are
 * given, so a pipeline is deterministic for a given seed.
 */
export interface Transform {
  /** Registered name. */
  readonly name: string;
  /** Applies the transform (may modify and return `results`). */
  apply(results: PipelineResults, rng: Rng): PipelineResults | Promise<PipelineResults>;
}

/** Returns the loaded image or throws, naming the transform. */
export function requireImage(results: PipelineResults, transform: string): HostImage {
  if (results.img === null) {
    throw new Error(`${transform}: no image yet (put LoadImageFromFile first in the pipeline)`);
  }
  return results.img;
}

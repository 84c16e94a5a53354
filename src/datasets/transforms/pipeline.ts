/** A sequence of transforms built from configs. */
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { TRANSFORMS } from '../../registry/registries.js';
import type { PipelineResults, Transform } from './transform.js';

/** Runs its transforms in order. */
export class Pipeline {
  constructor(readonly transforms: readonly Transform[]) {}

  /** Applies every transform to `results`. */
  async run(results: PipelineResults, rng: Rng): Promise<PipelineResults> {
    let r = results;
    for (const t of this.transforms) r = await t.apply(r, rng);
    return r;
  }

  /** Names of the transforms, in order. */
  names(): string[] {
    return this.transforms.map((t) => t.name);
  }
}

/** Builds a pipeline from a list of transform configs (`path` is used in errors). */
export function buildPipeline(configs: unknown, path: string): Pipeline {
  if (!Array.isArray(configs)) throw new ConfigError(`${path}: expected a list of transform configs`);
  return new Pipeline(configs.map((c, i) => TRANSFORMS.build(c, {}, `${path}.${i}`)));
}

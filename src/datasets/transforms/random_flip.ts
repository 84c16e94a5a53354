import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';
import { flipResults } from './geometry.js';
import { pickIndex } from './sampling.js';
import { RANGES } from '../../registry/options.js';

/** Options of {@link RandomFlip}. */
export interface RandomFlipOptions {
  /**
   * Flip probability. A number is shared equally among the directions; a list
   * gives one probability per direction (their sum at most 1). Default 0.5.
   */
  prob: number | number[];
  /** 'horizontal', 'vertical', 'diagonal' (both), or a list of them. Default 'horizontal'. */
  direction: string | string[];
}

/** A flip direction of {@link RandomFlip}. */
export type FlipDirection = 'horizontal' | 'vertical' | 'diagonal';

const DIRECTIONS: readonly FlipDirection[] = ['horizontal', 'vertical', 'diagonal'];

function isDirection(d: unknown): d is FlipDirection {
  return typeof d === 'string' && (DIRECTIONS as readonly string[]).includes(d);
}

/**
 * Flips image, label map and boxes as mmcv's `RandomFlip`: with one direction
 * it flips with probability `prob`; with a list of directions and one `prob`
 * each direction has `prob / n`; with a list of probabilities direction `i` has
 * `prob[i]`. One uniform number is drawn per call. Sets `sample.flipDirection`
 * (null when not flipped); `sample.flip` toggles for horizontal flips.
 */
export class RandomFlip implements Transform {
  readonly name = 'RandomFlip';
  private readonly directions: FlipDirection[];
  private readonly probs: number[];

  constructor(readonly options: RandomFlipOptions) {
    const dirs = Array.isArray(options.direction) ? options.direction : [options.direction];
    if (dirs.length === 0 || !dirs.every(isDirection)) {
      throw new ConfigError(`RandomFlip: direction must be one of ${DIRECTIONS.join(', ')} or a list of them, got ${JSON.stringify(options.direction)}`);
    }
    this.directions = dirs as FlipDirection[];
    if (Array.isArray(options.prob)) {
      if (!Array.isArray(options.direction) || options.prob.length !== dirs.length) {
        throw new ConfigError(`RandomFlip: a list prob needs a direction list of the same length, got prob ${JSON.stringify(options.prob)} and direction ${JSON.stringify(options.direction)}`);
      }
      const sum = options.prob.reduce((a, b) => a + b, 0);
      if (options.prob.some((p) => !(p >= 0)) || sum > 1 + 1e-9) {
        throw new ConfigError(`RandomFlip: probabilities must be >= 0 and sum to at most 1, got ${JSON.stringify(options.prob)}`);
      }
      this.probs = [...options.prob];
    } else {
      if (!(options.prob >= 0 && options.prob <= 1)) throw new ConfigError(`RandomFlip: prob must be in [0, 1], got ${options.prob}`);
      this.probs = dirs.map(() => (options.prob as number) / dirs.length);
    }
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    requireImage(results, this.name);
    const i = pickIndex(rng, this.probs);
    if (i < 0) {
      results.sample.flipDirection = null;
      return results;
    }
    const dir = this.directions[i];
    if (dir === 'diagonal') {
      flipResults(results, 'horizontal');
      flipResults(results, 'vertical');
    } else {
      flipResults(results, dir);
    }
    results.sample.flipDirection = dir;
    return results;
  }
}

/** Registry entry of {@link RandomFlip}. */
export const randomFlipSpec: ComponentSpec<RandomFlipOptions, Transform, unknown> = {
  name: 'RandomFlip',
  description: 'randomly flip image, label map and boxes (mmcv semantics)',
  defaults: { prob: 0.5, direction: 'horizontal' },
  kinds: { prob: ['number', 'array'], direction: ['string', 'array'] },
  ranges: { prob: RANGES.ratio },
  docs: {
    prob: 'flip probability, or one per direction',
    direction: "'horizontal', 'vertical', 'diagonal', or a list of them",
  },
  build: (options) => new RandomFlip(options),
};

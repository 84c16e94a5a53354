/**
 * The random draws of the timm-style augmentations (RandAugment, RandomErasing),
 * named after the Python calls timm makes, so that a test can play back timm's
 * recorded draws and compare the outputs exactly, while training takes them from
 * a seeded {@link Rng}.
 */
import type { Rng } from '../../core/rng.js';

/** A source of the draws timm's augmentations make. */
export interface AugmentDraws {
  /** Python `random.random()`: uniform in [0, 1). */
  random(): number;
  /** Python `random.uniform(a, b)`: `a + (b − a)·random()`. */
  uniform(a: number, b: number): number;
  /** Python `random.gauss(mu, sigma)`. */
  gauss(mu: number, sigma: number): number;
  /** Python `random.randint(a, b)`: an integer in [a, b], both ends included. */
  randint(a: number, b: number): number;
  /** Python `random.choice(seq)` on a sequence of length `n`: the chosen index. */
  choice(n: number): number;
  /** numpy `np.random.choice(n, k, replace=True)`: `k` indices in [0, n). */
  chooseWithReplacement(n: number, k: number): number[];
  /** `k` standard normal values (torch's `normal_()` on `k` elements, in memory order). */
  normals(k: number): Float32Array;
}

/** {@link AugmentDraws} taken from a seeded generator (the same seed gives the same draws). */
export function rngAugmentDraws(rng: Rng): AugmentDraws {
  return {
    random: () => rng.random(),
    uniform: (a, b) => rng.uniform(a, b),
    gauss: (mu, sigma) => mu + sigma * rng.normal(),
    randint: (a, b) => rng.randint(a, b + 1),
    choice: (n) => rng.randint(0, n),
    chooseWithReplacement: (n, k) => Array.from({ length: k }, () => rng.randint(0, n)),
    normals: (k) => Float32Array.from({ length: k }, () => rng.normal()),
  };
}

/**
 * Small numeric helpers shared by the random transforms: Python-compatible
 * rounding and the discrete draws numpy's `random.choice` / `permutation`
 * make, all taken from a seeded {@link Rng}.
 */
import type { Rng } from '../../core/rng.js';

/** Python's `round` (half to even), as torchvision/mmcv use for crop sizes. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Picks an index with the given probabilities (which may sum to less than 1);
 * returns -1 for the remaining mass. Draws exactly one uniform number.
 */
export function pickIndex(rng: Rng, probs: readonly number[]): number {
  const u = rng.random();
  let cum = 0;
  for (let i = 0; i < probs.length; i++) {
    cum += probs[i];
    if (u < cum) return i;
  }
  return -1;
}

/** A random permutation of `0..n-1` (Fisher–Yates on the rng). */
export function permutation(rng: Rng, n: number): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

/** True if `v` is a list of exactly two finite numbers. */
export function isPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Reads `number | [h, w]` as `[h, w]`, or returns null when malformed. */
export function sizePair(v: number | number[]): [number, number] | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? [v, v] : null;
  if (!isPair(v) || !v.every((x) => Number.isInteger(x) && x > 0)) return null;
  return [v[0], v[1]];
}

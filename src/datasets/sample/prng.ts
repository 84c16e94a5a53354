/**
 * Seeding and distributions of the synthetic sample datasets, on the framework's
 * {@link Rng}. `Math.random` is never used, so the same seed always yields the
 * same files on every platform.
 */
import { Rng } from '../../core/rng.js';

/** splitmix32 step: a well-mixed 32-bit hash of `x`. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Derives one 32-bit seed from several parts (numbers or strings), e.g.
 * `deriveSeed(seed, 'train', index)`, so that every generated item has its own
 * independent stream that does not depend on how many items came before.
 */
export function deriveSeed(...parts: ReadonlyArray<number | string>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = typeof part === 'number' ? `#${part}` : `$${part}`;
    for (let i = 0; i < text.length; i++) {
      h = splitmix32(h ^ text.charCodeAt(i));
    }
    h = splitmix32(h ^ 0x2f);
  }
  return h >>> 0;
}

/**
 * The framework's {@link Rng} (sfc32), seeded the way the sample generators
 * always were, with the few extra distributions they need.
 */
export class Prng extends Rng {
  private spareNormal: number | null = null;

  /** Creates a generator from any integer `seed` (default `0`). */
  constructor(seed = 0) {
    super();
    const a = splitmix32(seed >>> 0);
    const b = splitmix32(a ^ 0x1234567);
    const c = splitmix32(b ^ 0x89abcdef);
    this.setState([a, b, c, 1]);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A float uniform in `[0, 1)`. */
  next(): number {
    return this.random();
  }

  /** An integer uniform in `[lo, hi]` (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A standard normal sample (Box–Muller, caching the spare value). */
  override normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Prng.pick: empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A random RGB colour, each channel uniform in `[0, 255]`. */
  color(): [number, number, number] {
    return [this.int(0, 255), this.int(0, 255), this.int(0, 255)];
  }
}

/**
 * Seeded, serialisable random number generation.
 *
 * All randomness of the framework (initialisation, dropout, drop path, data
 * shuffling and augmentation) flows from {@link Rng} instances, so that a run is
 * reproducible from its seed and a resumed run continues the exact same random
 * stream from the state saved in its checkpoint.
 */

/** The serialisable state of an {@link Rng}: four 32-bit words of sfc32. */
export type RngState = [number, number, number, number];

/**
 * A small, fast PRNG (sfc32) with a 128-bit state. Not cryptographic.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed = 0) {
    this.reseed(seed);
  }

  /** Resets the generator to the stream of `seed`. */
  reseed(seed: number): void {
    // splitmix32 spreads the seed over the four state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The current state, to be stored in a checkpoint. */
  getState(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  /** Restores a state produced by {@link getState}. */
  setState(state: RngState): void {
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0) as RngState;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform float in [0, 1). */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** A uniform integer in [low, high) (high exclusive). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    let u = this.random();
    while (u === 0) u = this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A seed for a tfjs random op (`tf.randomUniform(..., seed)`), drawn from this stream. */
  tensorSeed(): number {
    return this.nextUint32();
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

const modelRng = new Rng(0);

/**
 * The generator used by model-side randomness (initialisers, dropout, drop path).
 * The runner seeds it from `randomness.seed` and stores its state in checkpoints.
 */
export function globalRng(): Rng {
  return modelRng;
}

/** Reseeds the model-side generator. */
export function setGlobalSeed(seed: number): void {
  modelRng.reseed(seed);
}

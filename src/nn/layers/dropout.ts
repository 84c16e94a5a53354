import { tf } from '../../core/tf.js';
import { globalRng } from '../../core/rng.js';
import { Module } from '../module.js';

function checkRate(kind: string, p: number): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`${kind}: rate must be in [0, 1), got ${p}`);
}

/**
 * Element-wise dropout, as `torch.nn.Dropout(p)`: in training, zeroes each element
 * with probability `p` and scales the rest by `1/(1-p)`; identity in eval mode.
 * Random draws come from the seeded {@link globalRng}.
 */
export class Dropout extends Module {
  /** @param p drop probability in [0, 1). */
  constructor(readonly p: number) {
    super();
    checkRate('Dropout', p);
  }

  /** Same shape in and out. */
  forward<T extends tf.Tensor>(x: T): T {
    if (!this.training || this.p === 0) return x;
    return tf.dropout(x, this.p, undefined, globalRng().tensorSeed()) as T;
  }
}

/**
 * Stochastic depth per sample (timm's `DropPath`): in training, zeroes the whole
 * residual branch of each sample with probability `p` and scales kept samples by
 * `1/(1-p)`; identity in eval mode.
 */
export class DropPath extends Module {
  /** @param p drop probability in [0, 1). */
  constructor(readonly p: number) {
    super();
    checkRate('DropPath', p);
  }

  /** `x` `[B, ...]` → same shape; one keep/drop draw per sample. */
  forward<T extends tf.Tensor>(x: T): T {
    if (!this.training || this.p === 0) return x;
    const keepProb = 1 - this.p;
    return tf.tidy(() => {
      const maskShape = [x.shape[0], ...new Array<number>(x.rank - 1).fill(1)];
      const keep = tf.randomUniform(maskShape, 0, 1, 'float32', globalRng().tensorSeed()).add(keepProb).floor(); // [B,1,..]
      return x.div(keepProb).mul(keep) as T;
    });
  }
}

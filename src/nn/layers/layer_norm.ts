import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { ones, zeros } from '../init.js';
import { normalizeAffine } from '../functional/normalize.js';

/**
 * Layer normalisation over the last dimension, as `torch.nn.LayerNorm(dim, eps)`.
 *
 * Parameters: `weight` `[dim]` (init 1), `bias` `[dim]` (init 0). Biased variance.
 */
export class LayerNorm extends Module {
  /** `[dim]`. */
  readonly weight: Parameter;
  /** `[dim]`. */
  readonly bias: Parameter;

  /** @param eps added to the variance. Default 1e-5 (PyTorch's). */
  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.addParameter('weight', ones([dim]));
    this.bias = this.addParameter('bias', zeros([dim]));
  }

  /**
   * `x` `[..., dim]` → same shape.
   *
   * One custom-gradient op: the backward keeps `x` and the per-row mean and `1/σ` (`[..., 1]`),
   * as PyTorch's does, not the centred, normalised and scaled copies the op-by-op tape would keep.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.dim) {
      throw new ShapeError(`LayerNorm(${this.dim}): input ${formatShape(x.shape)} has last dim ${x.shape[x.rank - 1]}`);
    }
    return tf.tidy(() => normalizeAffine(x, [x.rank - 1], this.weight.value, this.bias.value, this.eps));
  }
}

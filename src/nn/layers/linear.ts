import { tf } from '../../core/tf.js';
import { ShapeError, formatShape } from '../../core/errors.js';
import { Module, type Parameter } from '../module.js';
import { torchDefaultBias, torchDefaultWeight } from '../init.js';
import { linear2d } from '../functional/linear.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias. Default `true`. */
  bias?: boolean;
}

/**
 * A fully connected layer, `y = x W^T + b`, as `torch.nn.Linear`.
 *
 * Parameters: `weight` `[outFeatures, inFeatures]` (PyTorch layout), `bias` `[outFeatures]`.
 * Initialised as PyTorch does by default; models re-initialise as their recipe says.
 */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  readonly weight: Parameter;
  /** `[outFeatures]`, or `null` without bias. */
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    this.weight = this.addParameter('weight', torchDefaultWeight([outFeatures, inFeatures]));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', torchDefaultBias(outFeatures, inFeatures)) : null;
  }

  /** `x` `[..., inFeatures]` → `[..., outFeatures]`. */
  forward(x: tf.Tensor): tf.Tensor {
    const inner = x.shape[x.rank - 1];
    if (inner !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}→${this.outFeatures}): input ${formatShape(x.shape)} has ${inner} features`);
    }
    return tf.tidy(() => {
      const flat = x.reshape([-1, this.inFeatures]); // [N, in]
      // No fused bias: the wasm backend's fallback _FusedMatMul broadcasts it wrongly (tfjs 4.22).
      const product = linear2d(flat as tf.Tensor2D, this.weight.value as tf.Tensor2D); // [N, out]
      const y = this.bias === null ? product : product.add(this.bias.value);
      return y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}

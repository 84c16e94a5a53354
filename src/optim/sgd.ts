/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD` (torch 1.13).
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Base learning rate (required: torch has no default). */
  lr: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Dampening of the momentum. Default 0. */
  dampening: number;
  /** Base weight decay: L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
}

/** Defaults of {@link SGDOptions} other than `lr`. */
export const SGD_DEFAULTS: Omit<SGDOptions, 'lr'> = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };

/**
 * SGD exactly as torch 1.13's `_single_tensor_sgd`, per parameter p with
 * gradient g, group lr η and decay λ, momentum μ, dampening τ:
 *
 * ```
 * d ← g + λ·p                                   (when λ ≠ 0; coupled L2)
 * b ← d                      at the first update (torch clones the gradient)
 * b ← μ·b + (1 − τ)·d        afterwards          (when μ ≠ 0)
 * d ← d + μ·b  (nesterov)    or  d ← b
 * p ← p − η·d
 * ```
 * Slot: `momentum_buffer` (only when μ ≠ 0, created at the first update).
 */
export class SGD extends Optimizer {
  /** The resolved options. */
  readonly options: SGDOptions;

  /**
   * @param groups parameter groups (see {@link buildParamGroups}).
   * @param options hyper-parameters; `lr` is required, others take {@link SGD_DEFAULTS}.
   * @throws ConfigError on invalid hyper-parameters (as torch's checks).
   */
  constructor(groups: readonly ParamGroupInput[], options: Partial<SGDOptions> & { lr: number }) {
    const o: SGDOptions = { ...SGD_DEFAULTS, ...options };
    if (!(o.lr >= 0)) throw new ConfigError(`SGD: invalid lr ${o.lr} (expected ≥ 0)`);
    if (!(o.momentum >= 0)) throw new ConfigError(`SGD: invalid momentum ${o.momentum} (expected ≥ 0)`);
    if (!(o.weightDecay >= 0)) throw new ConfigError(`SGD: invalid weightDecay ${o.weightDecay} (expected ≥ 0)`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ConfigError('SGD: nesterov momentum requires a momentum > 0 and zero dampening');
    }
    super(groups, { lr: o.lr, weightDecay: o.weightDecay });
    this.options = o;
  }

  protected override get slotNames(): readonly string[] {
    return this.options.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected override get eagerSlots(): boolean {
    return false;
  }

  protected override updateParam(param: tf.Variable, grad: tf.Tensor, state: ParamState, group: ParamGroup): void {
    const { momentum, dampening, nesterov } = this.options;
    let d: tf.Tensor = grad;
    if (group.weightDecay !== 0) d = d.add(param.mul(tf.scalar(group.weightDecay)));
    if (momentum !== 0) {
      const buf = state.slots.get('momentum_buffer');
      let b: tf.Tensor;
      if (buf === undefined) {
        this.createSlot(state, 'momentum_buffer', d);
        b = d;
      } else {
        b = buf.mul(tf.scalar(momentum)).add(d.mul(tf.scalar(1 - dampening)));
        buf.assign(b);
      }
      d = nesterov ? d.add(b.mul(tf.scalar(momentum))) : b;
    }
    param.assign(param.add(d.mul(tf.scalar(-group.lr))));
  }
}

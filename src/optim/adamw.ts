/**
 * AdamW, as `torch.optim.AdamW` (torch 1.13, `amsgrad=False`, single-tensor path).
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Base learning rate. Default 1e-3. */
  lr: number;
  /** Coefficients (β1, β2) of the running averages of the gradient and its square. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator after the square root, for stability. Default 1e-8. */
  eps: number;
  /** Base decoupled weight decay. Default 0.01. */
  weightDecay: number;
}

/** Defaults of {@link AdamWOptions} (torch's). */
export const ADAMW_DEFAULTS: AdamWOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), exactly as torch 1.13's
 * `_single_tensor_adamw` orders the operations, per parameter p with gradient g
 * at its t-th update (t counted per parameter), group lr η and decay λ:
 *
 * ```
 * p ← p · (1 − η·λ)                       decoupled decay, first
 * m ← m·β1 + (1 − β1)·g
 * v ← v·β2 + (1 − β2)·g·g
 * denom = √v / √(1 − β2^t) + ε            ε after the bias-corrected square root
 * p ← p − (η / (1 − β1^t)) · m / denom
 * ```
 *
 * Scalars (`1 − ηλ`, `η/(1 − β1^t)`, `√(1 − β2^t)`) are computed in double
 * precision, tensors in float32. Slots: `exp_avg` (m), `exp_avg_sq` (v).
 */
export class AdamW extends Optimizer {
  /** The resolved options. */
  readonly options: AdamWOptions;

  /**
   * @param groups parameter groups (see {@link buildParamGroups}).
   * @param options hyper-parameters; missing ones take {@link ADAMW_DEFAULTS}.
   * @throws ConfigError on out-of-range hyper-parameters (as torch's checks).
   */
  constructor(groups: readonly ParamGroupInput[], options: Partial<AdamWOptions> = {}) {
    const o: AdamWOptions = { ...ADAMW_DEFAULTS, ...options };
    if (!(o.lr >= 0)) throw new ConfigError(`AdamW: invalid lr ${o.lr} (expected ≥ 0)`);
    if (!(o.eps >= 0)) throw new ConfigError(`AdamW: invalid eps ${o.eps} (expected ≥ 0)`);
    if (!Array.isArray(o.betas) || o.betas.length !== 2 || !o.betas.every((b) => b >= 0 && b < 1)) {
      throw new ConfigError(`AdamW: invalid betas ${JSON.stringify(o.betas)} (expected two numbers in [0, 1))`);
    }
    if (!(o.weightDecay >= 0)) throw new ConfigError(`AdamW: invalid weightDecay ${o.weightDecay} (expected ≥ 0)`);
    super(groups, { lr: o.lr, weightDecay: o.weightDecay });
    this.options = { ...o, betas: [o.betas[0], o.betas[1]] };
  }

  protected override get slotNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected override updateParam(param: tf.Variable, grad: tf.Tensor, state: ParamState, group: ParamGroup): void {
    const [beta1, beta2] = this.options.betas;
    const { eps } = this.options;
    const lr = group.lr;
    const t = state.step;
    const expAvg = state.slots.get('exp_avg') as tf.Variable;
    const expAvgSq = state.slots.get('exp_avg_sq') as tf.Variable;

    const decayed = param.mul(tf.scalar(1 - lr * group.weightDecay));
    const m = expAvg.mul(tf.scalar(beta1)).add(grad.mul(tf.scalar(1 - beta1)));
    const v = expAvgSq.mul(tf.scalar(beta2)).add(grad.mul(tf.scalar(1 - beta2)).mul(grad));
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    const stepSize = lr / biasCorrection1;
    const denom = v
      .sqrt()
      .div(tf.scalar(Math.sqrt(biasCorrection2)))
      .add(tf.scalar(eps));
    const updated = decayed.add(m.mul(tf.scalar(-stepSize)).div(denom));
    expAvg.assign(m);
    expAvgSq.assign(v);
    param.assign(updated);
  }
}

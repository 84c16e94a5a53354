/**
 * One optimizer update: forward and backward over `accumulativeCounts` batches
 * (gradients averaged), a check that the loss is finite, optional clipping by
 * global norm, a check that the gradients are finite, the optimizer step and a
 * check that the updated weights are finite. Everything runs in `tf.tidy` or is
 * disposed explicitly.
 */
import { tf } from '../core/tf.js';
import { variableGradsEarlyRelease } from '../core/early_release_gradients.js';
import type { Model } from '../models/base_model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { clipGradNorm } from '../optim/clip_grad.js';
import type { Batch } from '../structures/data_sample.js';
import { NonFiniteLossError, allFinite } from './non_finite_guard.js';

export { NonFiniteLossError } from './non_finite_guard.js';

/** What one micro-batch contributed. */
export interface MicroStepResult {
  /** Value of each loss term. */
  losses: Record<string, number>;
  /** Sum of the terms. */
  total: number;
}

/** Result of an optimizer update. */
export interface UpdateResult {
  /** Mean of each loss term over the accumulated micro-batches. */
  losses: Record<string, number>;
  /** Mean total loss. */
  total: number;
  /** Global gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
}

/** Options of {@link TrainStep}. */
export interface TrainStepOptions {
  /** Clip the global gradient norm to this value; null disables clipping. */
  clipMaxNorm: number | null;
  /** Norm type of clipping. Default 2. */
  clipNormType?: number;
  /** Micro-batches per optimizer update (gradient accumulation). Default 1. */
  accumulativeCounts?: number;
}

/** Computes gradients, accumulates them and applies updates. */
export class TrainStep {
  private accumulated = new Map<string, tf.Tensor>();
  private micro: MicroStepResult[] = [];
  private readonly variables: Array<[string, tf.Variable]>;

  constructor(
    readonly model: Model,
    readonly optimizer: Optimizer,
    readonly options: TrainStepOptions,
  ) {
    this.variables = optimizer.groups.flatMap((g) => g.params.map((p) => [p.name, p.variable] as [string, tf.Variable]));
  }

  /** Micro-batches per update. */
  get accumulation(): number {
    return this.options.accumulativeCounts ?? 1;
  }

  /**
   * Forward and backward of one batch; gradients are added to the running sum.
   * @param iter 0-based index of the iteration; errors name its 1-based number, as the log does.
   * @throws NonFiniteLossError when a loss term is not finite (nothing is applied).
   */
  accumulate(batch: Batch, iter: number): MicroStepResult {
    const scale = 1 / this.accumulation;
    const kept: Record<string, tf.Scalar> = {};
    const varList = this.variables.map(([, v]) => v);
    this.model.beforeLoss(batch);
    let computed: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      computed = variableGradsEarlyRelease(() => {
        const losses = this.model.loss(batch);
        let total = tf.scalar(0);
        for (const [k, v] of Object.entries(losses)) {
          kept[k] = tf.keep(v);
          total = total.add(v);
        }
        return total.mul(scale) as tf.Scalar;
      }, varList);
    } finally {
      this.model.afterLoss();
    }
    const { value, grads } = computed;
    value.dispose();
    const losses: Record<string, number> = {};
    for (const [k, v] of Object.entries(kept)) {
      losses[k] = v.dataSync()[0];
      v.dispose();
    }
    const total = Object.values(losses).reduce((a, b) => a + b, 0);
    if (!Object.values(losses).every(Number.isFinite)) {
      tf.dispose(Object.values(grads));
      this.reset();
      throw new NonFiniteLossError(iter + 1, losses, 'loss');
    }
    for (const [name, v] of this.variables) {
      const g = grads[v.name];
      if (g === undefined) continue;
      const prev = this.accumulated.get(name);
      if (prev === undefined) this.accumulated.set(name, g);
      else {
        this.accumulated.set(name, prev.add(g));
        prev.dispose();
        g.dispose();
      }
    }
    const result = { losses, total };
    this.micro.push(result);
    return result;
  }

  /** Whether enough micro-batches have been accumulated for an update. */
  get ready(): boolean {
    return this.micro.length >= this.accumulation;
  }

  /**
   * Clips (optionally) and applies the accumulated gradients, then clears them.
   * @param iter 0-based index of the iteration (errors name iteration `iter + 1`).
   * @throws NonFiniteLossError when the gradients are not finite (nothing applied), or when
   *   the updated weights are not finite (the in-memory model is then poisoned: stop or roll back).
   */
  apply(iter: number): UpdateResult {
    const n = this.micro.length;
    const losses: Record<string, number> = {};
    for (const m of this.micro) for (const [k, v] of Object.entries(m.losses)) losses[k] = (losses[k] ?? 0) + v / n;
    const total = this.micro.reduce((a, m) => a + m.total, 0) / n;
    let grads = this.accumulated;
    let gradNorm: number | undefined;
    try {
      if (this.options.clipMaxNorm !== null) {
        const clipped = clipGradNorm(grads, this.options.clipMaxNorm, this.options.clipNormType ?? 2);
        gradNorm = clipped.totalNorm;
        if (!Number.isFinite(gradNorm)) {
          tf.dispose([...clipped.grads.values()]);
          throw new NonFiniteLossError(iter + 1, { ...losses, grad_norm: gradNorm }, 'gradient');
        }
        tf.dispose([...grads.values()]);
        grads = clipped.grads;
      } else if (!allFinite([...grads.values()])) {
        throw new NonFiniteLossError(iter + 1, losses, 'gradient');
      }
      this.optimizer.step(grads);
      if (!allFinite([...this.variables.map(([, v]) => v), ...this.optimizer.slotVariables()]))
        throw new NonFiniteLossError(iter + 1, { ...losses, ...(gradNorm === undefined ? {} : { grad_norm: gradNorm }) }, 'weights');
    } finally {
      tf.dispose([...grads.values()]);
      this.accumulated = new Map();
      this.micro = [];
    }
    return { losses, total, gradNorm };
  }

  /** Drops accumulated gradients. */
  reset(): void {
    tf.dispose([...this.accumulated.values()]);
    this.accumulated = new Map();
    this.micro = [];
  }
}

/**
 * An exponential moving average of a model's state dict, with timm's
 * semantics:
 *
 * - update (`timm.utils.ModelEmaV2`): for every float entry of the state dict
 *   (parameters and buffers such as BN running statistics),
 *   `ema ← decay · ema + (1 − decay) · model`; integer entries are copied
 *   (as ModelEmaV3 does; V2 blends and truncates them);
 * - optional warm-up of the decay (`timm.utils.ModelEmaV3.get_decay`, with
 *   `update_after_step = 0`): at the `t`-th update (t = 1, 2, …, timm train.py's
 *   `num_updates`), with `s = t − 1`, `decay_t = 0` for `s = 0` (the first
 *   update copies the model), else
 *   `decay_t = clamp(1 − (1 + s / warmupGamma)^(−warmupPower), minDecay, decay)`.
 *   (ModelEmaV3 applies it with `lerp`; this uses V2's formula, equal up to float rounding.)
 */
import { tf } from '../../core/tf.js';

/** Decay schedule of {@link ExponentialMovingAverage}. */
export interface EmaDecayOptions {
  /** Decay of the average. Default 0.9998 (timm train.py's `--model-ema-decay`). */
  decay: number;
  /** Warm the decay up (ModelEmaV3). Default false. */
  warmup: boolean;
  /** Warm-up gamma. Default 1. */
  warmupGamma: number;
  /** Warm-up power. Default 2/3. */
  warmupPower: number;
  /** Lower bound of the warmed-up decay. Default 0. */
  minDecay: number;
}

/** The decay used at the `step`-th update (1-based). */
export function emaDecayAt(step: number, o: EmaDecayOptions): number {
  if (!o.warmup) return o.decay;
  const s = Math.max(0, step - 1);
  if (s <= 0) return 0;
  const d = 1 - (1 + s / o.warmupGamma) ** -o.warmupPower;
  return Math.max(o.minDecay, Math.min(d, o.decay));
}

/** The averaged copy of a state dict, held in non-trainable variables. */
export class ExponentialMovingAverage {
  private readonly averaged = new Map<string, tf.Variable>();

  /** Starts the average as a copy of `source`. */
  constructor(source: ReadonlyMap<string, tf.Tensor>) {
    for (const [name, t] of source) {
      const copy = t.clone();
      this.averaged.set(name, tf.variable(copy, false, undefined, t.dtype));
      copy.dispose();
    }
  }

  /** The averaged tensors, by state-dict name (owned by this object). */
  get state(): ReadonlyMap<string, tf.Variable> {
    return this.averaged;
  }

  /** `ema ← decay · ema + (1 − decay) · source` for float entries, copy for the others. */
  update(source: ReadonlyMap<string, tf.Tensor>, decay: number): void {
    tf.tidy(() => {
      const d = tf.scalar(decay);
      const w = tf.scalar(1 - decay);
      for (const [name, ema] of this.averaged) {
        const m = source.get(name);
        if (m === undefined) throw new Error(`ExponentialMovingAverage.update: the model has no '${name}'`);
        ema.assign(ema.dtype === 'float32' ? ema.mul(d).add(m.mul(w)) : m);
      }
    });
  }

  /** Overwrites the average with `values` (e.g. from a checkpoint). */
  assign(values: ReadonlyMap<string, tf.Tensor>): void {
    for (const [name, ema] of this.averaged) {
      const v = values.get(name);
      if (v === undefined) throw new Error(`ExponentialMovingAverage.assign: no '${name}' given`);
      ema.assign(v);
    }
  }

  dispose(): void {
    for (const v of this.averaged.values()) v.dispose();
    this.averaged.clear();
  }
}

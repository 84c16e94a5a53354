/**
 * Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_` (torch 1.13).
 */
import { tf } from '../core/tf.js';
import { ConfigError } from '../core/errors.js';

/** Result of {@link clipGradNorm}. */
export interface ClipGradResult {
  /** The (possibly scaled) gradients, by the same names: new tensors the CALLER OWNS. */
  grads: Map<string, tf.Tensor>;
  /** The total norm of the input gradients (before clipping), as torch returns it. */
  totalNorm: number;
  /** Whether the gradients were scaled (clip coefficient < 1). */
  clipped: boolean;
}

/**
 * Clips the global norm of `grads` to `maxNorm`, as torch:
 *
 * ```
 * total = ‖(‖g_1‖_p, …, ‖g_n‖_p)‖_p        (p = 2: √Σ‖g_i‖²;  p = ∞: max |g|)
 * coef  = maxNorm / (total + 1e-6)
 * g_i  ← g_i · min(coef, 1)
 * ```
 * computed in float32. A non-finite total norm propagates into the gradients
 * (torch's `error_if_nonfinite=False`). An empty map gives total norm 0.
 *
 * The input tensors are neither modified nor disposed; the returned ones are
 * new (clones when no clipping happens) and must be disposed by the caller.
 *
 * @param maxNorm the maximal total norm (> 0).
 * @param normType 2 (default) or `Infinity`.
 * @throws ConfigError on another norm type or a non-positive `maxNorm`.
 */
export function clipGradNorm(grads: ReadonlyMap<string, tf.Tensor>, maxNorm: number, normType = 2): ClipGradResult {
  if (normType !== 2 && normType !== Infinity) {
    throw new ConfigError(`clipGradNorm: normType ${normType} is not supported (use 2 or Infinity)`);
  }
  if (!(maxNorm > 0)) throw new ConfigError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  if (grads.size === 0) return { grads: new Map(), totalNorm: 0, clipped: false };
  const entries = [...grads.entries()];
  const { total, coef } = tf.tidy(() => {
    const norms = entries.map(([, g]) => {
      const x = g.dtype === 'float32' ? g : g.cast('float32');
      return normType === 2 ? x.square().sum().sqrt() : x.abs().max();
    });
    const stacked = tf.stack(norms);
    const totalNorm = normType === 2 ? stacked.square().sum().sqrt() : stacked.max();
    const clipCoef = tf
      .scalar(maxNorm)
      .div(totalNorm.add(tf.scalar(1e-6)))
      .minimum(tf.scalar(1));
    return { total: totalNorm, coef: clipCoef };
  });
  const [totalNorm, coefValue] = [total.dataSync()[0], coef.dataSync()[0]];
  const clipped = !(coefValue >= 1);
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of entries) out.set(name, clipped ? tf.tidy(() => g.mul(coef)) : tf.clone(g));
  tf.dispose([total, coef]);
  return { grads: out, totalNorm, clipped };
}

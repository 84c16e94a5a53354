/**
 * Normalisation with a per-channel affine transform, as one custom-gradient op: the backward
 * keeps the input and the per-group mean and `1/σ` (as PyTorch's LayerNorm/BatchNorm kernels do),
 * not the centred, normalised and scaled copies an op-by-op tape would keep.
 */
import { tf } from '../../core/tf.js';

/** Statistics of one normalisation: the mean and the biased variance, both `[C]` for BatchNorm, `[..., 1]` for LayerNorm. */
export type NormStatsCallback = (mean: tf.Tensor, biasedVariance: tf.Tensor) => void;

/**
 * `(x − mean) / √(var + eps) · weight + bias`, mean and biased variance over `reduceAxes`.
 *
 * @param x `[..., C]`
 * @param reduceAxes axes of the statistics: `[rank − 1]` for LayerNorm, `[0, 1, 2]` for NHWC BatchNorm.
 * @param weight `[C]` or null (no scale).
 * @param bias `[C]` or null (no shift).
 * @param onStats called in the forward with the mean and biased variance (kept dims), e.g. for running statistics.
 * @returns same shape as `x`; gradients flow to `x`, `weight` and `bias`.
 */
export function normalizeAffine(x: tf.Tensor, reduceAxes: number[], weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number, onStats?: NormStatsCallback): tf.Tensor {
  const params = [weight, bias].filter((p): p is tf.Tensor => p !== null);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const w = weight === null ? null : (args[1] as tf.Tensor);
    const b = bias === null ? null : (args[weight === null ? 1 : 2] as tf.Tensor);
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const mean = input.mean(reduceAxes, true); // kept dims
    const centered = input.sub(mean);
    const variance = centered.square().mean(reduceAxes, true);
    onStats?.(mean, variance);
    const rstd = variance.add(eps).rsqrt();
    save(w === null ? [input, mean, rstd] : [input, mean, rstd, w]);
    let y = centered.mul(rstd);
    if (w !== null) y = y.mul(w);
    if (b !== null) y = y.add(b);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [v, mu, r, gamma] = saved;
          const paramAxes = Array.from({ length: v.rank - 1 }, (_, i) => i); // all but the channel axis
          const xhat = v.sub(mu).mul(r);
          const g = gamma === undefined ? dy : dy.mul(gamma); // d/dx̂
          const dx = g
            .sub(g.mean(reduceAxes, true))
            .sub(xhat.mul(g.mul(xhat).mean(reduceAxes, true)))
            .mul(r);
          const grads = [dx];
          if (weight !== null) grads.push(dy.mul(xhat).sum(paramAxes));
          if (bias !== null) grads.push(dy.sum(paramAxes));
          return grads;
        }),
    };
  });
  return op(x, ...params);
}

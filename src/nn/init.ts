/**
 * Weight initialisers, following `torch.nn.init` and timm's `trunc_normal_`.
 *
 * Values are drawn in JavaScript from the seeded {@link globalRng}, so a model
 * initialises identically on every backend for the same seed.
 */
import { tf } from '../core/tf.js';
import { globalRng, type Rng } from '../core/rng.js';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fill(shape: readonly number[], sample: () => number): tf.Tensor {
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = sample();
  return tf.tensor(data, [...shape], 'float32');
}

/**
 * Fan-in and fan-out as PyTorch computes them: dim 1 and dim 0 of the weight,
 * times the receptive field (product of the remaining dims).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: need a weight of rank >= 2, got shape [${shape.join(',')}]`);
  const receptive = size(shape.slice(2));
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Zeros. */
export function zeros(shape: readonly number[]): tf.Tensor {
  return tf.zeros([...shape]);
}

/** Ones. */
export function ones(shape: readonly number[]): tf.Tensor {
  return tf.ones([...shape]);
}

/** A constant `value`. */
export function constant(shape: readonly number[], value: number): tf.Tensor {
  return tf.fill([...shape], value);
}

/** Uniform in [low, high). */
export function uniform(shape: readonly number[], low: number, high: number, rng: Rng = globalRng()): tf.Tensor {
  return fill(shape, () => rng.uniform(low, high));
}

/** Normal with mean and std. */
export function normal(shape: readonly number[], mean = 0, std = 1, rng: Rng = globalRng()): tf.Tensor {
  return fill(shape, () => mean + std * rng.normal());
}

/** Options of {@link truncNormal}. */
export interface TruncNormalOptions {
  /** Mean. Default 0. */
  mean?: number;
  /** Standard deviation of the untruncated normal. Default 1. */
  std?: number;
  /** Lower bound, absolute (as timm's `trunc_normal_`). Default -2. */
  a?: number;
  /** Upper bound, absolute. Default 2. */
  b?: number;
}

/**
 * Truncated normal, as timm's `trunc_normal_(mean, std, a, b)`: a normal(mean, std)
 * restricted to [a, b] (absolute bounds, not multiples of std), by rejection.
 */
export function truncNormal(shape: readonly number[], options: TruncNormalOptions = {}, rng: Rng = globalRng()): tf.Tensor {
  const { mean = 0, std = 1, a = -2, b = 2 } = options;
  return fill(shape, () => {
    for (;;) {
      const v = mean + std * rng.normal();
      if (v >= a && v <= b) return v;
    }
  });
}

/** Gain of a nonlinearity, as `torch.nn.init.calculate_gain`. */
export function gain(nonlinearity: 'linear' | 'relu' | 'leaky_relu', negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
      return 1;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
  }
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** Negative slope of leaky ReLU (PyTorch's `a`). Default 0. */
  a?: number;
  /** Which fan to preserve. Default 'fan_in'. */
  mode?: 'fan_in' | 'fan_out';
  /** Default 'leaky_relu' (PyTorch's default). */
  nonlinearity?: 'linear' | 'relu' | 'leaky_relu';
}

function kaimingStd(shape: readonly number[], options: KaimingOptions): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  const { fanIn, fanOut } = fans(shape);
  return gain(nonlinearity, a) / Math.sqrt(mode === 'fan_in' ? fanIn : fanOut);
}

/** `torch.nn.init.kaiming_uniform_`. */
export function kaimingUniform(shape: readonly number[], options: KaimingOptions = {}, rng: Rng = globalRng()): tf.Tensor {
  const bound = Math.sqrt(3) * kaimingStd(shape, options);
  return uniform(shape, -bound, bound, rng);
}

/** `torch.nn.init.kaiming_normal_`. */
export function kaimingNormal(shape: readonly number[], options: KaimingOptions = {}, rng: Rng = globalRng()): tf.Tensor {
  return normal(shape, 0, kaimingStd(shape, options), rng);
}

/** `torch.nn.init.xavier_uniform_`. */
export function xavierUniform(shape: readonly number[], gainValue = 1, rng: Rng = globalRng()): tf.Tensor {
  const { fanIn, fanOut } = fans(shape);
  const bound = gainValue * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape, -bound, bound, rng);
}

/**
 * PyTorch's default initialisation of Linear and Conv weights
 * (`kaiming_uniform_(a=sqrt(5))`, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
 */
export function torchDefaultWeight(shape: readonly number[], rng: Rng = globalRng()): tf.Tensor {
  return kaimingUniform(shape, { a: Math.sqrt(5) }, rng);
}

/** PyTorch's default bias initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function torchDefaultBias(outFeatures: number, fanIn: number, rng: Rng = globalRng()): tf.Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform([outFeatures], -bound, bound, rng);
}

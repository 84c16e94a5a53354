/**
 * timm's `Mixup` (`timm/data/mixup.py`) in batch mode: one λ per batch, mixing each
 * image with the batch flipped (image i with image B−1−i), either by blending
 * (mixup, λ ~ Beta(α_mixup)) or by pasting a box (CutMix, λ ~ Beta(α_cutmix), box
 * area 1−λ), with soft targets `λ·y + (1−λ)·y_flipped` whose one-hots carry label
 * smoothing.
 */
import { tf } from '../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

/** The random draws Mixup makes, in timm's order (numpy's `rand`, `beta`, `randint` there). */
export interface MixupDraws {
  /** Uniform in [0, 1). */
  rand(): number;
  /** A Beta(a, b) sample. */
  beta(a: number, b: number): number;
  /** A uniform integer in [low, high). */
  randint(low: number, high: number): number;
}

/** A Gamma(shape, 1) sample (Marsaglia–Tsang; shape < 1 boosted by U^(1/shape)). */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** {@link MixupDraws} from a seeded {@link Rng} (the framework's; numpy's stream cannot be reproduced). */
export function rngMixupDraws(rng: Rng): MixupDraws {
  return {
    rand: () => rng.random(),
    beta: (a, b) => {
      const x = gamma(rng, a);
      const y = gamma(rng, b);
      return x / (x + y);
    },
    randint: (low, high) => rng.randint(low, high),
  };
}

/** Options of {@link Mixup} (timm's argument names in camelCase). */
export interface MixupOptions {
  /** α of mixup's Beta(α, α); 0 disables mixup. Default 0.8 (Swin/DeiT recipe). */
  mixupAlpha: number;
  /** α of CutMix's Beta(α, α); 0 disables CutMix. Default 1.0. */
  cutmixAlpha: number;
  /** CutMix box side ratios `[min, max]` of the image (forces cutmixAlpha 1), or null for the λ-sized box. Default null. */
  cutmixMinmax: [number, number] | null;
  /** Probability of mixing a batch at all. Default 1. */
  prob: number;
  /** Probability of CutMix instead of mixup when both are enabled. Default 0.5. */
  switchProb: number;
  /** Only `'batch'` (one λ per batch, timm's default and the Swin recipe's); timm's 'pair' and 'elem' are not ported. Default 'batch'. */
  mode: string;
  /** Recompute λ from the CutMix box after clipping it to the image. Default true. */
  correctLam: boolean;
  /** Label smoothing ε of the targets: on = 1 − ε + ε/K, off = ε/K. Default 0.1. */
  labelSmoothing: number;
}

/** Defaults of {@link MixupOptions}: the official Swin-T recipe. */
export const MIXUP_DEFAULTS: MixupOptions = {
  mixupAlpha: 0.8,
  cutmixAlpha: 1.0,
  cutmixMinmax: null,
  prob: 1,
  switchProb: 0.5,
  mode: 'batch',
  correctLam: true,
  labelSmoothing: 0.1,
};

/** What one {@link Mixup.apply} did. */
export interface MixupResult {
  /** `[B, H, W, C]` mixed images. */
  inputs: tf.Tensor4D;
  /** `[B, K]` soft targets. */
  target: tf.Tensor2D;
  /** The λ used for the targets (1: batch left unmixed). */
  lam: number;
  /** The pasted box `[y0, y1, x0, x1]` (end-exclusive) when CutMix ran, else null. */
  box: [number, number, number, number] | null;
}

/** timm's `mixup_target`: `λ·onehot(y) + (1−λ)·onehot(flip(y))` with smoothing. `[B, K]`. */
export function mixupTarget(labels: ArrayLike<number>, numClasses: number, lam: number, smoothing: number): tf.Tensor2D {
  const b = labels.length;
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const y1 = new Float32Array(b * numClasses).fill(off);
  const y2 = new Float32Array(b * numClasses).fill(off);
  for (let i = 0; i < b; i++) {
    const l = labels[i];
    const f = labels[b - 1 - i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) throw new RangeError(`Mixup: label ${l} of image ${i} is not in [0, ${numClasses})`);
    y1[i * numClasses + l] = on;
    y2[i * numClasses + f] = on;
  }
  return tf.tidy(
    () =>
      tf
        .tensor2d(y1, [b, numClasses])
        .mul(lam)
        .add(tf.tensor2d(y2, [b, numClasses]).mul(1 - lam)) as tf.Tensor2D,
  );
}

/** Batch-level mixup / CutMix with timm's semantics. */
export class Mixup {
  readonly options: MixupOptions;

  /** @throws ConfigError on a value timm would reject. */
  constructor(
    options: Partial<MixupOptions>,
    readonly numClasses: number,
  ) {
    const o = { ...MIXUP_DEFAULTS, ...options };
    if (o.mode !== 'batch') throw new ConfigError(`Mixup: mode '${o.mode}' is not supported; the choices are 'batch' (timm's 'pair' and 'elem' are not ported)`);
    if (o.cutmixMinmax !== null) {
      const [lo, hi] = o.cutmixMinmax;
      if (!(o.cutmixMinmax.length === 2 && lo >= 0 && lo < hi && hi <= 1))
        throw new ConfigError(`Mixup: cutmixMinmax must be [min, max] with 0 <= min < max <= 1, got ${JSON.stringify(o.cutmixMinmax)}`);
      o.cutmixAlpha = 1; // as timm
    }
    if (!(o.mixupAlpha >= 0 && o.cutmixAlpha >= 0) || (o.mixupAlpha === 0 && o.cutmixAlpha === 0)) {
      throw new ConfigError(`Mixup: mixupAlpha and cutmixAlpha must be >= 0 and not both 0, got ${o.mixupAlpha}, ${o.cutmixAlpha}`);
    }
    for (const key of ['prob', 'switchProb', 'labelSmoothing'] as const) {
      if (!(o[key] >= 0 && o[key] <= 1)) throw new ConfigError(`Mixup: ${key} must be in [0, 1], got ${o[key]}`);
    }
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new ConfigError(`Mixup: numClasses must be a positive integer, got ${numClasses}`);
    this.options = o;
  }

  /** timm's `_params_per_batch`: λ and whether to CutMix. */
  private params(draws: MixupDraws): { lam: number; cutmix: boolean } {
    const { prob, mixupAlpha, cutmixAlpha, switchProb } = this.options;
    if (!(draws.rand() < prob)) return { lam: 1, cutmix: false };
    if (mixupAlpha > 0 && cutmixAlpha > 0) {
      const cutmix = draws.rand() < switchProb;
      return { cutmix, lam: cutmix ? draws.beta(cutmixAlpha, cutmixAlpha) : draws.beta(mixupAlpha, mixupAlpha) };
    }
    if (mixupAlpha > 0) return { cutmix: false, lam: draws.beta(mixupAlpha, mixupAlpha) };
    return { cutmix: true, lam: draws.beta(cutmixAlpha, cutmixAlpha) };
  }

  /** timm's `cutmix_bbox_and_lam`: the box `[y0, y1, x0, x1]` and the (corrected) λ. */
  private box(h: number, w: number, lam: number, draws: MixupDraws): { box: [number, number, number, number]; lam: number } {
    const minmax = this.options.cutmixMinmax;
    let box: [number, number, number, number];
    if (minmax !== null) {
      const cutH = draws.randint(Math.trunc(h * minmax[0]), Math.trunc(h * minmax[1]));
      const cutW = draws.randint(Math.trunc(w * minmax[0]), Math.trunc(w * minmax[1]));
      const y0 = draws.randint(0, h - cutH);
      const x0 = draws.randint(0, w - cutW);
      box = [y0, y0 + cutH, x0, x0 + cutW];
    } else {
      const ratio = Math.sqrt(1 - lam);
      const cutH = Math.trunc(h * ratio);
      const cutW = Math.trunc(w * ratio);
      const cy = draws.randint(0, h);
      const cx = draws.randint(0, w);
      const clip = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
      box = [clip(cy - Math.floor(cutH / 2), h), clip(cy + Math.floor(cutH / 2), h), clip(cx - Math.floor(cutW / 2), w), clip(cx + Math.floor(cutW / 2), w)];
    }
    if (this.options.correctLam || minmax !== null) lam = 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (h * w);
    return { box, lam };
  }

  /**
   * Mixes a batch.
   * @param inputs `[B, H, W, C]` images (B even, as timm requires).
   * @param labels B int class indices.
   * @param draws the random source (see {@link rngMixupDraws}).
   */
  apply(inputs: tf.Tensor4D, labels: ArrayLike<number>, draws: MixupDraws): MixupResult {
    const [b, h, w] = inputs.shape;
    if (b % 2 !== 0) throw new ShapeError(`Mixup: batch size must be even, got ${formatShape(inputs.shape)}`);
    if (labels.length !== b) throw new ShapeError(`Mixup: ${labels.length} labels for a batch of ${b}`);
    const params = this.params(draws);
    let lam = params.lam;
    let box: MixupResult['box'] = null;
    const mixed = tf.tidy(() => {
      if (lam === 1) return inputs.clone();
      const flipped = tf.reverse(inputs, 0); // image i ← image B−1−i
      if (!params.cutmix) return inputs.mul(lam).add(flipped.mul(1 - lam)) as tf.Tensor4D;
      const r = this.box(h, w, lam, draws);
      box = r.box;
      lam = r.lam;
      const [y0, y1, x0, x1] = r.box;
      const mask = new Float32Array(h * w);
      for (let y = y0; y < y1; y++) mask.fill(1, y * w + x0, y * w + x1);
      const m = tf.tensor4d(mask, [1, h, w, 1]);
      return tf.where(m.cast('bool').broadcastTo(inputs.shape), flipped, inputs) as tf.Tensor4D;
    });
    return { inputs: mixed, target: mixupTarget(labels, this.numClasses, lam, this.options.labelSmoothing), lam, box };
  }
}

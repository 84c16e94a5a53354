/**
 * timm's `RandAugment` (`rand_augment_transform`, timm 0.9.x) as a pipeline
 * transform on uint8 RGB images, configured by timm's policy string.
 */
import { ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { rngAugmentDraws, type AugmentDraws } from './augment_draws.js';
import type { FillColor, PilResample } from './pil_affine.js';
import { requireRgbUint8, type RgbImage } from './pil_color_ops.js';
import { LEVEL_DENOM, RAND_AUGMENT_OPS, RAND_INCREASING_TRANSFORMS, RAND_TRANSFORMS, type RandAugmentOpName } from './rand_augment_ops.js';
import type { PipelineResults, Transform } from './transform.js';
import { requireImage } from './transform.js';

/** A policy read from timm's config string (`rand-m9-mstd0.5-inc1`). */
export interface RandAugmentPolicy {
  /** `m`: magnitude on the 0..10 scale. timm's default 10. */
  magnitude: number;
  /** `n`: operations applied per image. Default 2. */
  numLayers: number;
  /** `p`: probability of applying each chosen operation. Default 0.5. */
  prob: number;
  /** `mstd`: std of the Gaussian noise on the magnitude (0 off; `Infinity` for `mstd` > 100: uniform in [0, m]). Default 0. */
  magnitudeStd: number;
  /** `mmax`: upper clip of the noisy magnitude (null: 10). Default null. */
  magnitudeMax: number | null;
  /** `inc`: the "increasing" operation set. Default false. */
  increasing: boolean;
}

/**
 * Parses timm's RandAugment string: `rand` then `-`-separated sections `m<int>`,
 * `n<int>`, `p<float>`, `mstd<float>`, `mmax<int>`, `inc<int>`. As in timm, a
 * section without a number is ignored and any `inc<digits>` (even `inc0`)
 * selects the increasing set. timm's `t…` transform sets (weighted choice,
 * `3a`) are not supported.
 * @param path config path for errors.
 */
export function parseRandAugmentPolicy(config: string, path = 'RandAugment.policy'): RandAugmentPolicy {
  const parts = config.split('-');
  if (parts[0] !== 'rand') throw new ConfigError(`${path}: a RandAugment policy starts with 'rand', got '${config}'`);
  const policy: RandAugmentPolicy = { magnitude: LEVEL_DENOM, numLayers: 2, prob: 0.5, magnitudeStd: 0, magnitudeMax: null, increasing: false };
  const int = (key: string, val: string): number => {
    if (!/^[0-9]+$/.test(val)) throw new ConfigError(`${path}: section '${key}${val}' of '${config}' needs an integer`);
    return Number(val);
  };
  const float = (key: string, val: string): number => {
    const v = Number(val);
    if (!Number.isFinite(v)) throw new ConfigError(`${path}: section '${key}${val}' of '${config}' needs a number`);
    return v;
  };
  for (const c of parts.slice(1)) {
    if (c.startsWith('t')) {
      throw new ConfigError(`${path}: timm's transform sets ('${c}' in '${config}') are not supported; use the default or inc1 set`);
    }
    const m = /^(\D*)(\d.*)$/.exec(c);
    if (m === null) continue; // timm skips sections without a number
    const [, key, val] = m;
    if (key === 'mstd') {
      const v = float(key, val);
      policy.magnitudeStd = v > 100 ? Infinity : v;
    } else if (key === 'mmax') policy.magnitudeMax = int(key, val);
    else if (key === 'inc') policy.increasing = true;
    else if (key === 'm') policy.magnitude = int(key, val);
    else if (key === 'n') policy.numLayers = int(key, val);
    else if (key === 'p') policy.prob = float(key, val);
    else throw new ConfigError(`${path}: unknown section '${c}' in '${config}' (expected m, n, p, mstd, mmax or inc)`);
  }
  return policy;
}

/** Options of {@link RandAugment}. */
export interface RandAugmentOptions {
  /** timm's policy string. Default `'rand-m9-mstd0.5-inc1'` (the Swin/DeiT recipe). */
  policy: string;
  /** Fill colour of the geometric operations, RGB 0..255 (timm's `img_mean`). Default `[124, 116, 104]` (the ImageNet mean, as timm's `create_transform` rounds it). */
  fillColor: number[];
  /** Resampling of the geometric operations: `'bilinear'`, `'bicubic'` or `'random'` (one of the two per operation, timm's default). Default `'random'`. */
  interpolation: 'bilinear' | 'bicubic' | 'random';
  /** Largest relative translation of TranslateX/YRel at magnitude 10 (timm's `translate_pct`). Default 0.45. */
  translatePct: number;
}

/** One applied operation, as {@link RandAugment.applyWith} reports it. */
export interface AppliedOp {
  /** Operation name. */
  op: RandAugmentOpName;
  /** False when its probability draw skipped it. */
  applied: boolean;
  /** The clipped magnitude (null when skipped). */
  magnitude: number | null;
  /** The argument given to the image function (null when skipped or none). */
  arg: number | null;
  /** The resampling used (null for photometric operations or when skipped). */
  resample: PilResample | null;
}

/**
 * timm's RandAugment: picks `n` operations uniformly with replacement, and
 * applies each with probability `p` at magnitude `m` (plus Gaussian noise of std
 * `mstd`, clipped to [0, mmax or 10]). Operations and their arguments are
 * timm's; the image arithmetic is Pillow's (see `pil_color_ops.ts`,
 * `pil_affine.ts`). Takes a uint8 RGB image (before `Normalize`) and returns one
 * of the same size. The draws come from the pipeline's seeded generator.
 */
export class RandAugment implements Transform {
  readonly name = 'RandAugment';
  /** The parsed policy. */
  readonly policy: RandAugmentPolicy;
  /** The operation set the policy selects (15 operations). */
  readonly ops: readonly RandAugmentOpName[];
  private readonly fill: FillColor;

  constructor(readonly options: RandAugmentOptions) {
    this.policy = parseRandAugmentPolicy(options.policy);
    this.ops = this.policy.increasing ? RAND_INCREASING_TRANSFORMS : RAND_TRANSFORMS;
    const f = options.fillColor;
    if (f.length !== 3 || !f.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new ConfigError(`RandAugment.fillColor: expected 3 integers in 0..255, got ${JSON.stringify(f)}`);
    }
    this.fill = [f[0], f[1], f[2]];
    if (!['bilinear', 'bicubic', 'random'].includes(options.interpolation)) {
      throw new ConfigError(`RandAugment.interpolation: expected 'bilinear', 'bicubic' or 'random', got '${String(options.interpolation)}'`);
    }
  }

  /** Runs one RandAugment call with the given draws; returns the image and what was done. */
  applyWith(img: RgbImage, draws: AugmentDraws): { img: RgbImage; ops: AppliedOp[] } {
    const { numLayers, prob, magnitude, magnitudeStd, magnitudeMax } = this.policy;
    const chosen = draws.chooseWithReplacement(this.ops.length, numLayers);
    const report: AppliedOp[] = [];
    let out = img;
    for (const index of chosen) {
      const op = this.ops[index];
      const def = RAND_AUGMENT_OPS[op];
      if (prob < 1 && draws.random() > prob) {
        report.push({ op, applied: false, magnitude: null, arg: null, resample: null });
        continue;
      }
      let m = magnitude;
      if (magnitudeStd > 0) m = magnitudeStd === Infinity ? draws.uniform(0, m) : draws.gauss(m, magnitudeStd);
      m = Math.max(0, Math.min(m, magnitudeMax || LEVEL_DENOM)); // timm: `magnitude_max or _LEVEL_DENOM`
      const arg = def.level(m, { translatePct: this.options.translatePct }, draws);
      let resample: PilResample | null = null;
      if (def.geometric) {
        const interp = this.options.interpolation;
        resample = interp === 'random' ? (draws.choice(2) === 0 ? 'bilinear' : 'bicubic') : interp;
      }
      out = def.apply(out, arg, { fill: this.fill, resample: resample ?? 'bilinear' });
      report.push({ op, applied: true, magnitude: m, arg, resample });
    }
    return { img: out, ops: report };
  }

  apply(results: PipelineResults, rng: Rng): PipelineResults {
    const img = requireRgbUint8(requireImage(results, this.name), this.name);
    results.img = this.applyWith(img, rngAugmentDraws(rng)).img;
    return results;
  }
}

/** Registry entry of {@link RandAugment}. */
export const randAugmentSpec: ComponentSpec<RandAugmentOptions, Transform, unknown> = {
  name: 'RandAugment',
  description: "timm's RandAugment from a policy string (rand-m9-mstd0.5-inc1), Pillow-exact operations, on uint8 images",
  defaults: { policy: 'rand-m9-mstd0.5-inc1', fillColor: [124, 116, 104], interpolation: 'random', translatePct: 0.45 },
  choices: { interpolation: ['bilinear', 'bicubic', 'random'] },
  ranges: { translatePct: { min: 0, max: 1 } },
  docs: {
    policy: 'timm policy: rand-m<int>-n<int>-p<float>-mstd<float>-mmax<int>-inc<int>',
    fillColor: "RGB fill of the geometric operations (timm's img_mean)",
    interpolation: "resampling of the geometric operations ('random': bilinear or bicubic per operation)",
    translatePct: 'largest relative translation at magnitude 10',
  },
  build: (options) => new RandAugment(options),
};

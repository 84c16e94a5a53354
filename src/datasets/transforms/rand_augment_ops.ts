/**
 * timm's RandAugment operations (`timm.data.auto_augment`, 0.9.x): the image
 * function of each, and the mapping from a magnitude (0..10 on timm's scale) to
 * the function's argument, including the random sign flips.
 */
import type { AugmentDraws } from './augment_draws.js';
import * as affine from './pil_affine.js';
import type { FillColor, PilResample } from './pil_affine.js';
import * as color from './pil_color_ops.js';
import type { RgbImage } from './pil_color_ops.js';

/** The names of timm's RandAugment operations. */
export type RandAugmentOpName =
  | 'AutoContrast'
  | 'Equalize'
  | 'Invert'
  | 'Rotate'
  | 'Posterize'
  | 'PosterizeIncreasing'
  | 'Solarize'
  | 'SolarizeIncreasing'
  | 'SolarizeAdd'
  | 'Color'
  | 'ColorIncreasing'
  | 'Contrast'
  | 'ContrastIncreasing'
  | 'Brightness'
  | 'BrightnessIncreasing'
  | 'Sharpness'
  | 'SharpnessIncreasing'
  | 'ShearX'
  | 'ShearY'
  | 'TranslateXRel'
  | 'TranslateYRel';

/** timm's `_RAND_TRANSFORMS` (the default set). */
export const RAND_TRANSFORMS: readonly RandAugmentOpName[] = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'SolarizeAdd',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
];

/** timm's `_RAND_INCREASING_TRANSFORMS` (`inc1`: severity grows with the magnitude). */
export const RAND_INCREASING_TRANSFORMS: readonly RandAugmentOpName[] = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'PosterizeIncreasing',
  'SolarizeIncreasing',
  'SolarizeAdd',
  'ColorIncreasing',
  'ContrastIncreasing',
  'BrightnessIncreasing',
  'SharpnessIncreasing',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
];

/** timm's `_LEVEL_DENOM`: magnitude 10 is the full range of an operation. */
export const LEVEL_DENOM = 10;

/** What the geometric operations need besides their argument. */
export interface GeometricParams {
  /** Fill colour of the area that comes from outside the image (timm's `img_mean`). */
  fill: FillColor;
  /** Resampling filter. */
  resample: PilResample;
}

/** Settings of the level → argument mapping (timm's hparams). */
export interface LevelParams {
  /** Largest relative translation, at magnitude 10 (timm's `translate_pct`, default 0.45). */
  translatePct: number;
}

/** One operation: its argument from a magnitude, and the image function. */
export interface RandAugmentOpDef {
  /** True for the operations that resample (and so draw an interpolation when it is 'random'). */
  readonly geometric: boolean;
  /** The argument at `magnitude` (may draw a sign flip); null for operations without one. */
  level(magnitude: number, params: LevelParams, draws: AugmentDraws): number | null;
  /** Applies the operation with a fixed argument. */
  apply(img: RgbImage, arg: number | null, geo: GeometricParams): RgbImage;
}

/** timm's `_randomly_negate`: `−v` when `random() > 0.5`. */
function randomlyNegate(v: number, draws: AugmentDraws): number {
  return draws.random() > 0.5 ? -v : v;
}

const noLevel = (): null => null;
const enhanceLevel = (m: number): number => (m / LEVEL_DENOM) * 1.8 + 0.1;
const enhanceIncreasingLevel = (m: number, _p: LevelParams, d: AugmentDraws): number => Math.max(0.1, 1.0 + randomlyNegate((m / LEVEL_DENOM) * 0.9, d));
const posterizeLevel = (m: number): number => Math.trunc((m / LEVEL_DENOM) * 4);
const solarizeLevel = (m: number): number => Math.min(256, Math.trunc((m / LEVEL_DENOM) * 256));
const num = (arg: number | null): number => {
  if (arg === null) throw new Error('RandAugment: operation needs an argument');
  return arg;
};

function photometric(level: RandAugmentOpDef['level'], fn: (img: RgbImage, arg: number) => RgbImage): RandAugmentOpDef {
  return { geometric: false, level, apply: (img, arg) => fn(img, num(arg)) };
}

function plain(fn: (img: RgbImage) => RgbImage): RandAugmentOpDef {
  return { geometric: false, level: noLevel, apply: (img) => fn(img) };
}

function geometric(level: RandAugmentOpDef['level'], fn: (img: RgbImage, arg: number, resample: PilResample, fill: FillColor) => RgbImage): RandAugmentOpDef {
  return { geometric: true, level, apply: (img, arg, geo) => fn(img, num(arg), geo.resample, geo.fill) };
}

const shearLevel = (m: number, _p: LevelParams, d: AugmentDraws): number => randomlyNegate((m / LEVEL_DENOM) * 0.3, d);
const translateRelLevel = (m: number, p: LevelParams, d: AugmentDraws): number => randomlyNegate((m / LEVEL_DENOM) * p.translatePct, d);

/** Every operation by name (timm's `NAME_TO_OP` with `LEVEL_TO_ARG`). */
export const RAND_AUGMENT_OPS: Readonly<Record<RandAugmentOpName, RandAugmentOpDef>> = {
  AutoContrast: plain(color.autoContrast),
  Equalize: plain(color.equalize),
  Invert: plain(color.invert),
  Rotate: geometric((m, _p, d) => randomlyNegate((m / LEVEL_DENOM) * 30, d), affine.rotate),
  Posterize: photometric(posterizeLevel, color.posterize),
  PosterizeIncreasing: photometric((m) => 4 - posterizeLevel(m), color.posterize),
  Solarize: photometric(solarizeLevel, color.solarize),
  SolarizeIncreasing: photometric((m) => 256 - solarizeLevel(m), color.solarize),
  SolarizeAdd: photometric(
    (m) => Math.min(128, Math.trunc((m / LEVEL_DENOM) * 110)),
    (img, add) => color.solarizeAdd(img, add),
  ),
  Color: photometric(enhanceLevel, color.enhanceColor),
  ColorIncreasing: photometric(enhanceIncreasingLevel, color.enhanceColor),
  Contrast: photometric(enhanceLevel, color.enhanceContrast),
  ContrastIncreasing: photometric(enhanceIncreasingLevel, color.enhanceContrast),
  Brightness: photometric(enhanceLevel, color.enhanceBrightness),
  BrightnessIncreasing: photometric(enhanceIncreasingLevel, color.enhanceBrightness),
  Sharpness: photometric(enhanceLevel, color.enhanceSharpness),
  SharpnessIncreasing: photometric(enhanceIncreasingLevel, color.enhanceSharpness),
  ShearX: geometric(shearLevel, affine.shearX),
  ShearY: geometric(shearLevel, affine.shearY),
  TranslateXRel: geometric(translateRelLevel, affine.translateXRel),
  TranslateYRel: geometric(translateRelLevel, affine.translateYRel),
};

/**
 * RandAugment against timm 0.9.16 / Pillow 9.4 (fixtures by
 * test/fixtures/augment/make_randaugment_fixtures.py): every operation on fixed
 * parameters, whole RandAugment calls fed timm's recorded draws, and the
 * distribution of our own seeded draws.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { rngAugmentDraws } from '../src/datasets/transforms/augment_draws.js';
import type { FillColor, PilResample } from '../src/datasets/transforms/pil_affine.js';
import type { RgbImage } from '../src/datasets/transforms/pil_color_ops.js';
import { parseRandAugmentPolicy, RandAugment, type AppliedOp } from '../src/datasets/transforms/rand_augment.js';
import { RAND_AUGMENT_OPS, type RandAugmentOpName } from '../src/datasets/transforms/rand_augment_ops.js';
import type { PipelineResults } from '../src/datasets/transforms/transform.js';
import '../src/registry/builtins.js';
import { TRANSFORMS } from '../src/registry/registries.js';
import { sampleForImage } from '../src/structures/data_sample.js';
import { loadAugmentMeta, loadAugmentTensors, replay, type Draw } from './augment_replay.js';

interface OpCase {
  op: RandAugmentOpName;
  image: string;
  args: number[];
  resample: PilResample | null;
  fill: number[] | null;
}
interface RaCase {
  config: string;
  image: string;
  draws: Draw[];
  fill: number[];
  interpolation: 'bilinear' | 'bicubic' | 'random';
}
const META = loadAugmentMeta<{ ops: OpCase[]; randaugment: RaCase[] }>();
const TENSORS = loadAugmentTensors();

function image(name: string): RgbImage {
  const t = TENSORS.get(name);
  if (t === undefined || !(t.data instanceof Uint8Array)) throw new Error(`fixture image '${name}' missing or not uint8`);
  const [h, w, c] = t.shape;
  return { data: t.data, height: h, width: w, channels: c };
}

/** Number of elements that differ, and the largest difference. */
function compare(got: RgbImage, want: RgbImage): { mismatches: number; maxDiff: number } {
  expect([got.height, got.width, got.channels]).toEqual([want.height, want.width, want.channels]);
  let mismatches = 0;
  let maxDiff = 0;
  for (let i = 0; i < got.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    if (d !== 0) mismatches++;
    maxDiff = Math.max(maxDiff, d);
  }
  return { mismatches, maxDiff };
}

describe('RandAugment operations equal timm/Pillow on fixed parameters', () => {
  META.ops.forEach((c, i) => {
    it(`${i}: ${c.op}(${c.args.join(', ')})${c.resample ? ` ${c.resample}` : ''} on '${c.image}'`, () => {
      const fill = (c.fill ?? [128, 128, 128]) as unknown as FillColor;
      const src = image(`img.${c.image}`);
      const before = src.data.slice();
      const got = RAND_AUGMENT_OPS[c.op].apply(src, c.args.length ? c.args[0] : null, { fill, resample: c.resample ?? 'bilinear' });
      expect(compare(got, image(`op.${i}`))).toEqual({ mismatches: 0, maxDiff: 0 });
      expect(src.data).toEqual(before); // the input is not modified
    });
  });
});

describe('RandAugment calls fed timm’s draws equal timm', () => {
  META.randaugment.forEach((c, i) => {
    it(`${i}: ${c.config} (${c.interpolation})`, () => {
      const ra = new RandAugment({ policy: c.config, fillColor: c.fill, interpolation: c.interpolation, translatePct: 0.45 });
      const draws = replay(c.draws);
      const { img } = ra.applyWith(image(`img.${c.image}`), draws);
      expect(draws.left()).toBe(0);
      expect(compare(img, image(`ra.${i}`))).toEqual({ mismatches: 0, maxDiff: 0 });
    });
  });
});

describe('RandAugment policy strings', () => {
  it('reads timm’s sections', () => {
    expect(parseRandAugmentPolicy('rand-m9-mstd0.5-inc1')).toEqual({ magnitude: 9, numLayers: 2, prob: 0.5, magnitudeStd: 0.5, magnitudeMax: null, increasing: true });
    expect(parseRandAugmentPolicy('rand-n3-m7-mstd101-p0.8-mmax12')).toEqual({ magnitude: 7, numLayers: 3, prob: 0.8, magnitudeStd: Infinity, magnitudeMax: 12, increasing: false });
    expect(parseRandAugmentPolicy('rand').magnitude).toBe(10);
    expect(parseRandAugmentPolicy('rand-inc0').increasing).toBe(true); // timm: bool('0') is True
  });
  it('rejects what timm rejects, and the transform sets it does not port', () => {
    expect(() => parseRandAugmentPolicy('auto-m9')).toThrow(/starts with 'rand'/);
    expect(() => parseRandAugmentPolicy('rand-x9')).toThrow(/unknown section 'x9'.*expected m, n, p, mstd, mmax or inc/);
    expect(() => parseRandAugmentPolicy('rand-m9.5')).toThrow(/'m9.5'.*needs an integer/);
    expect(() => parseRandAugmentPolicy('rand-tweights')).toThrow(ConfigError);
    expect(() => TRANSFORMS.build({ type: 'RandAugment', interpolation: 'nearest' }, {}, 'pipeline.3')).toThrow(/interpolation/);
    expect(() => TRANSFORMS.build({ type: 'RandAugment', fillColor: [1, 2] }, {}, 'pipeline.3')).toThrow(/fillColor: expected 3 integers/);
  });
});

describe('RandAugment seeded draws (rand-m9-mstd0.5-inc1)', () => {
  it('chooses ops uniformly, applies half, and draws magnitude noise and sign flips as timm', () => {
    const ra = new RandAugment({ policy: 'rand-m9-mstd0.5-inc1', fillColor: [124, 116, 104], interpolation: 'random', translatePct: 0.45 });
    const tiny: RgbImage = { data: Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256), height: 4, width: 4, channels: 3 };
    const draws = rngAugmentDraws(new Rng(7));
    const calls = 6000;
    const all: AppliedOp[] = [];
    for (let k = 0; k < calls; k++) {
      const r = ra.applyWith(tiny, draws);
      expect(r.ops).toHaveLength(2);
      all.push(...r.ops);
    }
    const n = all.length; // 12000 choices
    // op choice: uniform over the 15 ops, with replacement (chi-square, 14 dof; p(χ² > 36) < 0.001)
    const counts = new Map<string, number>();
    for (const o of all) counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
    expect(counts.size).toBe(15);
    const e = n / 15;
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(36);
    // each op applied with p = 0.5 (±4 sd)
    const applied = all.filter((o) => o.applied);
    expect(Math.abs(applied.length / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    // magnitude: N(9, 0.5) clipped to [0, 10] → mean 8.9958, sd 0.4900 (truncated-at-10 moments)
    const ms = applied.map((o) => o.magnitude as number);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / ms.length);
    expect(Math.abs(mean - 8.9958)).toBeLessThan(0.03);
    expect(Math.abs(sd - 0.49)).toBeLessThan(0.02);
    expect(Math.max(...ms)).toBe(10);
    // inc1 sign flips: half negative for rotate/shear/translate; enhance factors 1 ± 0.09·m
    const signed = applied.filter((o) => ['Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'].includes(o.op));
    const neg = signed.filter((o) => (o.arg as number) < 0).length / signed.length;
    expect(Math.abs(neg - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / signed.length));
    for (const o of applied.filter((x) => x.op === 'Rotate')) expect(Math.abs(o.arg as number)).toBeCloseTo(((o.magnitude as number) / 10) * 30, 12);
    const enh = applied.filter((o) => o.op.endsWith('Increasing') && !o.op.startsWith('Posterize') && !o.op.startsWith('Solarize'));
    for (const o of enh) expect(Math.abs((o.arg as number) - 1)).toBeCloseTo(((o.magnitude as number) / 10) * 0.9, 12);
    const below = enh.filter((o) => (o.arg as number) < 1).length / enh.length;
    expect(Math.abs(below - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / enh.length));
    // interpolation 'random': bilinear or bicubic, half each
    const geo = applied.filter((o) => o.resample !== null);
    const bil = geo.filter((o) => o.resample === 'bilinear').length / geo.length;
    expect(Math.abs(bil - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / geo.length));
    expect(applied.filter((o) => ['AutoContrast', 'Equalize', 'Invert'].includes(o.op)).every((o) => o.arg === null && o.resample === null)).toBe(true);
  });

  it('is built from a config, runs in a pipeline, repeats under a seed and refuses float images', () => {
    const t = TRANSFORMS.build({ type: 'RandAugment', policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic' }, {}, 'pipeline.2');
    const img = image('img.full');
    const run = (seed: number): Uint8Array => {
      const r: PipelineResults = { img: { ...img, data: img.data.slice() }, sample: sampleForImage(img.height, img.width, 'x.png') };
      return (t.apply(r, new Rng(seed)) as PipelineResults).img?.data as Uint8Array;
    };
    expect(run(3)).toEqual(run(3));
    const outs = [1, 2, 3, 4, 5, 6].map((s) => Buffer.from(run(s)).toString('hex'));
    expect(new Set(outs).size).toBeGreaterThan(3);
    const f: PipelineResults = { img: { ...img, data: Float32Array.from(img.data) }, sample: sampleForImage(img.height, img.width, 'x.png') };
    expect(() => t.apply(f, new Rng(0))).toThrow(/RandAugment: expected a uint8 RGB image \(before Normalize\)/);
  });
});

describe('the Swin-T ImageNet recipe config', () => {
  it('trains with RandAugment rand-m9-mstd0.5-inc1 and per-pixel random erasing 0.25 after Normalize', async () => {
    const { loadConfig } = await import('../src/config/load_config.js');
    const { validateConfig } = await import('../src/config/schema.js');
    const { buildPipeline } = await import('../src/datasets/transforms/pipeline.js');
    const file = new URL('../configs/classification/swin-t_in1k.ts', import.meta.url).pathname;
    const cfg = validateConfig(await loadConfig(file), file) as unknown as { trainDataloader: { dataset: { pipeline: Record<string, unknown>[] } } };
    const steps = cfg.trainDataloader.dataset.pipeline;
    expect(steps.map((s) => s.type)).toEqual(['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'RandAugment', 'Normalize', 'RandomErasing']);
    expect(steps[3]).toMatchObject({ policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic', fillColor: [124, 116, 104] });
    expect(steps[5]).toMatchObject({ probability: 0.25, mode: 'pixel', maxCount: 1 });
    const pipeline = buildPipeline(steps.slice(1), 'trainDataloader.dataset.pipeline');
    const src = image('img.full');
    const r = await pipeline.run({ img: { ...src, data: src.data.slice() }, sample: sampleForImage(src.height, src.width) }, new Rng(0));
    expect([r.img?.height, r.img?.width, r.img?.data instanceof Float32Array]).toEqual([224, 224, true]);
  });
});

/**
 * RandomErasing against timm 0.9.16 (fixtures by
 * test/fixtures/augment/make_randaugment_fixtures.py, fed timm's recorded draws
 * and torch's normal values), and the seeded draws' behaviour.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng.js';
import type { HostImage } from '../src/datasets/image.js';
import { rngAugmentDraws } from '../src/datasets/transforms/augment_draws.js';
import { RandomErasing, type RandomErasingOptions } from '../src/datasets/transforms/random_erasing.js';
import type { PipelineResults } from '../src/datasets/transforms/transform.js';
import '../src/registry/builtins.js';
import { TRANSFORMS } from '../src/registry/registries.js';
import { sampleForImage } from '../src/structures/data_sample.js';
import { loadAugmentMeta, loadAugmentTensors, replay, type Draw } from './augment_replay.js';

interface ErCase {
  options: Record<string, number | string>;
  draws: Draw[];
}
const META = loadAugmentMeta<{ erasing: ErCase[] }>();
const TENSORS = loadAugmentTensors();
const DEFAULTS: RandomErasingOptions = { probability: 0.5, minArea: 0.02, maxArea: 1 / 3, minAspect: 0.3, maxAspect: null, mode: 'const', minCount: 1, maxCount: null };

/** A CHW float32 fixture as an HWC image. */
function hwc(name: string): HostImage {
  const t = TENSORS.get(name);
  if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`fixture '${name}' missing or not float32`);
  const [c, h, w] = t.shape;
  const data = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) data[i * c + k] = t.data[k * h * w + i];
  return { data, height: h, width: w, channels: c };
}

function toOptions(o: ErCase['options']): RandomErasingOptions {
  return {
    ...DEFAULTS,
    probability: o.probability as number,
    mode: o.mode as RandomErasingOptions['mode'],
    minArea: (o.min_area as number | undefined) ?? DEFAULTS.minArea,
    maxArea: (o.max_area as number | undefined) ?? DEFAULTS.maxArea,
    minAspect: (o.min_aspect as number | undefined) ?? DEFAULTS.minAspect,
    maxAspect: (o.max_aspect as number | undefined) ?? null,
    minCount: (o.min_count as number | undefined) ?? 1,
    maxCount: (o.max_count as number | undefined) ?? null,
  };
}

describe('RandomErasing fed timm’s draws equals timm', () => {
  META.erasing.forEach((c, i) => {
    it(`${i}: ${JSON.stringify(c.options)}`, () => {
      const er = new RandomErasing(toOptions(c.options));
      const draws = replay(c.draws.filter((d) => d[0] !== 'zeros')); // const mode draws nothing for its zeros
      const input = hwc(`re.${i}.in`);
      const before = input.data.slice();
      const { img } = er.applyWith(input, draws);
      expect(draws.left()).toBe(0);
      expect(Array.from(img.data)).toEqual(Array.from(hwc(`re.${i}.out`).data));
      expect(input.data).toEqual(before);
    });
  });
});

describe('RandomErasing with seeded draws', () => {
  const img: HostImage = { data: new Float32Array(32 * 40 * 3).fill(5), height: 32, width: 40, channels: 3 };
  it('erases with the given probability, boxes within the area and aspect ranges, per-pixel N(0, 1) fill', () => {
    const er = new RandomErasing({ ...DEFAULTS, probability: 0.25, mode: 'pixel' });
    const draws = rngAugmentDraws(new Rng(11));
    let erased = 0;
    const values: number[] = [];
    const n = 2000;
    for (let k = 0; k < n; k++) {
      const r = er.applyWith(img, draws);
      if (r.boxes.length) erased++;
      for (const b of r.boxes) {
        const a = (b.height * b.width) / (32 * 40);
        expect(a).toBeGreaterThan(0.005); // rounding of h and w around [0.02, 1/3]
        expect(a).toBeLessThan(0.4);
        expect(b.top + b.height).toBeLessThanOrEqual(32);
        expect(b.left + b.width).toBeLessThanOrEqual(40);
      }
      let changed = 0;
      for (let i = 0; i < r.img.data.length; i++) {
        if (r.img.data[i] !== 5) {
          changed++;
          values.push(r.img.data[i]);
        }
      }
      const boxArea = r.boxes.reduce((s, b) => s + b.height * b.width * 3, 0);
      expect(changed).toBe(boxArea);
    }
    expect(Math.abs(erased / n - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / n));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
  });

  it('is built from a config, repeats under a seed, and refuses uint8 images and bad options', () => {
    const t = TRANSFORMS.build({ type: 'RandomErasing', probability: 1, mode: 'rand' }, {}, 'pipeline.5');
    const run = (seed: number): Float32Array => {
      const r: PipelineResults = { img: { ...img, data: img.data.slice() }, sample: sampleForImage(32, 40) };
      return (t.apply(r, new Rng(seed)) as PipelineResults).img?.data as Float32Array;
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
    const u: PipelineResults = { img: { data: new Uint8Array(12), height: 2, width: 2, channels: 3 }, sample: sampleForImage(2, 2) };
    expect(() => t.apply(u, new Rng(0))).toThrow(/put RandomErasing after Normalize/);
    expect(() => TRANSFORMS.build({ type: 'RandomErasing', mode: 'pixels' }, {}, 'pipeline.5')).toThrow(/mode/);
    expect(() => TRANSFORMS.build({ type: 'RandomErasing', minArea: 0.5, maxArea: 0.2 }, {}, 'pipeline.5')).toThrow(/minArea <= maxArea/);
    expect(() => TRANSFORMS.build({ type: 'RandomErasing', minCount: 3, maxCount: 2 }, {}, 'pipeline.5')).toThrow(/minCount <= maxCount/);
  });
});

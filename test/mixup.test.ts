/** timm's Mixup/CutMix (batch mode) against fixtures made with timm 0.9.16, fed timm's own draws. */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { tf } from '../src/core/tf.js';
import { Rng } from '../src/core/rng.js';
import { Mixup, rngMixupDraws, type MixupDraws, type MixupOptions } from '../src/models/batch_augments/mixup.js';
import { softTargetCrossEntropy } from '../src/losses/cross_entropy_loss.js';
import { ConfigError } from '../src/core/errors.js';
import '../src/registry/builtins.js';
import { MODELS } from '../src/registry/registries.js';
import { globalRng, setGlobalSeed } from '../src/core/rng.js';
import { sampleForImage } from '../src/structures/data_sample.js';
import type { ImageClassifier } from '../src/models/image_classifier.js';
import { expectClose, fixture, loadFixture, useBackend } from './helpers.js';

const DIR = new URL('./fixtures/augment/', import.meta.url).pathname;
type Draw = ['rand', number] | ['beta', number] | ['randint', number, number, number];
interface Case {
  options: Record<string, unknown>;
  draws: Draw[];
  labels: number[];
}
const META = JSON.parse(readFileSync(`${DIR}mixup.json`, 'utf8')) as Record<string, Case>;

/** Plays back timm's recorded draws, checking that each is asked for in timm's order and range. */
function replay(draws: Draw[]): MixupDraws & { left(): number } {
  let i = 0;
  const next = (kind: string): Draw => {
    const d = draws[i++];
    if (d === undefined || d[0] !== kind) throw new Error(`draw ${i - 1}: asked for ${kind}, timm drew ${d?.[0] ?? 'nothing'}`);
    return d;
  };
  return {
    rand: () => next('rand')[1],
    beta: () => next('beta')[1],
    randint: (low, high) => {
      const d = next('randint') as ['randint', number, number, number];
      expect([low, high]).toEqual([d[2], d[3]]);
      return d[1];
    },
    left: () => draws.length - i,
  };
}

function toOptions(o: Record<string, unknown>): Partial<MixupOptions> {
  return {
    mixupAlpha: o.mixup_alpha as number,
    cutmixAlpha: o.cutmix_alpha as number,
    cutmixMinmax: (o.cutmix_minmax as [number, number] | undefined) ?? null,
    prob: o.prob as number,
    switchProb: (o.switch_prob as number | undefined) ?? 0.5,
    correctLam: (o.correct_lam as boolean | undefined) ?? true,
    labelSmoothing: o.label_smoothing as number,
  };
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('Mixup / CutMix (timm batch mode)', () => {
  let fx = new Map<string, tf.Tensor>();
  beforeAll(() => {
    fx = loadFixture(`${DIR}mixup.safetensors`);
  });
  for (const [name, c] of Object.entries(META)) {
    it(`matches timm: ${name}`, () => {
      const x = tf.tidy(() => fixture(fx, `${name}.x`).transpose([0, 2, 3, 1]) as tf.Tensor4D); // NCHW → NHWC
      const mix = new Mixup(toOptions(c.options), 5);
      const draws = replay(c.draws);
      const r = mix.apply(x, c.labels, draws);
      expect(draws.left()).toBe(0);
      const want = tf.tidy(() => fixture(fx, `${name}.x_mixed`).transpose([0, 2, 3, 1]));
      expectClose(r.inputs, want, 1e-6, `${name} images`);
      expectClose(r.target, fixture(fx, `${name}.target`), 1e-6, `${name} targets`);
      tf.dispose([x, want, r.inputs, r.target]);
    });
  }

  it('soft targets sum to 1, the seeded source is reproducible, and nothing leaks', () => {
    const x = tf.randomUniform([4, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const mix = new Mixup({}, 10);
    const before = tf.memory().numTensors;
    const a = mix.apply(x, [1, 2, 3, 4], rngMixupDraws(new Rng(9)));
    const b = mix.apply(x, [1, 2, 3, 4], rngMixupDraws(new Rng(9)));
    expect(a.lam).toBe(b.lam);
    expect(a.lam).toBeGreaterThanOrEqual(0);
    expect(a.lam).toBeLessThanOrEqual(1);
    expectClose(a.inputs, b.inputs, 0, 'seeded inputs');
    const sumT = a.target.sum(1);
    const sums = sumT.dataSync();
    for (const s of sums) expect(s).toBeCloseTo(1, 6);
    const loss = tf.tidy(() => softTargetCrossEntropy(tf.zeros([4, 10]) as tf.Tensor2D, a.target));
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(10), 5); // uniform logits: CE = log K for any distribution
    tf.dispose([a.inputs, a.target, b.inputs, b.target, loss, sumT]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects what timm rejects', () => {
    expect(() => new Mixup({ mode: 'elem' }, 5)).toThrow(/mode 'elem' is not supported; the choices are 'batch'/);
    expect(() => new Mixup({ mixupAlpha: 0, cutmixAlpha: 0 }, 5)).toThrow(ConfigError);
    const x = tf.zeros([3, 4, 4, 3]) as tf.Tensor4D;
    expect(() => new Mixup({}, 5).apply(x, [0, 1, 2], rngMixupDraws(new Rng(0)))).toThrow(/batch size must be even/);
    x.dispose();
  });

  it('ImageClassifier.batchAugments mixes training batches with the seeded generator (not eval ones)', () => {
    const cfg = {
      type: 'ImageClassifier',
      backbone: { type: 'SwinTransformer', arch: null, embedDim: 8, depths: [1, 1], numHeads: [1, 2], windowSize: 4, dropPathRate: 0, outIndices: [0, 1] },
      head: { type: 'LinearClsHead', numClasses: 4 },
      batchAugments: { mixupAlpha: 0.8, cutmixAlpha: 1.0, labelSmoothing: 0.1 },
    };
    const model = MODELS.build(cfg, { numClasses: null }, 'model') as ImageClassifier;
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const batch = { inputs: x, samples: [0, 3].map((l) => ({ ...sampleForImage(16, 16), gtLabel: l })) };
    setGlobalSeed(11);
    const got = model.loss(batch).loss_ce;
    // The same draws by hand: Mixup on the batch, then soft-target CE of the logits.
    setGlobalSeed(11);
    const want = tf.tidy(() => {
      const m = model.mixup!.apply(x, [0, 3], rngMixupDraws(globalRng()));
      return softTargetCrossEntropy(model.forward(m.inputs), m.target);
    });
    expect(got.dataSync()[0]).toBeCloseTo(want.dataSync()[0], 5);
    model.eval();
    const evalLoss = model.loss(batch).loss_ce;
    const plain = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3], 'int32'), 4), model.forward(x)));
    expect(evalLoss.dataSync()[0]).toBeCloseTo(plain.dataSync()[0], 5);
    tf.dispose([x, got, want, evalLoss, plain]);
    expect(() => MODELS.build({ ...cfg, batchAugments: { mixupAplha: 0.8 } }, { numClasses: null }, 'model')).toThrow(/Unknown option 'mixupAplha' at model\.batchAugments\.mixupAplha/);
    expect(() => MODELS.build({ ...cfg, batchAugments: { mode: 'pair' } }, { numClasses: null }, 'model')).toThrow(/model\.batchAugments: Mixup: mode 'pair'/);
  });
});

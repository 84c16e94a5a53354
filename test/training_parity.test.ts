/**
 * Training parity with PyTorch: the mini Swin + UPerNet (+ FCN auxiliary head) of
 * `configs/segmentation/swin-mini_upernet_ade.ts`, trained 10 AdamW steps (the config's
 * per-parameter options, its LinearLR warm-up, gradient clipping) through the runner's own
 * `buildOptimizer`, `buildSchedule` and `TrainStep`, against the PyTorch reference of
 * `test/fixtures/parity/make_parity_fixtures.py` started from the same weights on the same 2 batches.
 * Every loss term at every step and every weight at the end agree within 1e-4 relative.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { loadConfig } from '../src/config/load_config.js';
import { mergeConfig } from '../src/config/merge.js';
import { validateConfig, type RootConfig } from '../src/config/schema.js';
import type { Config } from '../src/config/load_config.js';
import { MODELS } from '../src/registry/registries.js';
import { buildOptimizer, buildSchedule } from '../src/engine/build.js';
import { TrainStep } from '../src/engine/train_step.js';
import type { Model } from '../src/models/base_model.js';
import type { Batch, DataSample } from '../src/structures/data_sample.js';
import { TEST_BACKENDS, fixture, loadFixture, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/parity/seg_upernet.safetensors', import.meta.url).pathname;
const CONFIG = new URL('../configs/segmentation/swin-mini_upernet_ade.ts', import.meta.url).pathname;
const STEPS = 10;
const REL = 1e-4;

/**
 * The mini config, narrowed to keep the fixture small (embed 16, depths [2, 2, 1, 1], head channels
 * 16 / 8), with dropout off (drop path is already 0) and clipping on (maxNorm 1; the mini config
 * has none). Its optimizer, per-parameter options, warm-up and losses are the config's own.
 */
const OVERRIDES = {
  model: {
    backbone: { embedDim: 16, depths: [2, 2, 1, 1], dropPathRate: 0 },
    decodeHead: { channels: 16, dropoutRatio: 0 },
    auxiliaryHead: { channels: 8, dropoutRatio: 0 },
  },
  optimWrapper: { clipGrad: { maxNorm: 1.0 } },
};

/** max |a − b| / max |b| over a tensor: the error relative to the tensor's scale. */
function relErr(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

function batchOf(fx: Map<string, tf.Tensor>, b: number): Batch {
  const img = fixture(fx, `batch${b}.img`); // [B, 3, H, W]
  const label = fixture(fx, `batch${b}.label`); // [B, H, W]
  const [n, , h, w] = img.shape;
  const labels = label.dataSync();
  const samples: DataSample[] = [];
  for (let i = 0; i < n; i++) {
    samples.push({
      imgPath: `parity_${b}_${i}`,
      oriShape: [h, w],
      imgShape: [h, w],
      scaleFactor: [1, 1],
      flip: false,
      gtSemSeg: { data: Uint8Array.from(labels.subarray(i * h * w, (i + 1) * h * w)), height: h, width: w },
    });
  }
  return { inputs: img.transpose([0, 2, 3, 1]) as tf.Tensor4D, samples };
}

describe.each(TEST_BACKENDS)('training parity with PyTorch (%s)', (backend) => {
  let fx: Map<string, tf.Tensor>;
  let config: RootConfig;

  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
    const raw = await loadConfig(CONFIG);
    config = validateConfig(mergeConfig(raw, OVERRIDES) as Config, CONFIG);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('mini Swin + UPerNet + FCN aux: 10 AdamW steps match loss by loss and weight by weight', () => {
    const model = MODELS.build(config.model, { numClasses: 4 }, 'model') as Model;
    const init = new Map<string, tf.Tensor>();
    for (const [name, t] of fx) if (name.startsWith('init.')) init.set(name.slice('init.'.length), t);
    const params = model.namedParameters();
    expect(params.map(([n]) => n).sort()).toEqual([...init.keys()].sort());
    const report = model.loadStateDict(init, { strict: false, source: FIXTURE });
    expect(report.unexpected).toEqual([]);
    expect(report.missing.every((k) => /running_(mean|var)|num_batches_tracked/.test(k))).toBe(true);
    model.train();

    const { optimizer } = buildOptimizer(config, model, 1);
    const schedule = buildSchedule(config.paramScheduler, optimizer.baseLr, 1, config.trainCfg?.maxIters ?? STEPS);
    const step = new TrainStep(model, optimizer, {
      clipMaxNorm: config.optimWrapper?.clipGrad?.maxNorm ?? null,
      clipNormType: config.optimWrapper?.clipGrad?.normType,
    });
    const batches = [batchOf(fx, 0), batchOf(fx, 1)];
    let tensorsAfterFirst = 0;
    try {
      for (let t = 0; t < STEPS; t++) {
        schedule.apply(optimizer, t);
        const lr = fixture(fx, `lr${t}`).dataSync()[0];
        // The backbone groups run at the base lr (no lrMult there).
        expect(Math.abs(optimizer.groups.find((g) => g.params[0].name.startsWith('backbone.'))!.lr - lr) / lr).toBeLessThan(1e-6);
        step.accumulate(batches[t % 2], t);
        const update = step.apply(t);
        for (const term of ['decode.loss_ce', 'aux.loss_ce']) {
          const want = fixture(fx, `step${t}.${term}`).dataSync()[0];
          const got = update.losses[term];
          expect(got, `step ${t} ${term}: missing (have ${Object.keys(update.losses).join(', ')})`).toBeDefined();
          expect(Math.abs(got - want) / Math.abs(want), `step ${t} ${term}: ${got} vs ${want}`).toBeLessThan(REL);
        }
        const wantNorm = fixture(fx, `step${t}.grad_norm`).dataSync()[0];
        expect(Math.abs(update.gradNorm! - wantNorm) / wantNorm, `step ${t} grad norm ${update.gradNorm} vs ${wantNorm}`).toBeLessThan(REL);
        if (t === 0) tensorsAfterFirst = tf.memory().numTensors;
        if (t === 1) expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
      }
      const failures: string[] = [];
      const lrSum = Array.from({ length: STEPS }, (_, t) => fixture(fx, `lr${t}`).dataSync()[0]).reduce((a, b) => a + b, 0);
      const nullGrad = params.filter(([name]) => fx.has(`nullgrad.${name}`)).map(([name]) => name);
      // The fixture marks the per-output norm biases whose exact gradient is zero (their rounding-noise
      // gradients make AdamW steps of random sign in any float32 implementation, PyTorch's included).
      expect(nullGrad.sort()).toEqual(['backbone.norm0.bias', 'backbone.norm1.bias', 'backbone.norm3.bias']);
      for (const [name, p] of params) {
        if (nullGrad.includes(name)) {
          // No decay on norms and |AdamW step| ≤ √t·lr for t ≤ 10 steps: the bias stays within 3.2·Σlr of its start.
          const moved = tf.tidy(
            () =>
              p.variable
                .sub(fixture(fx, `init.${name}`))
                .abs()
                .max()
                .dataSync()[0],
          );
          if (!(moved <= 3.2 * lrSum)) failures.push(`${name}: moved ${moved} > ${3.2 * lrSum} with a zero gradient`);
          continue;
        }
        const err = relErr(p.variable.dataSync() as Float32Array, fixture(fx, `final.${name}`).dataSync() as Float32Array);
        if (!(err <= REL)) failures.push(`${name}: ${err.toExponential(2)}`);
      }
      expect(failures, `final weights off by more than ${REL} relative`).toEqual([]);
    } finally {
      for (const b of batches) b.inputs.dispose();
      optimizer.dispose();
      model.dispose?.();
    }
  }, 300_000); // cpu: ~110 s on the loaded 2-core machine (wasm ~12 s)
});

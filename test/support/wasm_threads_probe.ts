/**
 * Child process of `test/wasm_threads.test.ts`: on the wasm backend (with whatever
 * `DENSEKIT_WASM_THREADS` and Node flags the parent chose), a seeded mini Swin classifier
 * (`configs/classification/swin-mini_imagefolder.ts`) runs one forward pass and two training
 * steps on fixed inputs. Prints one JSON line:
 * `{ threads, fallbackReason, logits, losses, gradNorms, params, tensorsBefore, tensorsAfter }`.
 *
 *   node --import tsx test/support/wasm_threads_probe.ts
 */
import { tf } from '../../src/core/tf.js';
import { selectBackend } from '../../src/core/backend.js';
import { setGlobalSeed } from '../../src/core/rng.js';
import { wasmThreadsCount, wasmThreadsStatus } from '../../src/core/wasm_threads/threaded_backend.js';
import { registerBuiltins } from '../../src/registry/builtins.js';
import { loadConfig } from '../../src/config/load_config.js';
import { validateConfig } from '../../src/config/schema.js';
import { buildModel } from '../../src/models/build_model.js';
import { buildOptimizer } from '../../src/engine/build.js';
import { TrainStep } from '../../src/engine/train_step.js';
import { sampleForImage, type Batch } from '../../src/structures/data_sample.js';

const CONFIG = 'configs/classification/swin-mini_imagefolder.ts';
const [N, H, W, CLASSES] = [2, 64, 64, 5];

/** A fixed, non-uniform input batch (no random generator involved). */
function fixedImages(): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf
        .sin(tf.range(0, N * H * W * 3).mul(0.0137))
        .mul(2)
        .reshape([N, H, W, 3]) as tf.Tensor4D,
  );
}

async function main(): Promise<void> {
  await selectBackend({ requested: 'wasm', log: null });
  registerBuiltins();
  const config = validateConfig(await loadConfig(CONFIG), CONFIG);
  setGlobalSeed(1234);
  const model = buildModel(config, CLASSES);
  const images = fixedImages();

  model.eval();
  const outputs = tf.tidy(() => model.forwardRaw(images));
  const logitValues: number[] = [];
  for (const o of outputs) logitValues.push(...Array.from(await o.data()));
  tf.dispose(outputs);

  model.train();
  const { optimizer } = buildOptimizer(config, model, 1);
  const step = new TrainStep(model, optimizer, { clipMaxNorm: config.optimWrapper?.clipGrad?.maxNorm ?? null });
  const samples = [0, 1].map((i) => ({ ...sampleForImage(H, W), gtLabel: (3 * i + 1) % CLASSES }));
  const batch: Batch = { inputs: images, samples };
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const tensorCounts: number[] = [];
  for (let iter = 0; iter < 2; iter++) {
    setGlobalSeed(99 + iter); // same drop-path masks in every process
    step.accumulate(batch, iter);
    const update = step.apply(iter);
    losses.push(update.total);
    gradNorms.push(update.gradNorm ?? Number.NaN);
    tensorCounts.push(tf.memory().numTensors);
  }
  // A few hundred values from every parameter after the two updates.
  const params: number[] = [];
  for (const [, v] of model.trainableVariables()) params.push(...Array.from((await v.data()).slice(0, 16)));
  console.log(
    JSON.stringify({
      threads: wasmThreadsCount(),
      fallbackReason: wasmThreadsStatus()?.fallbackReason ?? null,
      logits: logitValues,
      losses,
      gradNorms,
      params,
      tensorsBefore: tensorCounts[0],
      tensorsAfter: tensorCounts[1],
    }),
  );
}

await main();

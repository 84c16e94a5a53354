/** Timing of full training steps (forward, backward, optimizer update) on synthetic batches. */
import { tf } from '../core/tf.js';
import { Rng } from '../core/rng.js';
import type { RootConfig } from '../config/schema.js';
import type { Model } from '../models/base_model.js';
import { sampleForImage, type Batch, type DataSample } from '../structures/data_sample.js';
import { benchmark, type BenchmarkResult } from './benchmark.js';
import { buildOptimizer } from '../engine/build.js';
import { TrainStep } from '../engine/train_step.js';

/** Options of {@link trainStepBenchmark}. */
export interface TrainStepBenchmarkOptions {
  batch: number;
  height: number;
  width: number;
  warmup: number;
  iterations: number;
  /** Classes used for synthetic targets. Default 10. */
  numClasses?: number;
}

/** A batch of random images with random targets of the model's task. */
export function syntheticBatch(model: Model, n: number, h: number, w: number, numClasses: number, rng: Rng): Batch {
  const samples: DataSample[] = [];
  for (let i = 0; i < n; i++) {
    const s = sampleForImage(h, w);
    if (model.task === 'classification') s.gtLabel = rng.randint(0, numClasses);
    if (model.task === 'segmentation') {
      const data = new Uint8Array(h * w);
      for (let p = 0; p < data.length; p++) data[p] = rng.randint(0, numClasses);
      s.gtSemSeg = { data, height: h, width: w };
    }
    if (model.task === 'detection') {
      const boxes: number[] = [];
      const labels: number[] = [];
      for (let b = 0; b < 3; b++) {
        const x1 = rng.uniform(0, w * 0.6);
        const y1 = rng.uniform(0, h * 0.6);
        boxes.push(x1, y1, x1 + rng.uniform(8, w * 0.4), y1 + rng.uniform(8, h * 0.4));
        labels.push(rng.randint(0, numClasses));
      }
      s.gtInstances = { bboxes: Float32Array.from(boxes), labels: Int32Array.from(labels) };
    }
    samples.push(s);
  }
  return { inputs: tf.randomNormal([n, h, w, 3]) as tf.Tensor4D, samples };
}

/** A repeatable synthetic training step of a model: `run()` does forward, backward and update; `dispose()` frees its state. */
export interface TrainStepRunner {
  run(): void;
  dispose(): void;
}

/** Builds {@link TrainStepRunner} for `model` with the config's optimizer (AdamW if the config has none); puts the model in training mode until disposed. */
export function trainStepRunner(model: Model, config: RootConfig, options: Pick<TrainStepBenchmarkOptions, 'batch' | 'height' | 'width' | 'numClasses'>): TrainStepRunner {
  const withOptimizer: RootConfig =
    config.optimWrapper !== null
      ? config
      : {
          ...config,
          optimWrapper: {
            optimizer: { type: 'AdamW', lr: 1e-4 },
            clipGrad: null,
            accumulativeCounts: 1,
            paramwiseCfg: { normDecayMult: null, biasDecayMult: null, customKeys: {}, layerDecayRate: null },
          },
        };
  model.train();
  const { optimizer } = buildOptimizer(withOptimizer, model, 1);
  const step = new TrainStep(model, optimizer, { clipMaxNorm: withOptimizer.optimWrapper?.clipGrad?.maxNorm ?? null });
  const batch = syntheticBatch(model, options.batch, options.height, options.width, options.numClasses ?? 10, new Rng(0));
  let iter = 0;
  return {
    run: () => {
      step.accumulate(batch, iter);
      step.apply(iter++);
    },
    dispose: () => {
      tf.dispose(batch.inputs);
      optimizer.dispose();
      model.eval();
    },
  };
}

/** Times training steps of `model` with the config's optimizer (AdamW if the config has none). */
export async function trainStepBenchmark(model: Model, config: RootConfig, options: TrainStepBenchmarkOptions): Promise<BenchmarkResult> {
  const runner = trainStepRunner(model, config, options);
  try {
    return await benchmark(() => runner.run(), { batch: options.batch, warmup: options.warmup, iterations: options.iterations });
  } finally {
    runner.dispose();
  }
}

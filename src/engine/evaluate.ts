/** Running a model over a data loader and computing a metric. */
import { tf } from '../core/tf.js';
import type { Model } from '../models/base_model.js';
import type { Metric, MetricValues } from '../evaluation/metric.js';
import type { DataLoader } from './data_loader.js';
import type { Batch } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
  /** Called (and awaited) with each batch (its tensors still alive), its predictions and its 0-based index. */
  onPredictions?: (batch: Batch, predictions: Prediction[], index: number) => void | Promise<void>;
}

/** Evaluates `model` on every batch of `loader` (in eval mode; training mode is restored). */
export async function evaluate(model: Model, loader: DataLoader, metric: Metric, options: EvaluateOptions = {}): Promise<MetricValues> {
  const wasTraining = model.training;
  model.eval();
  metric.reset();
  try {
    let done = 0;
    for await (const batch of loader.iterateOnce()) {
      try {
        const predictions = await model.predict(batch);
        metric.process(batch.samples, predictions);
        await options.onPredictions?.(batch, predictions, done);
      } finally {
        tf.dispose(batch.inputs);
      }
      options.onBatch?.(++done, loader.batchesPerEpoch);
    }
    return await metric.compute();
  } finally {
    model.train(wasTraining);
  }
}

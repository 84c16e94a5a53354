/** Running a model over a data loader and computing a metric. */
import { tf } from '../core/tf.js';
import type { Model } from '../models/base_model.js';
import type { Metric, MetricValues } from '../evaluation/metric.js';
import type { DataLoader } from './data_loader.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
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

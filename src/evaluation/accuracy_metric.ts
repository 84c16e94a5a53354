import { ConfigError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { DataSample } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';
import { AccuracyAccumulator } from '../metrics/classification/accuracy.js';
import type { Metric, MetricContext, MetricValues } from './metric.js';

/** Options of {@link AccuracyMetric}. */
export interface AccuracyMetricOptions {
  /** k values of top-k accuracy. Default [1, 5] (5 dropped when there are fewer than 5 classes). */
  topk: number[];
}

/**
 * Top-k and per-class accuracy as mmpretrain's `Accuracy`, as fractions in 0..1:
 * keys `accuracy/top1`, `accuracy/top5`, and `accuracy/class/<name>` (top-1 recall per class).
 */
export class AccuracyMetric implements Metric {
  readonly name = 'Accuracy';
  private acc: AccuracyAccumulator;

  constructor(
    readonly options: AccuracyMetricOptions,
    readonly classNames: readonly string[],
  ) {
    this.acc = this.fresh();
  }

  private fresh(): AccuracyAccumulator {
    const k = this.classNames.length;
    return new AccuracyAccumulator(k, this.options.topk.filter((t) => t <= k));
  }

  process(samples: readonly DataSample[], predictions: readonly Prediction[]): void {
    const k = this.classNames.length;
    const scores = new Float32Array(samples.length * k);
    const labels = new Int32Array(samples.length);
    predictions.forEach((p, i) => {
      if (p.kind !== 'class') throw new ConfigError(`Accuracy: expected classification predictions, got '${p.kind}'`);
      scores.set(p.scores, i * k);
      const label = samples[i].gtLabel;
      if (label === undefined) throw new ConfigError(`Accuracy: sample ${samples[i].imgPath} has no label`);
      labels[i] = label;
    });
    this.acc.add(scores, labels);
  }

  compute(): MetricValues {
    const r = this.acc.compute();
    const out: MetricValues = {};
    r.ks.forEach((k, i) => (out[`accuracy/top${k}`] = r.topk[i]));
    r.perClass.forEach((v, c) => (out[`accuracy/class/${this.classNames[c]}`] = v));
    return out;
  }

  reset(): void {
    this.acc = this.fresh();
  }
}

/** Registry entry of {@link AccuracyMetric}. */
export const accuracyMetricSpec: ComponentSpec<AccuracyMetricOptions, Metric, MetricContext> = {
  name: 'Accuracy',
  description: "top-k and per-class accuracy (mmpretrain's Accuracy), keys accuracy/top1, accuracy/top5",
  defaults: { topk: [1, 5] },
  docs: { topk: 'k values of top-k accuracy' },
  build: (options, context) => new AccuracyMetric(options, context.classNames),
};

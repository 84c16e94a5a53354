import { ConfigError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import { RANGES } from '../registry/options.js';
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
 * With fewer than k classes, top-k counts every prediction as a hit (mmpretrain raises instead).
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

  /** k values actually computed: a k above the number of classes is clamped to it (the top-k set is then every class). */
  private effectiveKs(): number[] {
    const n = this.classNames.length;
    return [...new Set(this.options.topk.map((k) => Math.min(k, n)))];
  }

  private fresh(): AccuracyAccumulator {
    return new AccuracyAccumulator(this.classNames.length, this.effectiveKs());
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
    const n = this.classNames.length;
    for (const k of this.options.topk) out[`accuracy/top${k}`] = r.topk[r.ks.indexOf(Math.min(k, n))];
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
  ranges: { topk: RANGES.positiveInt },
  docs: { topk: 'k values of top-k accuracy' },
  build: (options, context) => new AccuracyMetric(options, context.classNames),
};

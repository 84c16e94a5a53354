/** The evaluation-metric contract (mmengine's BaseMetric). */
import type { DataSample } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';

/** Metric values by key; null where undefined (e.g. a class never seen). */
export type MetricValues = Record<string, number | null>;

/** Build-time input of a metric. */
export interface MetricContext {
  /** Class names of the evaluated dataset. */
  classNames: readonly string[];
  /** COCO ground-truth file of the evaluated dataset, for COCO metrics. */
  annFile?: string;
}

/** Accumulates predictions batch by batch, then computes metric values. */
export interface Metric {
  /** Registered name. */
  readonly name: string;
  /** Adds one batch of ground truth (in `samples`) and predictions. */
  process(samples: readonly DataSample[], predictions: readonly Prediction[]): void;
  /** Metric values over everything processed since the last reset. */
  compute(): MetricValues | Promise<MetricValues>;
  /** Forgets everything processed. */
  reset(): void;
}

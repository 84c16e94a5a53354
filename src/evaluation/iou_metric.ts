/**
 * mmsegmentation's `IoUMetric` (`mmseg/evaluation/metrics/iou_metric.py`,
 * `iou_metrics=['mIoU']`) over {@link SegPrediction}s, with the exact area
 * arithmetic of {@link IoUAccumulator}.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, DataError, ShapeError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import { RANGES } from '../registry/options.js';
import type { DataSample, LabelMap } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';
import { IoUAccumulator, segMetricsToJson } from '../metrics/segmentation/iou.js';
import { decodeLabelPng } from '../datasets/label_png.js';
import { reduceZeroLabel } from '../datasets/transforms/load_annotations.js';
import type { Metric, MetricContext, MetricValues } from './metric.js';

/** Options of {@link IoUMetric}. */
export interface IoUMetricOptions {
  /** Label value excluded from every area. Default 255. */
  ignoreIndex: number;
}

/**
 * The ground truth of a sample in the frame of the ORIGINAL image (where the
 * predictions are):
 *
 * - when the test pipeline left the geometry alone (`imgShape` = `oriShape`, no
 *   flip), `gtSemSeg` is that map; only the bottom/right padding (collate's or
 *   `Pad`'s, filled with the ignore index) is cut off;
 * - else (the pipeline resized, cropped or flipped the sample) the label PNG
 *   (`segMapPath`) is read again at its original size, with the sample's
 *   `reduceZeroLabel` — what mmseg evaluates against (its test pipelines load
 *   the annotations after `Resize`);
 * - else (an in-memory sample without a label file) `gtSemSeg` is used when it
 *   has the original size.
 *
 * @throws ShapeError when none applies.
 */
export function originalLabelMap(sample: DataSample): LabelMap {
  const [oh, ow] = sample.oriShape;
  const seg = sample.gtSemSeg;
  const untouched = sample.imgShape[0] === oh && sample.imgShape[1] === ow && !sample.flip && (sample.flipDirection ?? null) === null;
  if (seg !== undefined && untouched && seg.height >= oh && seg.width >= ow) {
    if (seg.height === oh && seg.width === ow) return seg;
    const data = new Uint8Array(oh * ow);
    for (let y = 0; y < oh; y++) data.set(seg.data.subarray(y * seg.width, y * seg.width + ow), y * ow);
    return { data, height: oh, width: ow };
  }
  if (sample.segMapPath !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(sample.segMapPath);
    } catch (err) {
      throw new DataError(`Label map not found or unreadable: ${sample.segMapPath} (${(err as Error).message})`);
    }
    const map = decodeLabelPng(bytes, sample.segMapPath);
    if (map.height !== oh || map.width !== ow) {
      throw new DataError(`Label map ${sample.segMapPath} is ${map.height}×${map.width} but image ${sample.imgPath} is ${oh}×${ow}`);
    }
    return sample.reduceZeroLabel === true ? reduceZeroLabel(map) : map;
  }
  if (seg !== undefined && seg.height === oh && seg.width === ow) return seg;
  throw new ShapeError(
    `IoUMetric: the label map of ${sample.imgPath || 'an in-memory sample'} is ` +
      `${seg === undefined ? 'missing' : `${seg.height}×${seg.width}`}, not at the original size ${oh}×${ow}, and there is no label file to reload`,
  );
}

/**
 * Semantic-segmentation IoU, mmseg's `IoUMetric`: per-class intersection and
 * union areas summed over the dataset, then `mIoU`, `mAcc`, `aAcc` (fractions in
 * 0..1, not mmseg's percentages) and `IoU.<class>` / `Acc.<class>` (null where
 * undefined: a class absent from labels and predictions). Predictions are
 * compared with the label map at the original image size (see {@link originalLabelMap}).
 */
export class IoUMetric implements Metric {
  readonly name = 'IoUMetric';
  private acc: IoUAccumulator;

  constructor(
    readonly options: IoUMetricOptions,
    readonly classNames: readonly string[],
  ) {
    if (classNames.length === 0) throw new ConfigError('IoUMetric: the dataset has no classes');
    this.acc = new IoUAccumulator(classNames.length, options.ignoreIndex);
  }

  process(samples: readonly DataSample[], predictions: readonly Prediction[]): void {
    if (samples.length !== predictions.length) throw new ShapeError(`IoUMetric: ${predictions.length} predictions for ${samples.length} samples`);
    predictions.forEach((p, i) => {
      if (p.kind !== 'seg') throw new ConfigError(`IoUMetric: expected segmentation predictions, got '${p.kind}'`);
      const label = originalLabelMap(samples[i]);
      const pred = p.labelMap;
      if (pred.height !== label.height || pred.width !== label.width) {
        throw new ShapeError(`IoUMetric: prediction ${pred.height}×${pred.width} and label ${label.height}×${label.width} of ${samples[i].imgPath || `sample ${i}`} differ in size`);
      }
      this.acc.add(pred.data, label.data);
    });
  }

  compute(): MetricValues {
    return segMetricsToJson(this.acc.compute(), this.classNames);
  }

  reset(): void {
    this.acc.reset();
  }
}

/** Registry entry of {@link IoUMetric}. */
export const iouMetricSpec: ComponentSpec<IoUMetricOptions, Metric, MetricContext> = {
  name: 'IoUMetric',
  description: "semantic segmentation mIoU/mAcc/aAcc and per-class IoU.<name>/Acc.<name> (mmseg's IoUMetric, fractions)",
  defaults: { ignoreIndex: 255 },
  ranges: { ignoreIndex: RANGES.integer },
  docs: { ignoreIndex: 'label value excluded from every area' },
  build: (options, context) => new IoUMetric(options, context.classNames),
};

/**
 * mmdetection 3.x's `CocoMetric` (mmdet/evaluation/metrics/coco_metric.py) for
 * boxes: detections → COCO results (`xyxy2xywh`, category id of the contiguous
 * label, image id of the sample), evaluated against the dataset's annotation file
 * with the pycocotools-exact {@link evaluateCocoBbox}.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { DataSample } from '../structures/data_sample.js';
import type { DetPrediction, Prediction } from '../structures/prediction.js';
import { evaluateCocoBbox, type CocoEvalResult } from '../metrics/coco/coco_eval.js';
import { cocoStatsToMetrics } from '../metrics/coco/format.js';
import { parseCocoGroundTruth } from '../metrics/coco/load_coco.js';
import type { CocoDetection, CocoGroundTruth } from '../metrics/coco/coco_types.js';
import type { Metric, MetricContext, MetricValues } from './metric.js';

/** Options of {@link CocoMetric}; mmdet's names in camelCase. */
export interface CocoMetricOptions {
  /** Annotation file; null takes the evaluated dataset's. Default null. */
  annFile: string | null;
  /** Only 'bbox' is supported. Default 'bbox'. */
  metric: string | string[];
  /**
   * pycocotools' `maxDets` (mmdet's `proposal_nums`). null keeps pycocotools' `[1, 10, 100]`, whose AR keys are
   * `bbox_AR_1`, `bbox_AR_10`, `bbox_AR_100`, `bbox_AR_s/m/l`; other values name the AR keys mmdet's way
   * (`bbox_AR@100`, `bbox_AR_s@1000`, ...). Default null.
   */
  proposalNums: number[] | null;
  /** Write the results to `<outfilePrefix>.bbox.json` (mmdet's `outfile_prefix`). Default null. */
  outfilePrefix: string | null;
  /** Also report per-class AP (`bbox_AP/<class name>`, IoU 0.50:0.95, all areas, max dets). Default false. */
  classwise: boolean;
}

/** Converts one image's detections to COCO results (`[x, y, w, h]`, category ids from `catIds[label]`). */
export function detectionsToCoco(pred: DetPrediction, imageId: number, catIds: readonly number[]): CocoDetection[] {
  const out: CocoDetection[] = [];
  for (let i = 0; i < pred.scores.length; i++) {
    const label = pred.labels[i];
    const catId = catIds[label];
    if (catId === undefined) throw new RangeError(`CocoMetric: label ${label} has no category id (${catIds.length} categories)`);
    const x1 = pred.bboxes[4 * i];
    const y1 = pred.bboxes[4 * i + 1];
    const x2 = pred.bboxes[4 * i + 2];
    const y2 = pred.bboxes[4 * i + 3];
    out.push({ image_id: imageId, category_id: catId, bbox: [x1, y1, x2 - x1, y2 - y1], score: pred.scores[i] });
  }
  return out;
}

/**
 * Category ids of the contiguous labels: the ground truth's categories in ascending id
 * order (the order `CocoDetection` numbers its labels), checked against the class names.
 */
export function categoryIdsFor(gt: CocoGroundTruth, classNames: readonly string[], file: string): number[] {
  const cats = [...gt.categories].sort((a, b) => a.id - b.id);
  if (classNames.length > 0 && classNames.length !== cats.length) {
    throw new DataError(`CocoMetric: ${file} has ${cats.length} categories but the dataset has ${classNames.length} classes`);
  }
  cats.forEach((c, i) => {
    if (c.name !== undefined && classNames[i] !== undefined && c.name !== classNames[i]) {
      throw new DataError(`CocoMetric: category ${c.id} of ${file} is '${c.name}' but class ${i} of the dataset is '${classNames[i]}'`);
    }
  });
  return cats.map((c) => c.id);
}

/**
 * COCO box AP/AR of detections (mmdet's `CocoMetric(metric='bbox')`), as fractions 0..1:
 * `bbox_mAP`, `bbox_mAP_50`, `bbox_mAP_75`, `bbox_mAP_s`, `bbox_mAP_m`, `bbox_mAP_l` and
 * the AR keys. Values are pycocotools' (not rounded to 3 digits as mmdet logs them).
 * Every image of the annotation file is evaluated (mmdet's `img_ids = coco.get_img_ids()`).
 */
export class CocoMetric implements Metric {
  readonly name = 'CocoMetric';
  private results: CocoDetection[] = [];
  private gt: CocoGroundTruth | null = null;
  private catIds: number[] | null = null;
  /** The last evaluation (precision/recall arrays), after {@link compute}. */
  lastEval: CocoEvalResult | null = null;

  constructor(
    readonly options: CocoMetricOptions,
    readonly classNames: readonly string[],
    readonly annFile: string | null,
  ) {
    const metrics = Array.isArray(options.metric) ? options.metric : [options.metric];
    if (metrics.length !== 1 || metrics[0] !== 'bbox') throw new ConfigError(`CocoMetric: only metric 'bbox' is supported, got ${JSON.stringify(options.metric)}`);
    const md = options.proposalNums;
    if (md !== null && (md.length !== 3 || md.some((v) => !Number.isInteger(v) || v < 1))) {
      throw new ConfigError(`CocoMetric: proposalNums must be 3 positive integers, got ${JSON.stringify(md)}`);
    }
  }

  /** The ground truth (read from the annotation file once). */
  groundTruth(): CocoGroundTruth {
    if (this.gt === null) {
      if (this.annFile === null) {
        throw new ConfigError('CocoMetric: no annotation file (set annFile, or evaluate a CocoDetection dataset)');
      }
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(this.annFile, 'utf8')) as unknown;
      } catch (err) {
        throw new DataError(`CocoMetric: cannot read ${this.annFile} as JSON (${(err as Error).message})`);
      }
      this.gt = parseCocoGroundTruth(json, this.annFile);
      this.catIds = categoryIdsFor(this.gt, this.classNames, this.annFile);
    }
    return this.gt;
  }

  /** Category id of each contiguous label. */
  categoryIds(): number[] {
    this.groundTruth();
    return this.catIds as number[];
  }

  process(samples: readonly DataSample[], predictions: readonly Prediction[]): void {
    const catIds = this.categoryIds();
    predictions.forEach((p, i) => {
      if (p.kind !== 'det') throw new ConfigError(`CocoMetric: expected detection predictions, got '${p.kind}'`);
      const imgId = samples[i].imgId;
      if (imgId === undefined) throw new DataError(`CocoMetric: sample ${samples[i].imgPath} has no imgId (evaluate a COCO-format dataset)`);
      this.results.push(...detectionsToCoco(p, imgId, catIds));
    });
  }

  /** The COCO results gathered so far. */
  get cocoResults(): readonly CocoDetection[] {
    return this.results;
  }

  compute(): MetricValues {
    const gt = this.groundTruth();
    const { outfilePrefix, proposalNums, classwise } = this.options;
    if (outfilePrefix !== null) {
      const path = resolve(`${outfilePrefix}.bbox.json`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(this.results));
    }
    const result = evaluateCocoBbox(gt, this.results, proposalNums === null ? {} : { maxDets: proposalNums });
    this.lastEval = result;
    const named = cocoStatsToMetrics(result.stats) as unknown as Record<string, number>;
    const out: MetricValues = {};
    for (const key of ['bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l']) out[key] = named[key];
    if (proposalNums === null) {
      for (const key of ['bbox_AR_1', 'bbox_AR_10', 'bbox_AR_100', 'bbox_AR_s', 'bbox_AR_m', 'bbox_AR_l']) out[key] = named[key];
    } else {
      const [a, b, c] = [...result.params.maxDets];
      const s = result.stats;
      out[`bbox_AR@${a}`] = s[6];
      out[`bbox_AR@${b}`] = s[7];
      out[`bbox_AR@${c}`] = s[8];
      out[`bbox_AR_s@${c}`] = s[9];
      out[`bbox_AR_m@${c}`] = s[10];
      out[`bbox_AR_l@${c}`] = s[11];
    }
    if (classwise) {
      // mmdet: precision[:, :, k, 0, -1] (all IoUs and recalls, area 'all', the largest maxDets), mean of the values > -1.
      const { precision } = result;
      const [t, r, k, a, m] = precision.dims;
      const catIds = this.categoryIds();
      for (let ki = 0; ki < k; ki++) {
        let sum = 0;
        let count = 0;
        for (let ti = 0; ti < t; ti++) {
          for (let ri = 0; ri < r; ri++) {
            const v = precision.data[(((ti * r + ri) * k + ki) * a + 0) * m + (m - 1)];
            if (v > -1) {
              sum += v;
              count++;
            }
          }
        }
        const catId = result.params.catIds[ki];
        const label = catIds.indexOf(catId);
        const name = this.classNames[label] ?? String(catId);
        out[`bbox_AP/${name}`] = count > 0 ? sum / count : null;
      }
    }
    return out;
  }

  reset(): void {
    this.results = [];
  }
}

/** Registry entry of {@link CocoMetric}. */
export const cocoMetricSpec: ComponentSpec<CocoMetricOptions, Metric, MetricContext> = {
  name: 'CocoMetric',
  description: "COCO box AP/AR (mmdet's CocoMetric, pycocotools-exact): bbox_mAP, bbox_mAP_50, bbox_mAP_75, bbox_mAP_s/m/l, AR",
  defaults: { annFile: null, metric: 'bbox', proposalNums: null, outfilePrefix: null, classwise: false },
  kinds: { annFile: ['string', 'null'], metric: ['string', 'array'], proposalNums: ['array', 'null'], outfilePrefix: ['string', 'null'] },
  docs: {
    annFile: "COCO annotation file (null: the evaluated dataset's)",
    metric: "only 'bbox'",
    proposalNums: 'maxDets of the evaluation (null: pycocotools [1, 10, 100]; mmdet uses [100, 300, 1000])',
    outfilePrefix: 'write the COCO results to <outfilePrefix>.bbox.json',
    classwise: 'also report bbox_AP/<class> per class',
  },
  build: (options, context) => new CocoMetric(options, context.classNames, options.annFile ?? context.annFile ?? null),
};

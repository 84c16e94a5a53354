/**
 * mmdetection 3.x's `CocoMetric` (mmdet/evaluation/metrics/coco_metric.py) for
 * boxes and instance masks: detections → COCO results (`xyxy2xywh`, category id
 * of the contiguous label, image id of the sample; masks as compressed RLE),
 * evaluated against the dataset's annotation file with the pycocotools-exact
 * {@link evaluateCoco} (`iouType` 'bbox' and 'segm').
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, DataError } from '../core/errors.js';
import type { ComponentSpec } from '../registry/registry.js';
import type { DataSample } from '../structures/data_sample.js';
import type { DetPrediction, Prediction } from '../structures/prediction.js';
import { evaluateCoco, type CocoEvalResult } from '../metrics/coco/coco_eval.js';
import { encode } from '../structures/mask/coco_mask_api.js';
import { cocoStatsToMetrics } from '../metrics/coco/format.js';
import { parseCocoGroundTruth } from '../metrics/coco/load_coco.js';
import type { CocoDetection, CocoGroundTruth } from '../metrics/coco/coco_types.js';
import type { Metric, MetricContext, MetricValues } from './metric.js';

/** Options of {@link CocoMetric}; mmdet's names in camelCase. */
export interface CocoMetricOptions {
  /** Annotation file; null takes the evaluated dataset's. Default null. */
  annFile: string | null;
  /**
   * 'bbox', 'segm' or both (`['bbox', 'segm']`). 'segm' needs predictions with `masks`
   * (mask AP, keys `segm_mAP`, `segm_mAP_50`, ...). Default 'bbox'.
   */
  metric: string | string[];
  /**
   * pycocotools' `maxDets` (mmdet's `proposal_nums`). null keeps pycocotools' `[1, 10, 100]`, whose AR keys are
   * `bbox_AR_1`, `bbox_AR_10`, `bbox_AR_100`, `bbox_AR_s/m/l`; other values name the AR keys mmdet's way
   * (`bbox_AR@100`, `bbox_AR_s@1000`, ...). The same for `segm_`. Default null.
   */
  proposalNums: number[] | null;
  /** Write the results to `<outfilePrefix>.bbox.json` (and `.segm.json`) (mmdet's `outfile_prefix`). Default null. */
  outfilePrefix: string | null;
  /** Also report per-class AP (`bbox_AP/<class name>`, `segm_AP/...`; IoU 0.50:0.95, all areas, max dets). Default false. */
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
 * Converts one image's detections with masks to COCO segm results (mmdet's `results2json`):
 * the box as `[x, y, w, h]`, the mask as a compressed RLE of the original image.
 *
 * @throws DataError when the prediction has no masks, or not one per box.
 */
export function maskDetectionsToCoco(pred: DetPrediction, imageId: number, catIds: readonly number[], where: string): CocoDetection[] {
  const masks = pred.masks;
  if (masks === undefined) {
    throw new DataError(`CocoMetric: metric 'segm' needs predictions with masks, but the prediction of ${where} has none (a box-only detector?)`);
  }
  if (masks.count !== pred.scores.length || masks.data.length !== masks.count * masks.height * masks.width) {
    throw new DataError(`CocoMetric: the prediction of ${where} has ${pred.scores.length} boxes but ${masks.count} masks (${masks.height}×${masks.width}, ${masks.data.length} bytes)`);
  }
  const rles = encode(masks);
  return detectionsToCoco(pred, imageId, catIds).map((d, i) => ({ ...d, segmentation: rles[i] }));
}

/** The evaluations {@link CocoMetric} runs. */
export type CocoIouType = 'bbox' | 'segm';

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
 * COCO box and mask AP/AR of detections (mmdet's `CocoMetric(metric=['bbox', 'segm'])`), as
 * fractions 0..1: `bbox_mAP`, `bbox_mAP_50`, `bbox_mAP_75`, `bbox_mAP_s`, `bbox_mAP_m`,
 * `bbox_mAP_l` and the AR keys, and the same with `segm_` for masks. Values are pycocotools'
 * (not rounded to 3 digits as mmdet logs them). Every image of the annotation file is evaluated
 * (mmdet's `img_ids = coco.get_img_ids()`).
 *
 * For 'segm', each prediction's `masks` are encoded as compressed RLE when processed; the mask
 * results are evaluated without their boxes, so detection areas are mask areas (mmdet pops
 * `bbox` before `loadRes` for the same reason). The scores are the box scores (mmdet's
 * `mask_scores` are not modelled).
 */
export class CocoMetric implements Metric {
  readonly name = 'CocoMetric';
  /** The evaluations, in the order given. */
  readonly iouTypes: readonly CocoIouType[];
  private results: CocoDetection[] = [];
  private segmResults: CocoDetection[] = [];
  private gt: CocoGroundTruth | null = null;
  private catIds: number[] | null = null;
  /** The last evaluation (precision/recall arrays) of the first metric, after {@link compute}. */
  lastEval: CocoEvalResult | null = null;
  /** The last evaluation of each metric, after {@link compute}. */
  lastEvals: Partial<Record<CocoIouType, CocoEvalResult>> = {};

  constructor(
    readonly options: CocoMetricOptions,
    readonly classNames: readonly string[],
    readonly annFile: string | null,
  ) {
    const metrics = Array.isArray(options.metric) ? options.metric : [options.metric];
    if (metrics.length === 0 || metrics.some((m) => m !== 'bbox' && m !== 'segm') || new Set(metrics).size !== metrics.length) {
      throw new ConfigError(`CocoMetric: metric must be 'bbox', 'segm' or a list of them without repeats, got ${JSON.stringify(options.metric)}`);
    }
    this.iouTypes = metrics as CocoIouType[];
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
      if (this.iouTypes.includes('bbox')) this.results.push(...detectionsToCoco(p, imgId, catIds));
      if (this.iouTypes.includes('segm')) {
        this.segmResults.push(...maskDetectionsToCoco(p, imgId, catIds, `image id ${imgId} (${samples[i].imgPath || 'in-memory image'})`));
      }
    });
  }

  /** The COCO box results gathered so far. */
  get cocoResults(): readonly CocoDetection[] {
    return this.results;
  }

  /** The COCO mask results (with `segmentation` RLEs) gathered so far. */
  get cocoSegmResults(): readonly CocoDetection[] {
    return this.segmResults;
  }

  compute(): MetricValues {
    const out: MetricValues = {};
    this.lastEvals = {};
    for (const iouType of this.iouTypes) Object.assign(out, this.computeOne(iouType));
    this.lastEval = this.lastEvals[this.iouTypes[0]] ?? null;
    return out;
  }

  private computeOne(iouType: CocoIouType): MetricValues {
    const gt = this.groundTruth();
    const { outfilePrefix, proposalNums, classwise } = this.options;
    const results = iouType === 'bbox' ? this.results : this.segmResults;
    if (outfilePrefix !== null) {
      const path = resolve(`${outfilePrefix}.${iouType}.json`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(results));
    }
    const result = evaluateCoco(gt, results, proposalNums === null ? {} : { maxDets: proposalNums }, iouType);
    this.lastEvals[iouType] = result;
    const named = cocoStatsToMetrics(result.stats) as unknown as Record<string, number>;
    const out: MetricValues = {};
    const key = (k: string): string => k.replace(/^bbox_/, `${iouType}_`);
    for (const k of ['bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l']) out[key(k)] = named[k];
    if (proposalNums === null) {
      for (const k of ['bbox_AR_1', 'bbox_AR_10', 'bbox_AR_100', 'bbox_AR_s', 'bbox_AR_m', 'bbox_AR_l']) out[key(k)] = named[k];
    } else {
      const [a, b, c] = [...result.params.maxDets];
      const st = result.stats;
      out[`${iouType}_AR@${a}`] = st[6];
      out[`${iouType}_AR@${b}`] = st[7];
      out[`${iouType}_AR@${c}`] = st[8];
      out[`${iouType}_AR_s@${c}`] = st[9];
      out[`${iouType}_AR_m@${c}`] = st[10];
      out[`${iouType}_AR_l@${c}`] = st[11];
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
        out[`${iouType}_AP/${name}`] = count > 0 ? sum / count : null;
      }
    }
    return out;
  }

  reset(): void {
    this.results = [];
    this.segmResults = [];
  }
}

/** Registry entry of {@link CocoMetric}. */
export const cocoMetricSpec: ComponentSpec<CocoMetricOptions, Metric, MetricContext> = {
  name: 'CocoMetric',
  description: "COCO box and mask AP/AR (mmdet's CocoMetric, pycocotools-exact): bbox_mAP, bbox_mAP_50, ..., segm_mAP, segm_mAP_50, ..., AR",
  defaults: { annFile: null, metric: 'bbox', proposalNums: null, outfilePrefix: null, classwise: false },
  kinds: { annFile: ['string', 'null'], metric: ['string', 'array'], proposalNums: ['array', 'null'], outfilePrefix: ['string', 'null'] },
  docs: {
    annFile: "COCO annotation file (null: the evaluated dataset's)",
    metric: "'bbox', 'segm' or ['bbox', 'segm']",
    proposalNums: 'maxDets of the evaluation (null: pycocotools [1, 10, 100]; mmdet uses [100, 300, 1000])',
    outfilePrefix: 'write the COCO results to <outfilePrefix>.bbox.json / .segm.json',
    classwise: 'also report bbox_AP/<class> (segm_AP/<class>) per class',
  },
  build: (options, context) => new CocoMetric(options, context.classNames, options.annFile ?? context.annFile ?? null),
};

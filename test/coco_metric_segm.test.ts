/**
 * CocoMetric with metric ['bbox', 'segm'] against mmdetection 3.3.0's CocoMetric and the
 * raw pycocotools numbers (test/fixtures/maskdata/make_maskdata_fixtures.py).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../src/core/errors.js';
import '../src/registry/builtins.js';
import { METRICS } from '../src/registry/registries.js';
import { CocoMetric, type CocoMetricOptions } from '../src/evaluation/coco_metric.js';
import type { DataSample } from '../src/structures/data_sample.js';
import { sampleForImage } from '../src/structures/data_sample.js';
import type { DetPrediction } from '../src/structures/prediction.js';
import { rleDecodeRowMajor, rleFromString } from '../src/structures/mask/rle.js';
import { COCO_BBOX_METRIC_KEYS } from '../src/metrics/coco/format.js';
import { evaluateCoco } from '../src/metrics/coco/coco_eval.js';
import { loadCocoGroundTruth, loadCocoResults } from '../src/metrics/coco/load_coco.js';

interface MetricFixture {
  height: number;
  width: number;
  predictions: Array<{ imgId: number; bboxes: number[]; scores: number[]; labels: number[]; masks: string[] }>;
  mmdet: Record<string, number>;
  stats: { bbox: number[]; segm: number[] };
  loadRes: { segmWithBoxes: number[]; bboxFromMasks: number[] };
}

const GT = new URL('./fixtures/maskdata/metric_gt.json', import.meta.url).pathname;
const fx = JSON.parse(readFileSync(new URL('./fixtures/maskdata/metric.json', import.meta.url), 'utf8')) as MetricFixture;

function inputs(withMasks = true): { samples: DataSample[]; preds: DetPrediction[] } {
  const { height: h, width: w } = fx;
  const samples = fx.predictions.map((p) => ({ ...sampleForImage(h, w, `m_${p.imgId}.png`), imgId: p.imgId }));
  const preds = fx.predictions.map((p): DetPrediction => {
    const data = new Uint8Array(p.masks.length * h * w);
    p.masks.forEach((s, i) => data.set(rleDecodeRowMajor({ h, w, counts: rleFromString(s) }), i * h * w));
    return {
      kind: 'det',
      bboxes: Float32Array.from(p.bboxes),
      scores: Float32Array.from(p.scores),
      labels: Int32Array.from(p.labels),
      ...(withMasks ? { masks: { data, count: p.masks.length, height: h, width: w } } : {}),
    };
  });
  return { samples, preds };
}

function metric(options: Partial<CocoMetricOptions>): CocoMetric {
  return METRICS.build({ type: 'CocoMetric', annFile: GT, ...options }, { classNames: ['p', 'q'] }, 'valEvaluator') as CocoMetric;
}

describe("CocoMetric metric: ['bbox', 'segm']", () => {
  it("gives the 12 bbox and the 12 segm numbers of pycocotools, and mmdet CocoMetric's keys and values", () => {
    const m = metric({ metric: ['bbox', 'segm'] });
    const { samples, preds } = inputs();
    // two batches
    m.process(samples.slice(0, 2), preds.slice(0, 2));
    m.process(samples.slice(2), preds.slice(2));
    const out = m.compute();
    for (const iouType of ['bbox', 'segm'] as const) {
      COCO_BBOX_METRIC_KEYS.forEach((k, i) => {
        const key = k.replace(/^bbox_/, `${iouType}_`);
        const v = out[key];
        expect(v, key).not.toBeNull();
        expect(Math.abs((v as number) - fx.stats[iouType][i]), `${key}: ${v} vs ${fx.stats[iouType][i]}`).toBeLessThanOrEqual(1e-12);
      });
    }
    // mmdet logs values rounded to 3 digits under the same names
    for (const [k, v] of Object.entries(fx.mmdet)) {
      if (k.endsWith('_copypaste')) continue;
      expect(out[k], k).not.toBeUndefined();
      expect(Number((out[k] as number).toFixed(3)), k).toBeCloseTo(v, 10);
    }
    // the masks are really used: segm differs from bbox
    expect(out.segm_mAP).not.toBe(out.bbox_mAP);
    expect(m.lastEvals.segm?.stats).toEqual(fx.stats.segm.map((_, i) => out[COCO_BBOX_METRIC_KEYS[i].replace(/^bbox_/, 'segm_')]));
  });

  it("metric 'segm' alone reports only segm_ keys; reset forgets everything", () => {
    const m = metric({ metric: 'segm' });
    const { samples, preds } = inputs();
    m.process(samples, preds);
    const out = m.compute();
    expect(Object.keys(out).every((k) => k.startsWith('segm_'))).toBe(true);
    expect(out.segm_mAP).toBeCloseTo(fx.stats.segm[0], 12);
    m.reset();
    expect(m.cocoSegmResults).toHaveLength(0);
    expect(m.compute().segm_mAP).toBe(0);
  });

  it('writes <prefix>.bbox.json and <prefix>.segm.json (RLE masks) and names classwise keys per metric', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segm-metric-'));
    try {
      const m = metric({ metric: ['bbox', 'segm'], outfilePrefix: join(dir, 'res'), classwise: true });
      const { samples, preds } = inputs();
      m.process(samples, preds);
      const out = m.compute();
      expect(out['segm_AP/p']).not.toBeUndefined();
      expect(out['bbox_AP/q']).not.toBeUndefined();
      const segm = JSON.parse(readFileSync(join(dir, 'res.segm.json'), 'utf8')) as Array<{ segmentation: { size: number[]; counts: string } }>;
      const n = fx.predictions.reduce((a, p) => a + p.scores.length, 0);
      expect(segm).toHaveLength(n);
      expect(segm[0].segmentation.size).toEqual([fx.height, fx.width]);
      expect(segm[0].segmentation.counts).toBe(fx.predictions[0].masks[0]);
      expect(JSON.parse(readFileSync(join(dir, 'res.bbox.json'), 'utf8'))).toHaveLength(n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the image when a prediction has no masks, and rejects unknown metrics', () => {
    const m = metric({ metric: ['bbox', 'segm'] });
    const { samples, preds } = inputs(false);
    expect(() => m.process(samples, preds)).toThrow(DataError);
    expect(() => m.process(samples, preds)).toThrow(/metric 'segm' needs predictions with masks, .*image id 1 \(m_1\.png\)/);
    expect(() => metric({ metric: ['bbox', 'proposal'] })).toThrow(ConfigError);
    expect(() => metric({ metric: ['segm', 'segm'] })).toThrow(/without repeats/);
    // box-only metric accepts box-only predictions
    const b = metric({ metric: 'bbox' });
    b.process(samples, preds);
    expect(b.compute().bbox_mAP).toBeCloseTo(fx.stats.bbox[0], 12);
  });
});

describe("results files: pycocotools loadRes's area rule", () => {
  it('segm results that carry boxes use box areas; mask-only results use mask areas and boxes, as pycocotools', async () => {
    const gt = await loadCocoGroundTruth(GT);
    for (const [name, iouType] of [
      ['segmWithBoxes', 'segm'],
      ['bboxFromMasks', 'bbox'],
    ] as const) {
      const file = new URL(`./fixtures/maskdata/results_${name}.json`, import.meta.url).pathname;
      const r = evaluateCoco(gt, await loadCocoResults(file, gt), {}, iouType);
      r.stats.forEach((v, i) => expect(Math.abs(v - fx.loadRes[name][i]), `${name} stat ${i}: ${v} vs ${fx.loadRes[name][i]}`).toBeLessThanOrEqual(1e-12));
    }
    // the rule matters on this data: box areas move masks between the size ranges
    expect(fx.loadRes.segmWithBoxes[3]).not.toBe(fx.stats.segm[3]);
  });
});

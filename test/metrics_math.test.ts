import { readFileSync } from 'node:fs';
import { torchTopkIndices } from '../src/core/torch_order.js';
import { describe, expect, it } from 'vitest';
import { IoUAccumulator, intersectAndUnion, segMetricsToJson, type IntersectAndUnion, type SegLabelArray } from '../src/metrics/segmentation/iou.js';
import { AccuracyAccumulator, defaultTopK, topKAccuracy } from '../src/metrics/classification/accuracy.js';

// Fixtures written by test/fixtures/metrics/make_metric_fixtures.py (numpy
// bincount for segmentation, torch.topk for classification).
const FIXTURES = new URL('./fixtures/metrics/', import.meta.url);
const TOL = 1e-9;

interface AreasJson {
  areaIntersect: number[];
  areaUnion: number[];
  areaPredLabel: number[];
  areaLabel: number[];
}
interface SegCase {
  name: string;
  numClasses: number;
  ignoreIndex: number;
  dtype: 'uint8' | 'uint16' | 'int32';
  classNames: string[];
  pred: number[][];
  label: number[][];
  expected: {
    perImage: AreasJson[];
    total: AreasJson;
    aAcc: number | null;
    mIoU: number | null;
    mAcc: number | null;
    iou: (number | null)[];
    acc: (number | null)[];
  };
}
interface ClsCase {
  name: string;
  numClasses: number;
  ks: number[];
  thr: number | null;
  scores: (number | null)[];
  labels: number[];
  expected: {
    topk: number[];
    top1: number;
    perClass: (number | null)[];
    torchTopkMaxK: number[][];
    torchTopk1: number[];
  };
}

function loadJson<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as T;
}
const segCases = loadJson<{ cases: SegCase[] }>('seg_expected.json').cases;
const clsCases = loadJson<{ cases: ClsCase[] }>('cls_expected.json').cases;

function typed(values: number[], dtype: SegCase['dtype']): SegLabelArray {
  if (dtype === 'uint8') return Uint8Array.from(values);
  if (dtype === 'uint16') return Uint16Array.from(values);
  return Int32Array.from(values);
}

function plainAreas(a: IntersectAndUnion): AreasJson {
  return {
    areaIntersect: Array.from(a.areaIntersect),
    areaUnion: Array.from(a.areaUnion),
    areaPredLabel: Array.from(a.areaPredLabel),
    areaLabel: Array.from(a.areaLabel),
  };
}

/** Compares metric values: null/NaN must match exactly, numbers within TOL. */
function expectClose(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual === null || Number.isNaN(actual), `${what}: expected NaN/null, got ${actual}`).toBe(true);
    return;
  }
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL);
}

function expectAllClose(actual: readonly (number | null)[], expected: readonly (number | null)[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expected.forEach((e, i) => expectClose(actual[i], e, `${what}[${i}]`));
}

function concat(arrays: number[][]): number[] {
  return arrays.flat();
}

describe('segmentation IoU (mmseg IoUMetric)', () => {
  it('fixtures cover the required class situations', () => {
    const a = segCases.find((c) => c.name === 'six_classes_uint8');
    expect(a).toBeDefined();
    const e = a!.expected;
    expect(e.iou[5]).toBeNull(); // absent from both
    expect([e.iou[4], e.acc[4]]).toEqual([0, null]); // predicted, not labelled
    expect([e.iou[3], e.acc[3]]).toEqual([0, 0]); // labelled, never predicted
    expect(a!.label.flat().includes(255)).toBe(true);
  });

  for (const c of segCases) {
    describe(c.name, () => {
      it('per-image areas equal the numpy bincount reference exactly', () => {
        c.pred.forEach((p, i) => {
          const got = intersectAndUnion(typed(p, c.dtype), typed(c.label[i], c.dtype), c.numClasses, c.ignoreIndex);
          expect(plainAreas(got), `image ${i}`).toEqual(c.expected.perImage[i]);
        });
      });

      it('accumulated metrics equal the reference within 1e-9', () => {
        const acc = new IoUAccumulator(c.numClasses, c.ignoreIndex);
        c.pred.forEach((p, i) => acc.add(typed(p, c.dtype), typed(c.label[i], c.dtype)));
        expect(plainAreas(acc.totals())).toEqual(c.expected.total);
        const r = acc.compute();
        expectClose(r.aAcc, c.expected.aAcc, 'aAcc');
        expectClose(r.mIoU, c.expected.mIoU, 'mIoU');
        expectClose(r.mAcc, c.expected.mAcc, 'mAcc');
        expectAllClose(r.perClass.iou, c.expected.iou, 'IoU');
        expectAllClose(r.perClass.acc, c.expected.acc, 'Acc');

        const json = segMetricsToJson(r, c.classNames);
        expect(Object.keys(json)).toEqual(['mIoU', 'mAcc', 'aAcc', ...c.classNames.map((n) => `IoU.${n}`), ...c.classNames.map((n) => `Acc.${n}`)]);
        expectClose(json.mIoU, c.expected.mIoU, 'json mIoU');
        expectClose(json.aAcc, c.expected.aAcc, 'json aAcc');
        c.classNames.forEach((n, k) => {
          expectClose(json[`IoU.${n}`], c.expected.iou[k], `json IoU.${n}`);
          expectClose(json[`Acc.${n}`], c.expected.acc[k], `json Acc.${n}`);
        });
        expect(JSON.parse(JSON.stringify(json))).toEqual(json); // JSON-safe
      });

      it('adding image by image equals adding the concatenation', () => {
        const byImage = new IoUAccumulator(c.numClasses, c.ignoreIndex);
        c.pred.forEach((p, i) => byImage.add(typed(p, c.dtype), typed(c.label[i], c.dtype)));
        const once = new IoUAccumulator(c.numClasses, c.ignoreIndex);
        once.add(typed(concat(c.pred), c.dtype), typed(concat(c.label), c.dtype));
        expect(plainAreas(once.totals())).toEqual(plainAreas(byImage.totals()));
        expect(once.compute()).toEqual(byImage.compute());
      });
    });
  }

  it('hand-computed example: ignore, absent, predicted-only, labelled-only classes', () => {
    // classes 0..4; label 255 ignored (its pred 4 must not count)
    const pred = Uint8Array.from([0, 0, 1, 2, 2, 0, 4]);
    const label = Uint8Array.from([0, 1, 1, 1, 0, 0, 255]);
    const a = intersectAndUnion(pred, label, 5);
    expect(Array.from(a.areaIntersect)).toEqual([2, 1, 0, 0, 0]);
    expect(Array.from(a.areaPredLabel)).toEqual([3, 1, 2, 0, 0]);
    expect(Array.from(a.areaLabel)).toEqual([3, 3, 0, 0, 0]);
    expect(Array.from(a.areaUnion)).toEqual([4, 3, 2, 0, 0]);
    const acc = new IoUAccumulator(5);
    acc.add(pred, label);
    const r = acc.compute();
    expect(r.perClass.iou).toEqual([0.5, 1 / 3, 0, null, null]);
    expect(r.perClass.acc).toEqual([2 / 3, 1 / 3, null, null, null]);
    expect(r.aAcc).toBeCloseTo(3 / 6, 15);
    expect(r.mIoU).toBeCloseTo((0.5 + 1 / 3 + 0) / 3, 15);
    expect(r.mAcc).toBeCloseTo((2 / 3 + 1 / 3) / 2, 15);
  });

  it('all pixels ignored: NaN metrics, null in JSON, no throw', () => {
    const acc = new IoUAccumulator(3);
    acc.add(Uint8Array.from([0, 1, 2]), Uint8Array.from([255, 255, 255]));
    const r = acc.compute();
    expect(Number.isNaN(r.aAcc)).toBe(true);
    expect(Number.isNaN(r.mIoU)).toBe(true);
    expect(Number.isNaN(r.mAcc)).toBe(true);
    expect(r.perClass.iou).toEqual([null, null, null]);
    const json = segMetricsToJson(r, ['x', 'y', 'z']);
    expect(json.aAcc).toBeNull();
    expect(json.mIoU).toBeNull();
    expect(json['IoU.y']).toBeNull();
    expect(JSON.stringify(json)).not.toContain('NaN');
  });

  it('length mismatch throws naming both lengths, and the accumulator is unchanged', () => {
    expect(() => intersectAndUnion(new Uint8Array(7), new Uint8Array(5), 3)).toThrow(/\b7\b.*\b5\b/);
    const acc = new IoUAccumulator(3);
    acc.add(Uint8Array.from([0]), Uint8Array.from([0]));
    expect(() => acc.add(new Int32Array(4), new Int32Array(9))).toThrow(/\b4\b.*\b9\b/);
    expect(Array.from(acc.totals().areaLabel)).toEqual([1, 0, 0]);
  });

  it('rejects bad numClasses and bad class names', () => {
    expect(() => new IoUAccumulator(0)).toThrow(/numClasses/);
    const r = new IoUAccumulator(2).compute();
    expect(() => segMetricsToJson(r, ['a'])).toThrow(/1 class names for 2 classes/);
    expect(() => segMetricsToJson(r, ['a', 'a'])).toThrow(/unique/);
  });

  it('reset forgets previous images', () => {
    const acc = new IoUAccumulator(2);
    acc.add(Uint8Array.from([0, 1]), Uint8Array.from([1, 1]));
    acc.reset();
    acc.add(Uint8Array.from([1]), Uint8Array.from([1]));
    expect(acc.compute().aAcc).toBe(1);
  });
});

function clsScores(c: ClsCase): Float32Array {
  return Float32Array.from(c.scores, (v) => (v === null ? Number.NaN : v));
}

describe('classification accuracy (mmpretrain Accuracy / SingleLabelMetric)', () => {
  it('fixtures are tie-sensitive: a lowest-index-first ranking gets some case wrong', () => {
    // Guards the strength of the tests below: a naive tie rule must fail them.
    let differs = 0;
    for (const c of clsCases) {
      const scores = clsScores(c);
      const C = c.numClasses;
      const maxk = Math.max(...c.ks);
      c.labels.forEach((label, n) => {
        const row = Array.from(scores.subarray(n * C, (n + 1) * C));
        const naive = row
          .map((v, j) => ({ v: Number.isNaN(v) ? Infinity : v, j }))
          .sort((a, b) => b.v - a.v || a.j - b.j)
          .slice(0, maxk)
          .map((e) => e.j);
        if (naive.join() !== c.expected.torchTopkMaxK[n].join()) differs++;
        void label;
      });
    }
    expect(differs).toBeGreaterThan(0);
  });

  for (const c of clsCases) {
    describe(c.name, () => {
      const scores = clsScores(c);
      const labels = Int32Array.from(c.labels);
      const C = c.numClasses;

      it('torchTopkIndices reproduces torch.topk indices (order included)', () => {
        const maxk = Math.max(...c.ks);
        c.labels.forEach((_, n) => {
          const row = scores.subarray(n * C, (n + 1) * C);
          expect(Array.from(torchTopkIndices(row, maxk)), `row ${n} k=${maxk}`).toEqual(c.expected.torchTopkMaxK[n]);
          expect(Array.from(torchTopkIndices(row, 1)), `row ${n} k=1`).toEqual([c.expected.torchTopk1[n]]);
        });
      });

      it('topKAccuracy equals torch reference within 1e-9', () => {
        const got = topKAccuracy(scores, C, labels, c.ks, { thr: c.thr });
        expectAllClose(got, c.expected.topk, 'topk');
      });

      it('AccuracyAccumulator (batched) equals torch reference within 1e-9', () => {
        const acc = new AccuracyAccumulator(C, c.ks, { thr: c.thr });
        const batch = 7;
        for (let s = 0; s < labels.length; s += batch) {
          const e = Math.min(s + batch, labels.length);
          acc.add(scores.slice(s * C, e * C), labels.slice(s, e));
        }
        const r = acc.compute();
        expect(r.ks).toEqual(c.ks);
        expectAllClose(r.topk, c.expected.topk, 'topk');
        expectClose(r.top1, c.expected.top1, 'top1');
        if (c.ks.includes(5)) expectClose(r.top5 ?? null, c.expected.topk[c.ks.indexOf(5)], 'top5');
        else expect(r.top5).toBeUndefined();
        expectAllClose(r.perClass, c.expected.perClass, 'perClass');

        const once = new AccuracyAccumulator(C, c.ks, { thr: c.thr });
        once.add(scores, labels);
        expect(once.compute()).toEqual(r);
      });
    });
  }

  it('hand-computed example with threshold semantics', () => {
    // 3 samples × 4 classes
    const scores = Float32Array.from([0.1, 0.7, 0.2, 0.0, 0.5, 0.1, 0.3, 0.1, -1, -2, -3, -4]);
    const labels = Int32Array.from([1, 2, 0]);
    expect(topKAccuracy(scores, 4, labels, [1, 2])).toEqual([2 / 3, 1]);
    // with thr=0 the third sample (score -1 for its label) is not a hit
    expect(topKAccuracy(scores, 4, labels, [1, 2], { thr: 0 })).toEqual([1 / 3, 2 / 3]);
  });

  it('fewer than 5 classes: top-5 omitted by default, rejected when requested', () => {
    expect(defaultTopK(3)).toEqual([1]);
    expect(defaultTopK(5)).toEqual([1, 5]);
    const acc = new AccuracyAccumulator(3);
    acc.add(Float32Array.from([0.1, 0.8, 0.1]), Int32Array.from([1]));
    const r = acc.compute();
    expect(r.top1).toBe(1);
    expect('top5' in r).toBe(false);
    expect(() => new AccuracyAccumulator(3, [1, 5])).toThrow(/Top-5 accuracy is unavailable.*3/);
    expect(() => topKAccuracy(new Float32Array(3), 3, new Int32Array(1), [1, 5])).toThrow(/Top-5/);
  });

  it('top1 is reported even when 1 is not among the ks', () => {
    const acc = new AccuracyAccumulator(6, [5]);
    acc.add(Float32Array.from([0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0]), Int32Array.from([5, 1]));
    const r = acc.compute();
    expect(r.top1).toBe(0.5);
    expect(r.top5).toBe(1);
  });

  it('size mismatch throws naming both sizes; bad labels throw; nothing is added', () => {
    const acc = new AccuracyAccumulator(4, [1]);
    expect(() => acc.add(new Float32Array(10), new Int32Array(3))).toThrow(/\b10\b.*\b12\b/);
    expect(() => acc.add(new Float32Array(4), Int32Array.from([4]))).toThrow(/label 4/);
    const r = acc.compute();
    expect(Number.isNaN(r.top1)).toBe(true);
    expect(r.perClass).toEqual([null, null, null, null]);
  });

  it('torchTopkIndices: NaN ranks first, invalid k throws', () => {
    expect(Array.from(torchTopkIndices([1, Number.NaN, 3], 2))).toEqual([1, 2]);
    expect(() => torchTopkIndices([1, 2], 3)).toThrow(RangeError);
  });
});

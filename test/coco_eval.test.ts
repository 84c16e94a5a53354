/**
 * COCO bbox evaluation against reference numbers of real pycocotools
 * (test/fixtures/coco/make_coco_fixtures.py), the coco_eval CLI, and the
 * validation errors of the loaders.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/core/errors.js';
import { evaluateCocoBbox } from '../src/metrics/coco/coco_eval.js';
import { makeCocoEvalParams } from '../src/metrics/coco/coco_params.js';
import type { CocoGroundTruth } from '../src/metrics/coco/coco_types.js';
import { cocoStatsToMetrics, COCO_BBOX_METRIC_KEYS, formatCocoStats, formatFixedPython } from '../src/metrics/coco/format.js';
import { loadCocoGroundTruth, loadCocoResults, parseCocoGroundTruth, parseCocoResults } from '../src/metrics/coco/load_coco.js';
import { numpySum } from '../src/metrics/coco/numpy_compat.js';
import { main as cocoEvalMain } from '../tools/coco_eval.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'coco');
const CASES = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Expected {
  stats: number[];
  summary_lines: string[];
  precision_shape: number[];
  precision_sum: number;
  precision_missing: number;
  recall_shape: number[];
  recall_sum: number;
  recall_missing: number;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function loadCase(name: string) {
  const dir = path.join(FIXTURES, name);
  const gtFile = path.join(dir, 'gt.json');
  const resFile = path.join(dir, 'results.json');
  const gt = parseCocoGroundTruth(readJson(gtFile), gtFile);
  const results = parseCocoResults(readJson(resFile), gt, resFile);
  const expected = readJson(path.join(dir, 'expected.json')) as Expected;
  return { dir, gtFile, resFile, gt, results, expected };
}

function countMissing(a: Float64Array): number {
  return a.reduce((n, v) => (v === -1 ? n + 1 : n), 0);
}

/** Runs `fn` and returns the DataError it throws (fails the test otherwise). */
function dataErrorOf(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

let maxObservedDiff = 0;
afterAll(() => {
  console.log(`coco_eval: max |stat - pycocotools| over ${CASES.length} cases = ${maxObservedDiff}`);
});

describe('COCO bbox evaluation vs pycocotools', () => {
  it('has the fixture cases', () => {
    expect(CASES).toEqual(expect.arrayContaining(['basic', 'crowd', 'areas', 'maxdets', 'edge_ids', 'random_jitter', 'random_ties']));
  });

  it('uses bit-identical IoU and recall thresholds', () => {
    const ref = readJson(path.join(FIXTURES, 'params.json')) as { iouThrs: number[]; recThrs: number[] };
    const p = makeCocoEvalParams([1], [1]);
    expect(Array.from(p.iouThrs)).toEqual(ref.iouThrs);
    expect(Array.from(p.recThrs)).toEqual(ref.recThrs);
    expect(p.iouThrs[8]).toBe(0.8999999999999999);
  });

  for (const name of CASES) {
    it(`case ${name}: 12 stats within 1e-4 of pycocotools`, () => {
      const { gt, results, expected } = loadCase(name);
      const r = evaluateCocoBbox(gt, results);
      expect(r.stats).toHaveLength(12);
      const diffs = r.stats.map((s, i) => Math.abs(s - expected.stats[i]));
      const maxDiff = Math.max(...diffs);
      maxObservedDiff = Math.max(maxObservedDiff, maxDiff);
      for (let i = 0; i < 12; i++) {
        expect(Math.abs(r.stats[i] - expected.stats[i]), `stat ${i}: ${r.stats[i]} vs ${expected.stats[i]}`).toBeLessThanOrEqual(1e-4);
      }
    });

    it(`case ${name}: accumulate() arrays and printed lines match pycocotools`, () => {
      const { gt, results, expected } = loadCase(name);
      const r = evaluateCocoBbox(gt, results);
      expect(r.precision.dims).toEqual(expected.precision_shape);
      expect(r.recall.dims).toEqual(expected.recall_shape);
      expect(countMissing(r.precision.data)).toBe(expected.precision_missing);
      expect(countMissing(r.recall.data)).toBe(expected.recall_missing);
      expect(Math.abs(numpySum(r.precision.data) - expected.precision_sum)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(numpySum(r.recall.data) - expected.recall_sum)).toBeLessThanOrEqual(1e-9);
      expect(formatCocoStats(r.stats).split('\n')).toEqual(expected.summary_lines);
    });
  }

  it('ignores detections of categories absent from the ground truth', () => {
    const { gt, results, expected } = loadCase('basic');
    const r = evaluateCocoBbox(gt, results);
    expect(r.ignoredDetections).toBe(1); // the category-99 detection
    const without = results.filter((d) => d.category_id !== 99);
    // dropping it changes detection ids only, never the numbers
    expect(evaluateCocoBbox(gt, without).stats).toEqual(r.stats);
    expect(r.stats[0]).toBeCloseTo(expected.stats[0], 12);
  });

  it('reports -1 for stats without any ground truth and 0 without detections', () => {
    const gt = parseCocoGroundTruth(
      {
        images: [{ id: 1 }],
        categories: [{ id: 1 }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 }],
      },
      'mem.json',
    );
    const r = evaluateCocoBbox(gt, []);
    expect(r.stats).toEqual([0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1]);
  });
});

describe('formatting', () => {
  it('rounds exact halves to even like Python', () => {
    expect(formatFixedPython(0.0625, 3)).toBe('0.062');
    expect(formatFixedPython(0.1875, 3)).toBe('0.188');
    expect(formatFixedPython(0.3125, 3)).toBe('0.312');
    expect(formatFixedPython(0.0005, 3)).toBe('0.001'); // not an exact half in binary
    expect(formatFixedPython(-1, 3)).toBe('-1.000');
  });

  it('prints pycocotools lines and names the metrics', () => {
    const stats = [0.5, 0.75, 0.6, 0.1, 0.2, 0.3, 0.4, 0.45, 0.46, -1, 0.25, 0.0625];
    const lines = formatCocoStats(stats).split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500');
    expect(lines[1]).toBe(' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.750');
    expect(lines[4]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.200');
    expect(lines[6]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.400');
    expect(lines[9]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000');
    expect(lines[11]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.062');
    const m = cocoStatsToMetrics(stats);
    expect(Object.keys(m)).toEqual([...COCO_BBOX_METRIC_KEYS]);
    expect(COCO_BBOX_METRIC_KEYS.map((k) => m[k])).toEqual(stats);
    expect(m.bbox_mAP_50).toBe(0.75);
    expect(m.bbox_AR_l).toBe(0.0625);
  });
});

describe('coco_eval CLI', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'coco-eval-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const tool = path.join(ROOT, 'tools', 'coco_eval.ts');

  it('prints the 12 lines and writes the metrics JSON (child process, --out)', () => {
    const { gtFile, resFile, expected } = loadCase('random_jitter');
    const out = path.join(tmp, 'metrics.json');
    const run = spawnSync(tsx, [tool, gtFile, resFile, '--out', out], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const printed = run.stdout.split('\n').filter((l) => l.startsWith(' Average'));
    expect(printed).toEqual(expected.summary_lines);
    const metrics = readJson(out) as Record<string, number>;
    expect(Object.keys(metrics)).toEqual([...COCO_BBOX_METRIC_KEYS]);
    COCO_BBOX_METRIC_KEYS.forEach((k, i) => expect(Math.abs(metrics[k] - expected.stats[i])).toBeLessThanOrEqual(1e-4));
  });

  it('writes <results>.metrics.json beside the results by default (main)', async () => {
    const { gtFile, resFile, expected } = loadCase('crowd');
    const gtCopy = path.join(tmp, 'gt.json');
    const resCopy = path.join(tmp, 'dets.json');
    copyFileSync(gtFile, gtCopy);
    copyFileSync(resFile, resCopy);
    const logged: string[] = [];
    const metrics = await cocoEvalMain([gtCopy, resCopy], (l) => logged.push(l));
    const out = path.join(tmp, 'dets.metrics.json');
    expect(existsSync(out)).toBe(true);
    expect(readJson(out)).toEqual(metrics);
    expect(logged.join('\n').split('\n').slice(0, 12)).toEqual(expected.summary_lines);
    expect(metrics?.bbox_mAP).toBe(expected.stats[0]);
  });

  it('exits non-zero with the DataError message on bad input', () => {
    const { gtFile } = loadCase('basic');
    const bad = path.join(tmp, 'bad_results.json');
    writeFileSync(bad, JSON.stringify([{ image_id: 4242, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 }]));
    const run = spawnSync(tsx, [tool, gtFile, bad], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('DataError');
    expect(run.stderr).toContain(bad);
    expect(run.stderr).toContain('4242');
    expect(existsSync(path.join(tmp, 'bad_results.metrics.json'))).toBe(false);
  });

  it('rejects a wrong command line', async () => {
    await expect(cocoEvalMain(['only_one.json'], () => {})).rejects.toThrow(/expected 2 files/);
    await expect(cocoEvalMain(['a.json', 'b.json', '--bogus'], () => {})).rejects.toThrow(/unknown option/);
  });
});

describe('input validation', () => {
  const FILE = 'instances_bad.json';
  const base = (): { images: unknown[]; categories: unknown[]; annotations: Record<string, unknown>[] } => ({
    images: [{ id: 1 }, { id: 2 }],
    categories: [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 77, image_id: 2, category_id: 2, bbox: [5, 5, 20, 30], area: 600, iscrowd: 0 },
    ],
  });
  const okGt = (): CocoGroundTruth => parseCocoGroundTruth(base(), FILE);

  it('accepts the valid base data', () => {
    expect(okGt().annotations).toHaveLength(2);
  });

  const badBoxes: [string, unknown][] = [
    ['zero width', [5, 5, 0, 30]],
    ['negative height', [5, 5, 20, -3]],
    ['NaN', [5, Number.NaN, 20, 30]],
    ['infinite', [5, 5, Number.POSITIVE_INFINITY, 30]],
    ['wrong length', [5, 5, 20]],
    ['not numbers', [5, 5, '20', 30]],
  ];
  for (const [what, bbox] of badBoxes) {
    it(`names the file and the annotation id of a bad box (${what})`, () => {
      const json = base();
      json.annotations[1].bbox = bbox;
      const err = dataErrorOf(() => parseCocoGroundTruth(json, FILE));
      expect(err.message).toContain(FILE);
      expect(err.message).toContain('annotation id 77');
      expect(err.message).toMatch(/expected \[x, y, w, h\]/);
    });
  }

  it('names the annotation id and the category id of an unknown category', () => {
    const json = base();
    json.annotations[1].category_id = 999;
    const err = dataErrorOf(() => parseCocoGroundTruth(json, FILE));
    expect(err.message).toContain(FILE);
    expect(err.message).toContain('annotation id 77');
    expect(err.message).toContain('category id 999');
  });

  it('names duplicate image and annotation ids', () => {
    const imgs = base();
    imgs.images.push({ id: 2 });
    expect(dataErrorOf(() => parseCocoGroundTruth(imgs, FILE)).message).toMatch(/instances_bad\.json: duplicate image id 2/);
    const anns = base();
    anns.annotations.push({ ...anns.annotations[0] });
    expect(dataErrorOf(() => parseCocoGroundTruth(anns, FILE)).message).toMatch(/instances_bad\.json: duplicate annotation id 10/);
  });

  it('names the annotation of a missing image, area or bad iscrowd', () => {
    const img = base();
    img.annotations[0].image_id = 3;
    expect(dataErrorOf(() => parseCocoGroundTruth(img, FILE)).message).toMatch(/annotation id 10 .*image_id 3/);
    const area = base();
    delete area.annotations[0].area;
    expect(dataErrorOf(() => parseCocoGroundTruth(area, FILE)).message).toMatch(/annotation id 10 .*area/);
    const crowd = base();
    crowd.annotations[0].iscrowd = 'yes';
    expect(dataErrorOf(() => parseCocoGroundTruth(crowd, FILE)).message).toMatch(/annotation id 10 .*iscrowd/);
  });

  it('rejects a ground truth that is not a COCO object', () => {
    expect(dataErrorOf(() => parseCocoGroundTruth([], FILE)).message).toContain(FILE);
    expect(dataErrorOf(() => parseCocoGroundTruth({ images: [] }, FILE)).message).toMatch(/"categories"/);
  });

  it('names the image id of results for images not in the ground truth', () => {
    const res = [
      { image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], score: 0.9 },
      { image_id: 31337, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 },
    ];
    const err = dataErrorOf(() => parseCocoResults(res, okGt(), 'dets.json'));
    expect(err.message).toContain('dets.json');
    expect(err.message).toContain('results for images not in the ground truth');
    expect(err.message).toContain('31337');
  });

  it('names the result and its image id for a bad result box or score', () => {
    const box = [{ image_id: 2, category_id: 1, bbox: [0, 0, -5, 5], score: 0.9 }];
    expect(dataErrorOf(() => parseCocoResults(box, okGt(), 'dets.json')).message).toMatch(/dets\.json: result #0 \(image id 2\): bbox/);
    const score = [{ image_id: 2, category_id: 1, bbox: [0, 0, 5, 5], score: null }];
    expect(dataErrorOf(() => parseCocoResults(score, okGt(), 'dets.json')).message).toMatch(/result #0 .*score/);
    expect(dataErrorOf(() => parseCocoResults({}, okGt(), 'dets.json')).message).toMatch(/dets\.json: .*JSON array/);
  });

  it('accepts empty detection boxes and unknown result categories', () => {
    const res = parseCocoResults(
      [
        { image_id: 1, category_id: 1, bbox: [0, 0, 0, 5], score: 0.9 },
        { image_id: 1, category_id: 555, bbox: [0, 0, 5, 5], score: 0.9 },
      ],
      okGt(),
      'dets.json',
    );
    expect(res).toHaveLength(2);
    expect(evaluateCocoBbox(okGt(), res).ignoredDetections).toBe(1);
  });

  it('file loaders name the path in their errors', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coco-load-'));
    try {
      const gtPath = path.join(dir, 'gt_bad.json');
      const json = base();
      json.annotations[1].bbox = [1, 2, 3, 0];
      writeFileSync(gtPath, JSON.stringify(json));
      await expect(loadCocoGroundTruth(gtPath)).rejects.toThrow(new RegExp(`${gtPath}.*annotation id 77`));
      const broken = path.join(dir, 'broken.json');
      writeFileSync(broken, '{"images": [');
      await expect(loadCocoGroundTruth(broken)).rejects.toThrow(/broken\.json.*not valid JSON/);
      await expect(loadCocoGroundTruth(path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json.*cannot read/);
      const resPath = path.join(dir, 'res.json');
      writeFileSync(resPath, JSON.stringify([{ image_id: 9, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]));
      await expect(loadCocoResults(resPath, okGt())).rejects.toThrow(new RegExp(`${resPath}: results for images not in the ground truth.*9`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

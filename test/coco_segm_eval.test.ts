/**
 * COCO segm evaluation against pycocotools COCOeval(iouType='segm')
 * (test/fixtures/coco_segm/make_segm_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateCoco } from '../src/metrics/coco/coco_eval.js';
import { parseCocoGroundTruth, parseCocoResults } from '../src/metrics/coco/load_coco.js';
import { main as cocoEvalMain, parseCocoEvalArgs } from '../tools/coco_eval.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/coco_segm');
const read = (f: string): unknown => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));

describe('COCO segm evaluation', () => {
  const gtJson = read('gt.json') as { annotations: Record<string, unknown>[] };
  const gt = parseCocoGroundTruth(gtJson, 'gt.json');
  const results = parseCocoResults(read('results.json'), gt, 'results.json');
  const expected = read('expected.json') as { stats: number[] };

  it('gives the 12 numbers of pycocotools (polygons, multi-part polygons, uncompressed crowd RLE)', () => {
    const r = evaluateCoco(gt, results, {}, 'segm');
    expect(r.stats).toHaveLength(12);
    r.stats.forEach((s, i) => expect(Math.abs(s - expected.stats[i]), `stat ${i}: ${s} vs ${expected.stats[i]}`).toBeLessThanOrEqual(1e-12));
  });

  it('differs from bbox evaluation of the same results (masks are really used)', () => {
    const box = evaluateCoco(gt, results, {}, 'bbox');
    expect(box.stats).not.toEqual(expected.stats);
  });

  it('bad masks name the annotation id', () => {
    const bad = structuredClone(gtJson);
    const a = bad.annotations.find((x) => Array.isArray(x.segmentation)) as Record<string, unknown>;
    a.segmentation = [[1, 1, 5, 5]];
    expect(() => evaluateCoco(parseCocoGroundTruth(bad, 'gt.json'), results, {}, 'segm')).toThrow(
      new RegExp(`annotation id ${a.id as number}: segmentation: polygon 0 has 2 points; expected at least 3`),
    );
    const bad2 = structuredClone(gtJson);
    const c = bad2.annotations.find((x) => !Array.isArray(x.segmentation)) as Record<string, unknown>;
    (c.segmentation as { size: number[] }).size = [1, (c.segmentation as { counts: number[] }).counts.reduce((p, q) => p + q, 0)];
    expect(() => evaluateCoco(parseCocoGroundTruth(bad2, 'gt.json'), results, {}, 'segm')).toThrow(
      new RegExp(`annotation id ${c.id as number}: segmentation: RLE size 1x\\d+ does not match the image`),
    );
  });

  it('coco-eval --iou-type segm writes segm_ metrics equal to pycocotools', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'segm-'));
    try {
      const out = path.join(tmp, 'm.json');
      const lines: string[] = [];
      const m = (await cocoEvalMain([path.join(dir, 'gt.json'), path.join(dir, 'results.json'), '--iou-type', 'segm', '--out', out], (l) => lines.push(l))) as Record<string, number>;
      expect(Math.abs(m.segm_mAP - expected.stats[0])).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(m.segm_AR_s - expected.stats[9])).toBeLessThanOrEqual(1e-12);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(m);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(() => parseCocoEvalArgs(['a', 'b', '--iou-type', 'keypoints'])).toThrow(/--iou-type keypoints: expected bbox or segm/);
  });
});

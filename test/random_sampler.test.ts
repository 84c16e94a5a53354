import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng.js';
import { MaxIoUAssigner, RPN_ASSIGNER_OPTIONS, RCNN_ASSIGNER_OPTIONS } from '../src/models/task_modules/assigners/max_iou_assigner.js';
import { RandomSampler, RCNN_SAMPLER_OPTIONS, RPN_SAMPLER_OPTIONS } from '../src/models/task_modules/samplers/random_sampler.js';
import type { AssignResult } from '../src/models/task_modules/assigners/max_iou_assigner.js';

/** An assignment of 1000 priors: 40 positives (gt 0/1 alternating), 20 ignored, the rest negative. */
function assignment(): AssignResult {
  const n = 1000;
  const gtInds = new Int32Array(n);
  for (let i = 0; i < 40; i++) gtInds[i * 7] = (i % 2) + 1;
  for (let i = 0; i < 20; i++) gtInds[i * 7 + 3] = -1;
  return { numGts: 2, gtInds, maxOverlaps: new Float32Array(n), labels: new Int32Array(n).fill(-1) };
}
const priors = new Float32Array(1000 * 4).map((_, i) => i);
const gt = { bboxes: Float32Array.from([0, 0, 10, 10, 5, 5, 20, 20]), labels: Int32Array.from([3, 7]) };

describe('RandomSampler (mmdet semantics)', () => {
  it('RPN settings: all 40 positives (fewer than 128), negatives fill up to 256, ascending, disjoint, never ignored', () => {
    const a = assignment();
    const s = new RandomSampler(RPN_SAMPLER_OPTIONS, new Rng(1)).sample(a, priors, gt);
    expect(s.posInds.length).toBe(40);
    expect(s.negInds.length).toBe(216);
    expect([...s.posInds].every((i) => a.gtInds[i] > 0)).toBe(true);
    expect([...s.negInds].every((i) => a.gtInds[i] === 0)).toBe(true);
    expect(new Set(s.negInds).size).toBe(216);
    expect([...s.negInds]).toEqual([...s.negInds].sort((x, y) => x - y));
    expect([...s.posGtLabels]).toEqual([...s.posInds].map((i) => gt.labels[a.gtInds[i] - 1]));
    expect([...s.posGtBboxes.subarray(0, 4)]).toEqual([...gt.bboxes.subarray(0, 4)]); // prior 0 → gt 0
  });

  it('caps positives at num·posFraction and respects negPosUb', () => {
    const s = new RandomSampler({ num: 64, posFraction: 0.25, negPosUb: 3, addGtAsProposals: false }, new Rng(2)).sample(assignment(), priors, gt);
    expect(s.posInds.length).toBe(16);
    expect(s.negInds.length).toBe(48);
    const none = assignment();
    none.gtInds.fill(0);
    const t = new RandomSampler({ num: 64, posFraction: 0.25, negPosUb: 3, addGtAsProposals: false }, new Rng(2)).sample(none, priors, gt);
    expect([t.posInds.length, t.negInds.length]).toEqual([0, 3]); // 3 · max(1, 0)
  });

  it('RoI head settings prepend the gt boxes as positives of themselves', () => {
    const s = new RandomSampler(RCNN_SAMPLER_OPTIONS, new Rng(3)).sample(assignment(), priors, gt);
    expect(s.priors.length).toBe((1000 + 2) * 4);
    expect([...s.gtFlags.subarray(0, 3)]).toEqual([1, 1, 0]);
    expect([...s.posInds.subarray(0, 2)]).toEqual([0, 1]); // 42 positives ≤ 128: all kept
    expect(s.posInds.length).toBe(42);
    expect([...s.posAssignedGtInds.subarray(0, 2)]).toEqual([0, 1]);
    expect(s.negInds.length).toBe(512 - 42);
  });

  it('is reproducible from the seed and differs across seeds', () => {
    const pick = (seed: number): number[] => [...new RandomSampler(RPN_SAMPLER_OPTIONS, new Rng(seed)).sample(assignment(), priors, gt).negInds];
    expect(pick(5)).toEqual(pick(5));
    expect(pick(5)).not.toEqual(pick(6));
  });

  it('names bad options and a mismatched assignment', () => {
    expect(() => new RandomSampler({ ...RPN_SAMPLER_OPTIONS, num: 0 }, new Rng(0))).toThrow(/num must be a positive integer, got 0/);
    expect(() => new RandomSampler({ ...RPN_SAMPLER_OPTIONS, posFraction: 2 }, new Rng(0))).toThrow(/posFraction must be in \[0, 1\], got 2/);
    expect(() => new RandomSampler(RPN_SAMPLER_OPTIONS, new Rng(0)).sample(assignment(), priors.subarray(0, 8), gt)).toThrow(/covers 1000 priors but 2 priors given/);
  });

  it('mmdet RPN / RoI assigner presets: 0.7/0.3/0.3 with low-quality matches; 0.5/0.5/0.5 without', () => {
    const rpn = new MaxIoUAssigner(RPN_ASSIGNER_OPTIONS).options;
    expect([rpn.posIouThr, rpn.negIouThr, rpn.minPosIou, rpn.matchLowQuality]).toEqual([0.7, 0.3, 0.3, true]);
    const rcnn = new MaxIoUAssigner(RCNN_ASSIGNER_OPTIONS).options;
    expect([rcnn.posIouThr, rcnn.negIouThr, rcnn.minPosIou, rcnn.matchLowQuality]).toEqual([0.5, 0.5, 0.5, false]);
  });
});

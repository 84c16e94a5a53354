/**
 * RetinaNet / FCOS building blocks against PyTorch / torchvision and faithful
 * re-implementations of mmdetection 3.x (test/fixtures/detection/make_detection_fixtures.py).
 * Integer results must be equal; float results within 1e-5·max(1, |expected|).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sortIndicesDescending } from '../src/core/torch_order.js';
import { tf } from '../src/core/tf.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import { AnchorGenerator } from '../src/models/task_modules/prior_generators/anchor_generator.js';
import { MlvlPointGenerator } from '../src/models/task_modules/prior_generators/point_generator.js';
import { bboxOverlaps } from '../src/structures/bbox/bbox_overlaps.js';
import { MaxIoUAssigner, type MaxIoUAssignerOptions } from '../src/models/task_modules/assigners/max_iou_assigner.js';
import { DeltaXYWHBBoxCoder } from '../src/models/task_modules/coders/delta_xywh_coder.js';
import { DistancePointBBoxCoder } from '../src/models/task_modules/coders/distance_point_coder.js';
import { FocalLoss, focalLossSpec, sigmoidFocalLoss } from '../src/losses/focal_loss.js';
import { L1Loss, SmoothL1Loss, l1Loss, l1LossSpec, smoothL1Loss, smoothL1LossSpec } from '../src/losses/smooth_l1_loss.js';
import { GIoULoss, giouLoss, giouLossElementwise, giouLossSpec } from '../src/losses/giou_loss.js';
import { bceWithLogits } from '../src/losses/bce_with_logits.js';
import { centernessTarget, fcosTargets, gatherRows } from '../src/models/task_modules/assigners/fcos_targets.js';
import { batchedNms, multiclassNmsPostprocess, nms, type LevelPredictions } from '../src/structures/bbox/nms.js';
import { TEST_BACKENDS, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/detection/detection_blocks.safetensors', import.meta.url).pathname;
const fx: Map<string, HostTensor> = readSafetensors(FIXTURE).tensors;

function get(name: string): HostTensor {
  const t = fx.get(name);
  if (t === undefined) throw new Error(`fixture tensor '${name}' missing`);
  return t;
}
const F = (name: string): Float32Array => get(name).data as Float32Array;
const I = (name: string): Int32Array => get(name).data as Int32Array;
const U8 = (name: string): Uint8Array => get(name).data as Uint8Array;
const T = (name: string): tf.Tensor => tf.tensor(F(name), get(name).shape, 'float32');
const scalarOf = (name: string): number => F(name)[0];

/** Asserts equal length and |a − e| ≤ atol·max(1, |e|) everywhere (NaN only where expected is NaN). */
function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-5): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      expect(Number.isNaN(a), `${what}[${i}] NaN mismatch`).toBe(Number.isNaN(e));
      continue;
    }
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative error ${worst} at ${at}`).toBeLessThanOrEqual(atol);
}

function expectEqualArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(Array.from(actual), what).toEqual(Array.from(expected));
}

/** Downloads and disposes. */
function take(t: tf.Tensor): Float32Array {
  const data = Float32Array.from(t.dataSync());
  t.dispose();
  return data;
}

/** Runs `fn` twice (disposing its outputs) and checks that no tensor is left behind. */
function expectNoLeak(what: string, fn: () => tf.Tensor | tf.Tensor[]): void {
  const run = (): void => tf.dispose(fn());
  const n0 = tf.memory().numTensors;
  run();
  const n1 = tf.memory().numTensors;
  run();
  const n2 = tf.memory().numTensors;
  expect([n1, n2], `${what} leaks tensors`).toEqual([n0, n0]);
}

const FEAT_SIZES: Array<[number, number]> = [];
{
  const s = I('anchors.featmap_sizes');
  for (let l = 0; l < s.length / 2; l++) FEAT_SIZES.push([s[2 * l], s[2 * l + 1]]);
}
const IMG: [number, number] = [72, 100];

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let k = 0;
  for (const a of arrays) {
    out.set(a, k);
    k += a.length;
  }
  return out;
}

/** The anchors of the 96×128 batch that are valid for the 72×100 image, as AnchorHead filters them. */
function validAnchors(): Float32Array {
  const gen = new AnchorGenerator();
  const anchors = concat(gen.gridAnchorsAll(FEAT_SIZES));
  const flags = gen.validFlagsAll(FEAT_SIZES, IMG).flatMap((f) => Array.from(f));
  const out: number[] = [];
  flags.forEach((v, i) => {
    if (v === 1) out.push(...anchors.subarray(4 * i, 4 * i + 4));
  });
  return Float32Array.from(out);
}

describe('AnchorGenerator (RetinaNet)', () => {
  const gen = new AnchorGenerator();

  it('base anchors equal mmdet bit for bit, 9 per level', () => {
    expect(gen.numBaseAnchors).toEqual([9, 9, 9, 9, 9]);
    for (let l = 0; l < 5; l++) expectEqualArray(gen.baseAnchors[l], F(`anchors.base.l${l}`), `base l${l}`);
  });

  it('grid anchors equal mmdet in order (location-major, base anchors inner)', () => {
    const grids = gen.gridAnchorsAll(FEAT_SIZES);
    for (let l = 0; l < 5; l++) expectEqualArray(grids[l], F(`anchors.grid.l${l}`), `grid l${l}`);
  });

  it('valid flags follow the pad shape', () => {
    const flags = gen.validFlagsAll(FEAT_SIZES, IMG);
    for (let l = 0; l < 5; l++) expectEqualArray(flags[l], U8(`anchors.valid.l${l}`), `valid l${l}`);
    expect(flags[0].includes(0)).toBe(true);
  });

  it('honours centerOffset, explicit octave settings and other ratios', () => {
    const g2 = new AnchorGenerator({ strides: [16], ratios: [0.5, 1], octaveBaseScale: 3, scalesPerOctave: 2, centerOffset: 0.5 });
    expectEqualArray(g2.gridAnchors(0, 3, 5), F('anchors.offset.grid'), 'offset grid');
  });

  it('rejects scales together with octave settings', () => {
    expect(() => new AnchorGenerator({ scales: [1, 2], octaveBaseScale: 4, scalesPerOctave: 3 })).toThrow(RangeError);
    expect(new AnchorGenerator({ scales: [8] }).numBaseAnchors[0]).toBe(3);
  });
});

describe('MlvlPointGenerator (FCOS)', () => {
  it('points at cell centres (offset 0.5), row-major', () => {
    const points = new MlvlPointGenerator().gridPointsAll(FEAT_SIZES);
    for (let l = 0; l < 5; l++) expectEqualArray(points[l], F(`points.l${l}`), `points l${l}`);
  });
  it('offset 0', () => {
    const [h, w] = FEAT_SIZES[1];
    expectEqualArray(new MlvlPointGenerator({ offset: 0 }).gridPoints(1, h, w), F('points.offset0.l1'), 'offset 0');
  });
  it('valid flags', () => {
    const flags = new MlvlPointGenerator().validFlags(0, 12, 16, IMG);
    expect(flags.reduce((a, b) => a + b, 0)).toBe(9 * 13);
  });
});

describe('bboxOverlaps', () => {
  it('IoU and IoF equal mmdet (touching, nested, zero-area, duplicate boxes)', () => {
    expectEqualArray(bboxOverlaps(F('overlaps.b1'), F('overlaps.b2')), F('overlaps.iou'), 'iou');
    expectEqualArray(bboxOverlaps(F('overlaps.b1'), F('overlaps.b2'), 'iof'), F('overlaps.iof'), 'iof');
    expectEqualArray(bboxOverlaps(F('overlaps.b2'), F('overlaps.b1'), 'iof'), F('overlaps.iof_rev'), 'iof reversed');
    const iou = bboxOverlaps(F('overlaps.b1'), F('overlaps.b2'));
    const n = F('overlaps.b2').length / 4;
    expect(iou[0 * n + 0]).toBe(1); // identical
    expect(iou[1 * n + 0]).toBe(0); // touching edge
    expect(iou[3 * n + 3]).toBe(0); // zero union → 0, not NaN
  });
  it('handles empty sets', () => {
    expect(bboxOverlaps(new Float32Array(0), F('overlaps.b2')).length).toBe(0);
  });
});

describe('MaxIoUAssigner', () => {
  const anchors = validAnchors();
  const gt = { bboxes: F('assign.gts'), labels: I('assign.gt_labels') };
  const ignore = F('assign.ignore');
  const cases: Array<[string, Partial<MaxIoUAssignerOptions>, boolean]> = [
    ['default', {}, false],
    ['ignore', { ignoreIofThr: 0.5 }, true],
    ['ignore_wrt_gt', { ignoreIofThr: 0.3, ignoreWrtCandidates: false }, true],
    ['assign_one', { gtMaxAssignAll: false }, false],
    ['min_pos_iou', { minPosIou: 0.3 }, false],
    ['no_low_quality', { matchLowQuality: false }, false],
    ['neg_range', { negIouThr: [0.1, 0.4] }, false],
  ];

  it('uses the valid anchors of the image', () => {
    expect(anchors.length / 4).toBe(I('assign.default.gt_inds').length);
  });

  for (const [name, options, withIgnore] of cases) {
    it(`assigns exactly as mmdet: ${name}`, () => {
      const r = new MaxIoUAssigner(options).assign(anchors, gt, withIgnore ? ignore : null);
      expectEqualArray(r.gtInds, I(`assign.${name}.gt_inds`), `${name} gt_inds`);
      expectEqualArray(r.labels, I(`assign.${name}.labels`), `${name} labels`);
      expectEqualArray(r.maxOverlaps, F(`assign.${name}.max_overlaps`), `${name} max_overlaps`);
    });
  }

  it('a tiny gt gets its low-quality match (and loses it without matchLowQuality)', () => {
    const withLq = new MaxIoUAssigner().assign(anchors, gt).gtInds;
    const withoutLq = new MaxIoUAssigner({ matchLowQuality: false }).assign(anchors, gt).gtInds;
    expect(withLq.includes(2)).toBe(true);
    expect(withoutLq.includes(2)).toBe(false);
  });

  it('empty gt: every anchor negative', () => {
    const r = new MaxIoUAssigner().assign(anchors, { bboxes: new Float32Array(0), labels: new Int32Array(0) });
    expectEqualArray(r.gtInds, I('assign.empty.gt_inds'), 'empty gt_inds');
    expectEqualArray(r.labels, I('assign.empty.labels'), 'empty labels');
  });

  it('a gt overlapping no anchor claims every zero-IoU anchor (mmdet quirk with minPosIou 0)', () => {
    const r = new MaxIoUAssigner().assign(F('assign.far.anchors'), { bboxes: F('assign.far.gts'), labels: Int32Array.from([4, 7]) });
    expectEqualArray(r.gtInds, I('assign.far.gt_inds'), 'far gt_inds');
    expectEqualArray(r.labels, I('assign.far.labels'), 'far labels');
    expectEqualArray(r.maxOverlaps, F('assign.far.max_overlaps'), 'far max_overlaps');
  });
});

describe('DeltaXYWHBBoxCoder.encode (host)', () => {
  it('default means/stds', () => {
    expectAllClose(new DeltaXYWHBBoxCoder().encode(F('coder.anchors'), F('coder.gts')), F('coder.encode.default'), 'encode');
  });
  it('custom means/stds', () => {
    const coder = new DeltaXYWHBBoxCoder({ targetMeans: [0.05, -0.02, 0, 0.1], targetStds: [0.1, 0.1, 0.2, 0.2] });
    expectAllClose(coder.encode(F('coder.anchors'), F('coder.gts')), F('coder.encode.stds'), 'encode stds');
  });
});

describe('FCOS targets (host)', () => {
  const points = new MlvlPointGenerator().gridPointsAll(FEAT_SIZES);
  const gt = { bboxes: F('fcos.gts'), labels: I('fcos.gt_labels') };
  const cases: Array<[string, { centerSampling?: boolean; normOnBbox?: boolean }]> = [
    ['plain', {}],
    ['center', { centerSampling: true }],
    ['center_norm', { centerSampling: true, normOnBbox: true }],
    ['norm', { normOnBbox: true }],
  ];
  for (const [name, options] of cases) {
    it(`labels, regression and centerness targets equal mmdet: ${name}`, () => {
      const t = fcosTargets(points, gt, { numClasses: 4, ...options });
      expectEqualArray(t.labels, I(`fcos.${name}.labels`), `${name} labels`);
      expectEqualArray(t.posInds, I(`fcos.${name}.pos_inds`), `${name} pos_inds`);
      expectEqualArray(t.bboxTargets, F(`fcos.${name}.bbox_targets`), `${name} bbox targets`);
      expectAllClose(centernessTarget(gatherRows(t.bboxTargets, t.posInds)), F(`fcos.${name}.centerness`), `${name} centerness`, 1e-6);
    });
  }

  it('a point covered by two gts takes the smaller one; equal areas go to the lower index', () => {
    const t = fcosTargets(points, gt, { numClasses: 4 });
    // Point (36, 36) of level 0 (x index 4, y index 4) lies in gts 0, 1, 4; gt 1 (label 0) is smallest, tied with gt 4.
    const idx = 4 * 16 + 4;
    expect([points[0][2 * idx], points[0][2 * idx + 1]]).toEqual([36, 36]);
    expect(t.labels[idx]).toBe(0);
    expectEqualArray(t.bboxTargets.subarray(4 * idx, 4 * idx + 4), [16, 12, 16, 20], 'targets to gt 1');
  });

  it('empty gt: all background, zero targets', () => {
    const t = fcosTargets(points, { bboxes: new Float32Array(0), labels: new Int32Array(0) }, { numClasses: 4 });
    expectEqualArray(t.labels, I('fcos.empty.labels'), 'empty labels');
    expectEqualArray(t.bboxTargets, F('fcos.empty.bbox_targets'), 'empty targets');
    expect(t.posInds.length).toBe(0);
  });
});

describe('NMS (host)', () => {
  it('sort order equals PyTorch CPU sort on ties (unstable for > 16 elements)', () => {
    expectEqualArray(sortIndicesDescending(F('sort.values')), I('sort.order'), 'sort order');
    expectEqualArray(sortIndicesDescending([1, 1, 1, 2]), [3, 0, 1, 2], 'small stable');
  });
  it('nms equals torchvision', () => {
    expectEqualArray(nms(F('nms.single.boxes'), F('nms.single.scores'), 0.45), I('nms.single.keep'), 'nms');
  });
  for (const [name, iou] of [
    ['small', 0.5],
    ['mid', 0.5],
    ['mid_iou03', 0.3],
    ['large', 0.5],
  ] as const) {
    it(`batchedNms equals torchvision: ${name}`, () => {
      const keep = batchedNms(F(`nms.${name}.boxes`), F(`nms.${name}.scores`), I(`nms.${name}.labels`), iou);
      expectEqualArray(keep, I(`nms.${name}.keep`), `${name} keep`);
    });
  }
  it('empty input', () => {
    expect(batchedNms(new Float32Array(0), new Float32Array(0), new Int32Array(0), 0.5).length).toBe(0);
  });
});

describe('loss specs', () => {
  it('expose mmdet names and defaults', () => {
    expect(focalLossSpec.name).toBe('FocalLoss');
    expect(focalLossSpec.defaults).toEqual({ useSigmoid: true, gamma: 2, alpha: 0.25, reduction: 'mean', lossWeight: 1 });
    expect(l1LossSpec.name).toBe('L1Loss');
    expect(smoothL1LossSpec.name).toBe('SmoothL1Loss');
    expect(smoothL1LossSpec.defaults.beta).toBe(1);
    expect(giouLossSpec.name).toBe('GIoULoss');
    expect(giouLossSpec.defaults.eps).toBe(1e-6);
    expect(focalLossSpec.build({ ...focalLossSpec.defaults }, undefined, 'x')).toBeInstanceOf(FocalLoss);
    const bad = { ...l1LossSpec.defaults, reduction: 'avg' as 'mean' };
    expect(() => l1LossSpec.build(bad, undefined, 'x')).toThrow(/reduction/);
    expect(() => smoothL1LossSpec.build({ ...smoothL1LossSpec.defaults, beta: 0 }, undefined, 'x')).toThrow(/beta/);
  });
});

describe.each(TEST_BACKENDS)('tfjs parts on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const grad1 = (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): Float32Array => take(tf.grad(f)(x));

  describe('DeltaXYWHBBoxCoder.decode', () => {
    const cases: Array<[string, ConstructorParameters<typeof DeltaXYWHBBoxCoder>[0], [number, number] | null]> = [
      ['default', {}, null],
      ['clip', {}, IMG],
      ['stds', { targetMeans: [0.05, -0.02, 0, 0.1], targetStds: [0.1, 0.1, 0.2, 0.2] }, IMG],
      ['ctr_clamp', { addCtrClamp: true, ctrClamp: 32 }, IMG],
    ];
    for (const [name, options, maxShape] of cases) {
      it(name, () => {
        const coder = new DeltaXYWHBBoxCoder(options);
        const priors = T('coder.anchors') as tf.Tensor2D;
        const deltas = T('coder.deltas') as tf.Tensor2D;
        expectAllClose(take(coder.decode(priors, deltas, maxShape)), F(`coder.decode.${name}`), `decode ${name}`);
        const host = coder.decodeHost(F('coder.anchors'), F('coder.deltas'), maxShape);
        expectAllClose(host, F(`coder.decode.${name}`), `decodeHost ${name}`);
        expectNoLeak(`decode ${name}`, () => coder.decode(priors, deltas, maxShape));
        tf.dispose([priors, deltas]);
      });
    }
    it('decodes C boxes per prior', () => {
      const coder = new DeltaXYWHBBoxCoder();
      const d = F('coder.deltas').subarray(0, 20);
      const priors = tf.tensor2d(F('coder.anchors').subarray(0, 8), [2, 4]);
      const out = take(coder.decode(priors, tf.tensor2d(d.subarray(0, 16), [2, 8])));
      const ref = F('coder.decode.default');
      // Class 0 of prior 0 uses deltas 0..3 with prior 0, class 1 uses deltas 4..7 with prior 0 again.
      expectAllClose(out.subarray(0, 4), ref.subarray(0, 4), 'class 0');
      expect(out.length).toBe(16);
      priors.dispose();
    });
  });

  describe('DistancePointBBoxCoder.decode', () => {
    it('equals mmdet distance2bbox with clipping', () => {
      const pts = T('pp.fcos.priors.l0') as tf.Tensor2D;
      const dist = T('pp.fcos.dist.l0') as tf.Tensor2D;
      const coder = new DistancePointBBoxCoder();
      expectAllClose(take(coder.decode(pts, dist, [40, 56])), F('pp.fcos.decoded'), 'distance decode');
      expectNoLeak('distance decode', () => coder.decode(pts, dist, [40, 56]));
      tf.dispose([pts, dist]);
    });
  });

  describe('losses and gradients', () => {
    it('sigmoidFocalLoss (α 0.25, γ 2) equals torchvision, sum', () => {
      const x = T('focal.logits');
      const t = T('focal.targets') as tf.Tensor2D;
      const f = (v: tf.Tensor): tf.Tensor => sigmoidFocalLoss(v as tf.Tensor2D, t);
      expectAllClose(take(f(x)), [scalarOf('focal.sum')], 'focal sum');
      expectAllClose(grad1(f, x), F('focal.grad'), 'focal grad');
      const g = (v: tf.Tensor): tf.Tensor => sigmoidFocalLoss(v as tf.Tensor2D, t, { alpha: 0.5, gamma: 1.5 });
      expectAllClose(take(g(x)), [scalarOf('focal.a05g15.sum')], 'focal α0.5 γ1.5 sum');
      expectAllClose(grad1(g, x), F('focal.a05g15.grad'), 'focal α0.5 γ1.5 grad');
      expectNoLeak('focal', () => f(x));
      expectNoLeak('focal grad', () => tf.grad(f)(x));
      tf.dispose([x, t]);
    });

    it('FocalLoss module: labels with background = K, per-prior weight, avgFactor, lossWeight', () => {
      const x = T('focal.logits');
      const labels = tf.tensor1d(I('focal.labels'), 'int32');
      const weight = T('focal.weight');
      const loss = new FocalLoss({ ...focalLossSpec.defaults, lossWeight: 0.7 });
      const f = (v: tf.Tensor): tf.Tensor => loss.forward(v as tf.Tensor2D, labels, { weight, avgFactor: 5 });
      expectAllClose(take(f(x)), [scalarOf('focal.mmdet')], 'FocalLoss');
      expectAllClose(grad1(f, x), F('focal.mmdet.grad'), 'FocalLoss grad');
      const onehot = T('focal.targets') as tf.Tensor2D;
      const viaOneHot = take(loss.forward(x as tf.Tensor2D, onehot, { weight, avgFactor: 5 }));
      expectAllClose(viaOneHot, [scalarOf('focal.mmdet')], 'FocalLoss one-hot');
      expectNoLeak('FocalLoss', () => f(x));
      tf.dispose([x, labels, weight, onehot]);
    });

    it('l1Loss and smoothL1Loss (β 1 and 1/9) equal torch, gradient 0 where pred = target', () => {
      const p = T('reg.pred');
      const t = T('reg.target');
      const fns: Array<[string, (v: tf.Tensor) => tf.Tensor]> = [
        ['l1', (v) => l1Loss(v, t)],
        ['smooth_l1_b1', (v) => smoothL1Loss(v, t, 1)],
        ['smooth_l1_b19', (v) => smoothL1Loss(v, t, 1 / 9)],
      ];
      for (const [name, f] of fns) {
        expectAllClose(take(f(p)), [scalarOf(`${name}.sum`)], `${name} sum`);
        const g = grad1(f, p);
        expectAllClose(g, F(`${name}.grad`), `${name} grad`);
        expect(g[0], `${name} grad at |d| = 0`).toBe(0);
        expectNoLeak(name, () => f(p));
      }
      tf.dispose([p, t]);
    });

    it('L1Loss / SmoothL1Loss modules with weights and avgFactor', () => {
      const p = T('reg.pred');
      const t = T('reg.target');
      const weight = T('reg.weight');
      const loss = new L1Loss({ ...l1LossSpec.defaults, lossWeight: 2 });
      const f = (v: tf.Tensor): tf.Tensor => loss.forward(v, t, { weight, avgFactor: 4 });
      expectAllClose(take(f(p)), [scalarOf('l1.mmdet')], 'L1Loss');
      expectAllClose(grad1(f, p), F('l1.mmdet.grad'), 'L1Loss grad');
      const sl1 = new SmoothL1Loss({ ...smoothL1LossSpec.defaults, beta: 1 / 9, reduction: 'sum' });
      expectAllClose(take(sl1.forward(p, t)), [scalarOf('smooth_l1_b19.sum')], 'SmoothL1Loss sum');
      expect(() => sl1.forward(p, t, { avgFactor: 3 })).toThrow(RangeError);
      expectNoLeak('L1Loss', () => f(p));
      tf.dispose([p, t, weight]);
    });

    it('giouLoss equals mmdet GIoU (cross-checked with torchvision), incl. disjoint and nested boxes', () => {
      const p = T('giou.pred') as tf.Tensor2D;
      const t = T('giou.target') as tf.Tensor2D;
      expectAllClose(take(giouLossElementwise(p, t)), F('giou.elem'), 'giou elementwise');
      const f = (v: tf.Tensor): tf.Tensor => giouLoss(v as tf.Tensor2D, t);
      expectAllClose(take(f(p)), [scalarOf('giou.sum')], 'giou sum');
      expectAllClose(grad1(f, p), F('giou.grad'), 'giou grad');
      expectNoLeak('giou', () => f(p));
      expectNoLeak('giou grad', () => tf.grad(f)(p));
      tf.dispose([p, t]);
    });

    it('GIoULoss module with centerness-style weights and avgFactor', () => {
      const p = T('giou.pred') as tf.Tensor2D;
      const t = T('giou.target') as tf.Tensor2D;
      const weight = T('giou.weight');
      const wsum = F('giou.weight').reduce((a, b) => a + b, 0);
      const loss = new GIoULoss({ ...giouLossSpec.defaults, lossWeight: 1.5 });
      const f = (v: tf.Tensor): tf.Tensor => loss.forward(v as tf.Tensor2D, t, { weight, avgFactor: Math.fround(wsum) });
      expectAllClose(take(f(p)), [scalarOf('giou.mmdet')], 'GIoULoss');
      expectAllClose(grad1(f, p), F('giou.mmdet.grad'), 'GIoULoss grad');
      const zeros = tf.zeros([8]);
      expect(take(loss.forward(p, t, { weight: zeros }))[0]).toBe(0);
      expectNoLeak('GIoULoss', () => f(p));
      tf.dispose([p, t, weight, zeros]);
    });

    it('bceWithLogits equals torch, exact gradient at logit 0', () => {
      const x = T('bce.logits');
      const t = T('bce.targets');
      const f = (v: tf.Tensor): tf.Tensor => bceWithLogits(v, t);
      expectAllClose(take(f(x)), [scalarOf('bce.sum')], 'bce sum');
      expectAllClose(grad1(f, x), F('bce.grad'), 'bce grad');
      expectNoLeak('bce', () => f(x));
      expectNoLeak('bce grad', () => tf.grad(f)(x));
      tf.dispose([x, t]);
    });
  });

  describe('multiclassNmsPostprocess', () => {
    const levels = (kind: 'retina' | 'fcos'): LevelPredictions[] =>
      [0, 1].map((l) => ({
        scores: F(`pp.${kind}.scores.l${l}`),
        bboxPreds: F(kind === 'retina' ? `pp.retina.deltas.l${l}` : `pp.fcos.dist.l${l}`),
        priors: F(`pp.${kind}.priors.l${l}`),
        scoreFactors: kind === 'fcos' ? F(`pp.fcos.centerness.l${l}`) : null,
      }));
    const shape: [number, number] = [40, 56];

    for (const [name, nmsPre, maxPerImg] of [
      ['a', 60, 100],
      ['b', 1000, 12],
    ] as const) {
      it(`RetinaNet-style (anchors + deltas), nmsPre ${nmsPre}, maxPerImg ${maxPerImg}`, () => {
        const coder = new DeltaXYWHBBoxCoder();
        const before = tf.memory().numTensors;
        const det = multiclassNmsPostprocess(levels('retina'), 3, (p, d) => coder.decodeHost(p, d, shape), {
          nmsPre,
          maxPerImg,
        });
        expect(tf.memory().numTensors).toBe(before);
        expectEqualArray(det.labels, I(`pp.retina.${name}.labels`), 'labels');
        expectEqualArray(det.scores, F(`pp.retina.${name}.scores`), 'scores');
        expectAllClose(det.bboxes, F(`pp.retina.${name}.bboxes`), 'bboxes');
      });
    }

    it('FCOS-style (points + distances, centerness factors, zero-width box dropped)', () => {
      const coder = new DistancePointBBoxCoder();
      const det = multiclassNmsPostprocess(levels('fcos'), 3, (p, d) => coder.decodeHost(p, d, shape), { nmsPre: 30 });
      expectEqualArray(det.labels, I('pp.fcos.labels'), 'labels');
      expectAllClose(det.scores, F('pp.fcos.scores'), 'scores', 1e-6);
      expectAllClose(det.bboxes, F('pp.fcos.bboxes'), 'bboxes');
      // Without the size filter the zero-width candidate (two classes) survives.
      const all = multiclassNmsPostprocess(levels('fcos'), 3, (p, d) => coder.decodeHost(p, d, shape), {
        nmsPre: 30,
        minBboxSize: -1,
      });
      expect(all.scores.length).toBe(det.scores.length + 2);
    });

    it('nothing above the score threshold gives no detections', () => {
      const det = multiclassNmsPostprocess(levels('retina'), 3, () => new Float32Array(0), { scoreThr: 1 });
      expect(det.scores.length).toBe(0);
    });
  });
});

/**
 * StandardRoIHead (Shared2FCBBoxHead + FCNMaskHead) against torchvision 0.14's Mask R-CNN
 * `roi_heads` (test/fixtures/twostage/make_roi_head_fixtures.py): the same FPN features, proposals
 * and weights (torchvision keys converted by `mapTorchvisionRoIHeadKey`), compared within 1e-4 —
 * box-head logits and deltas, mask logits, final detections, and the training losses on
 * torchvision's own sampled RoIs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { HEADS } from '../src/registry/registries.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import { mapTorchvisionRoIHeadKey } from '../src/checkpoint/convert/rcnn_roi_head_layouts.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { DataSample } from '../src/structures/data_sample.js';
import type { SamplingResult } from '../src/models/task_modules/samplers/random_sampler.js';
import { StandardRoIHead } from '../src/heads/detection/roi/standard_roi_head.js';
import { isRoIHead } from '../src/heads/detection/roi/roi_head.js';
import { MMDET_MASK_RCNN_ROI_HEAD, TORCHVISION_MASK_RCNN_ROI_HEAD } from '../src/heads/detection/roi/roi_head_presets.js';
import type { ConfigObject } from '../src/registry/options.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/twostage/roi_head.safetensors', import.meta.url).pathname;
const META = readSafetensors(FIXTURE).metadata;
const WEIGHTS = JSON.parse(META.weights) as Array<[string, number[], number, number]>;
const [H, W] = JSON.parse(META.image_shape) as [number, number];
const K = Number(META.num_classes) - 1; // torchvision counts the background
/** The full comparison runs where convolutions are fast; the cpu backend checks a slice below. */
const FULL_BACKENDS = TEST_BACKENDS.filter((b) => b !== 'cpu');
const INPUTS: FeatureSpec[] = [4, 8, 16, 32, 64].map((stride, i) => ({ name: `p${i + 2}`, channels: 256, stride }));

/** The fixture script's `hash_uniform`, bit for bit. */
function hashUniform(count: number, seed: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  const s = Math.imul(seed, 0x85ebca77) >>> 0;
  const b = Math.fround(bound);
  for (let i = 0; i < count; i++) {
    let x = (Math.imul(i, 0x9e3779b9) + s) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    const u = (x >>> 8) / 16777216;
    out[i] = Math.fround((u * 2 - 1) * b);
  }
  return out;
}

/** torchvision's roi_heads state dict, regenerated and converted to our names (relative to the RoI head). */
function convertedWeights(): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, shape, seed, bound] of WEIGHTS) {
    const count = shape.reduce((a, b) => a * b, 1);
    const host: HostTensor = { dtype: 'float32', shape, data: hashUniform(count, seed, bound) };
    const m = mapTorchvisionRoIHeadKey(name, host, '');
    if (m === null || !('to' in m)) throw new Error(`${name} not mapped`);
    const t = m.tensor ?? host;
    out.set(m.to, tf.tensor(t.data as Float32Array, t.shape, 'float32'));
  }
  return out;
}

function buildHead(preset: ConfigObject = TORCHVISION_MASK_RCNN_ROI_HEAD): StandardRoIHead {
  const head = HEADS.build({ ...preset, numClasses: K }, { inputs: INPUTS, numClasses: null }, 'model.roiHead');
  if (!(head instanceof StandardRoIHead)) throw new Error('not a StandardRoIHead');
  const weights = convertedWeights();
  const report = head.loadStateDict(weights, { strict: true, source: 'roi_head fixture' });
  tf.dispose([...weights.values()]);
  expect(report.missing).toEqual([]);
  return head.eval();
}

function hostOf(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

describe.each(FULL_BACKENDS)('StandardRoIHead equals torchvision 0.14 Mask R-CNN roi_heads on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  let head: StandardRoIHead;
  let feats: tf.Tensor4D[];
  const sample: DataSample = { imgPath: 'fixture', oriShape: [H, W], imgShape: [H, W], scaleFactor: [1, 1], flip: false };

  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
    head = buildHead();
    feats = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `feat${i}`)));
  });
  afterAll(() => {
    tf.dispose([...fx.values(), ...feats]);
    head.dispose();
  });

  it('is a RoIHead with mmdet state-dict names', () => {
    expect(isRoIHead(head)).toBe(true);
    expect(head.withMask).toBe(true);
    const names = head.namedParameters().map(([n]) => n);
    expect(names).toContain('bbox_head.shared_fcs.0.weight');
    expect(names).toContain('mask_head.convs.3.conv.weight');
    expect(names).toContain('mask_head.upsample.weight');
    expect(names).toContain('mask_head.conv_logits.weight');
  });

  it("maps proposals to torchvision's FPN levels", () => {
    const props = hostOf(fixture(fx, 'proposals'));
    const rois = new Float32Array((props.length / 4) * 5);
    for (let i = 0; i < props.length / 4; i++) rois.set([0, ...props.subarray(i * 4, i * 4 + 4)], i * 5);
    const levels = head.bboxRoiExtractor.mapRoiLevels(rois, 4);
    const expected = hostOf(fixture(fx, 'levels'));
    expect([...levels]).toEqual([...expected]);
    expect(new Set(levels).size).toBe(4); // every level is exercised
  });

  it('box head: class logits and box regression on fixed proposals within 1e-4', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const props = fixture(fx, 'proposals') as tf.Tensor2D;
      const rois = tf.concat([tf.zeros([props.shape[0], 1]), props], 1) as tf.Tensor2D;
      const { clsScore, bboxPred } = head.forwardBBox(feats, rois);
      const tvLogits = fixture(fx, 'class_logits');
      // torchvision: background first; ours: background last.
      expectClose(clsScore, tf.concat([tvLogits.slice([0, 1], [-1, K]), tvLogits.slice([0, 0], [-1, 1])], 1), 1e-4, 'class logits');
      // torchvision regresses the background too (its first 4 columns).
      expectClose(bboxPred, fixture(fx, 'box_regression').slice([0, 4], [-1, 4 * K]), 1e-4, 'box regression');
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mask head: mask logits on fixed boxes within 1e-4', () => {
    tf.tidy(() => {
      const boxes = fixture(fx, 'mask_boxes') as tf.Tensor2D;
      const rois = tf.concat([tf.zeros([boxes.shape[0], 1]), boxes], 1) as tf.Tensor2D;
      const logits = head.forwardMask(feats, rois); // [M, 28, 28, K]
      const tv = nhwc(fixture(fx, 'mask_logits')).slice([0, 0, 0, 1], [-1, -1, -1, K]);
      expectClose(logits, tv, 1e-4, 'mask logits');
    });
  });

  it('final detections (boxes, scores, labels, 28x28 mask probabilities) within 1e-4 where scores are not tied', async () => {
    const props = hostOf(fixture(fx, 'proposals'));
    const before = tf.memory().numTensors;
    const [pred] = await head.predictBBoxes(feats, [{ bboxes: props }], [sample], false);
    expect(tf.memory().numTensors).toBe(before);
    const tvBoxes = hostOf(fixture(fx, 'det_boxes'));
    const tvScores = hostOf(fixture(fx, 'det_scores'));
    const tvLabels = hostOf(fixture(fx, 'det_labels'));
    const d = tvScores.length;
    expect(d).toBeGreaterThan(10);
    expect(pred.scores.length).toBe(d);
    let compared = 0;
    for (let i = 0; i < d; i++) {
      const gap = Math.min(i > 0 ? tvScores[i - 1] - tvScores[i] : Infinity, i + 1 < d ? tvScores[i] - tvScores[i + 1] : Infinity);
      if (gap <= 1e-4) continue; // tied within the tolerance: the order may differ
      compared++;
      expect(Math.abs(pred.scores[i] - tvScores[i]), `score ${i}`).toBeLessThanOrEqual(1e-4);
      expect(pred.labels[i], `label ${i}`).toBe(tvLabels[i] - 1);
      for (let c = 0; c < 4; c++) expect(Math.abs(pred.bboxes[i * 4 + c] - tvBoxes[i * 4 + c]), `box ${i}[${c}]`).toBeLessThanOrEqual(1e-4);
    }
    expect(compared).toBeGreaterThan(d / 2);
    // The 28x28 probabilities torchvision returns before pasting (maskrcnn_inference).
    tf.tidy(() => {
      const rois = tf.tensor2d(
        Float32Array.from({ length: d * 5 }, (_, j) => (j % 5 === 0 ? 0 : pred.bboxes[Math.floor(j / 5) * 4 + (j % 5) - 1])),
        [d, 5],
      );
      const mask = head.maskHead;
      if (mask === null) throw new Error('no mask head');
      const probs = tf.sigmoid(mask.selectClass(head.forwardMask(feats, rois), pred.labels));
      expectClose(probs, fixture(fx, 'det_masks'), 1e-4, 'mask probabilities');
    });
  });

  it('predict: the same boxes with pasted masks, rescaled to the original image, no tensor leak', async () => {
    const props = hostOf(fixture(fx, 'proposals')).slice(0, 6 * 4);
    const scaled: DataSample = { ...sample, oriShape: [H * 2, W * 2], scaleFactor: [0.5, 0.5] };
    const [boxesOnly] = await head.predictBBoxes(feats, [{ bboxes: props }], [scaled], true);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 2; step++) {
      const [pred] = await head.predict(feats, [{ bboxes: props }], [scaled]);
      expect(tf.memory().numTensors).toBe(before);
      const d = pred.scores.length;
      expect(d).toBeGreaterThan(0);
      expect([...pred.labels]).toEqual([...boxesOnly.labels]);
      for (let i = 0; i < d * 4; i++) expect(Math.abs(pred.bboxes[i] - boxesOnly.bboxes[i])).toBeLessThanOrEqual(1e-4);
      const masks = pred.masks;
      if (masks === undefined) throw new Error('no masks');
      expect([masks.count, masks.height, masks.width]).toEqual([d, H * 2, W * 2]);
      expect(masks.data.length).toBe(d * H * 2 * W * 2);
      // Every mask lies inside its box grown by 1 pixel (mmdet's paste region).
      let outside = 0;
      let inside = 0;
      for (let i = 0; i < d; i++) {
        const [x1, y1, x2, y2] = pred.bboxes.subarray(i * 4, i * 4 + 4);
        for (let y = 0; y < H * 2; y++) {
          for (let x = 0; x < W * 2; x++) {
            if (masks.data[(i * H * 2 + y) * W * 2 + x] === 0) continue;
            if (x >= Math.floor(x1) - 1 && x < Math.ceil(x2) + 1 && y >= Math.floor(y1) - 1 && y < Math.ceil(y2) + 1) inside++;
            else outside++;
          }
        }
      }
      expect(outside).toBe(0);
      expect(inside).toBeGreaterThan(0);
    }
  });

  it("training losses on torchvision's sampled RoIs equal fastrcnn_loss and maskrcnn_loss within 1e-4", () => {
    const rois = hostOf(fixture(fx, 'train_rois'));
    const labels = hostOf(fixture(fx, 'train_labels'));
    const matched = hostOf(fixture(fx, 'train_matched'));
    const gtBoxes = hostOf(fixture(fx, 'gt_boxes'));
    const gtLabels = Int32Array.from(hostOf(fixture(fx, 'gt_labels')), (l) => l - 1);
    const gtMasks = fixture(fx, 'gt_masks');
    const pos: number[] = [];
    const neg: number[] = [];
    labels.forEach((l, i) => (l > 0 ? pos : neg).push(i));
    expect(pos.length).toBeGreaterThan(0);
    const posAssigned = Int32Array.from(pos, (i) => matched[i]);
    const result: SamplingResult = {
      posInds: Int32Array.from(pos),
      negInds: Int32Array.from(neg),
      priors: rois,
      posAssignedGtInds: posAssigned,
      posGtBboxes: Float32Array.from([...posAssigned].flatMap((g) => [...gtBoxes.subarray(g * 4, g * 4 + 4)])),
      posGtLabels: Int32Array.from(posAssigned, (g) => gtLabels[g]),
      gtFlags: new Uint8Array(rois.length / 4),
    };
    const withGt: DataSample = {
      ...sample,
      gtInstances: {
        bboxes: gtBoxes,
        labels: gtLabels,
        masks: { data: Uint8Array.from(hostOf(gtMasks)), count: gtMasks.shape[0], height: H, width: W },
      },
    };
    // Regression targets of the positives: our coder (stds 0.1, 0.1, 0.2, 0.2) vs torchvision's BoxCoder (weights 10, 10, 5, 5).
    const targets = head.bboxHead.getTargets([result]);
    const tvTargets = hostOf(fixture(fx, 'train_reg_targets'));
    pos.forEach((i, j) => {
      for (let c = 0; c < 4; c++) expect(Math.abs(targets.posTargets[j * 4 + c] - tvTargets[i * 4 + c]), `target ${i}[${c}]`).toBeLessThanOrEqual(1e-4);
    });
    head.train();
    try {
      const before = tf.memory().numTensors;
      for (let step = 0; step < 2; step++) {
        const losses = head.lossFromSampling(feats, [result], [withGt]);
        expect(Object.keys(losses).sort()).toEqual(['loss_bbox', 'loss_cls', 'loss_mask']);
        const v = (k: string): number => losses[k].dataSync()[0];
        expect(Math.abs(v('loss_cls') - hostOf(fixture(fx, 'loss_classifier'))[0])).toBeLessThanOrEqual(1e-4);
        expect(Math.abs(v('loss_bbox') - hostOf(fixture(fx, 'loss_box_reg'))[0])).toBeLessThanOrEqual(1e-4);
        expect(Math.abs(v('loss_mask') - hostOf(fixture(fx, 'loss_mask'))[0])).toBeLessThanOrEqual(1e-4);
        tf.dispose(Object.values(losses));
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      head.eval();
    }
  });
});

describe.skipIf(!TEST_BACKENDS.includes('cpu'))('StandardRoIHead equals torchvision on cpu (a slice: 6 proposals, 1 mask box)', () => {
  let fx: Map<string, tf.Tensor>;
  let head: StandardRoIHead;
  let feats: tf.Tensor4D[];
  beforeAll(async () => {
    await useBackend('cpu');
    fx = loadFixture(FIXTURE);
    head = buildHead();
    feats = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `feat${i}`)));
  });
  afterAll(() => {
    tf.dispose([...fx.values(), ...feats]);
    head.dispose();
  });

  it('box logits and deltas of proposals on every level, mask logits of one box, within 1e-4', () => {
    tf.tidy(() => {
      const levels = hostOf(fixture(fx, 'levels'));
      const pick: number[] = [];
      for (let l = 0; l < 4; l++) pick.push(...[...levels.keys()].filter((i) => levels[i] === l).slice(0, l === 0 ? 3 : 1));
      const idx = tf.tensor1d(pick, 'int32');
      const props = tf.gather(fixture(fx, 'proposals'), idx) as tf.Tensor2D;
      const rois = tf.concat([tf.zeros([pick.length, 1]), props], 1) as tf.Tensor2D;
      const { clsScore, bboxPred } = head.forwardBBox(feats, rois);
      const tvLogits = tf.gather(fixture(fx, 'class_logits'), idx);
      expectClose(clsScore, tf.concat([tvLogits.slice([0, 1], [-1, K]), tvLogits.slice([0, 0], [-1, 1])], 1), 1e-4, 'class logits');
      expectClose(bboxPred, tf.gather(fixture(fx, 'box_regression'), idx).slice([0, 4], [-1, 4 * K]), 1e-4, 'box regression');
      const box = fixture(fx, 'mask_boxes').slice([0, 0], [1, 4]);
      const logits = head.forwardMask(feats, tf.concat([tf.zeros([1, 1]), box], 1) as tf.Tensor2D);
      expectClose(logits, nhwc(fixture(fx, 'mask_logits').slice([0, 0, 0, 0], [1, -1, -1, -1])).slice([0, 0, 0, 1], [-1, -1, -1, K]), 1e-4, 'mask logits');
    });
  });
});

const MMDET_FIXTURE = new URL('./fixtures/twostage/roi_head_mmdet.safetensors', import.meta.url).pathname;

describe.each(FULL_BACKENDS)('StandardRoIHead with mmdet Mask R-CNN settings equals a re-implementation of mmdet 3.x on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  let ref: Map<string, tf.Tensor>;
  let head: StandardRoIHead;
  let feats: tf.Tensor4D[];
  const sample: DataSample = { imgPath: 'fixture', oriShape: [H, W], imgShape: [H, W], scaleFactor: [1, 1], flip: false };

  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
    ref = loadFixture(MMDET_FIXTURE);
    head = buildHead(MMDET_MASK_RCNN_ROI_HEAD);
    feats = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `feat${i}`)));
  });
  afterAll(() => {
    tf.dispose([...fx.values(), ...ref.values(), ...feats]);
    head.dispose();
  });

  it('levels, box logits and deltas, mask logits within 1e-4', () => {
    const props = hostOf(fixture(fx, 'proposals'));
    const rois = new Float32Array((props.length / 4) * 5);
    for (let i = 0; i < props.length / 4; i++) rois.set([0, ...props.subarray(i * 4, i * 4 + 4)], i * 5);
    expect([...head.bboxRoiExtractor.mapRoiLevels(rois, 4)]).toEqual([...hostOf(fixture(ref, 'levels'))]);
    tf.tidy(() => {
      const { clsScore, bboxPred } = head.forwardBBox(feats, tf.tensor2d(rois, [rois.length / 5, 5]));
      expectClose(clsScore, fixture(ref, 'cls_score'), 1e-4, 'cls_score');
      expectClose(bboxPred, fixture(ref, 'bbox_pred'), 1e-4, 'bbox_pred');
      const boxes = fixture(fx, 'mask_boxes') as tf.Tensor2D;
      const logits = head.forwardMask(feats, tf.concat([tf.zeros([boxes.shape[0], 1]), boxes], 1) as tf.Tensor2D);
      expectClose(logits, nhwc(fixture(ref, 'mask_logits')), 1e-4, 'mask logits');
    });
  });

  it('detections (multiclass_nms) and their mask probabilities within 1e-4 where scores are not tied', async () => {
    const [pred] = await head.predictBBoxes(feats, [{ bboxes: hostOf(fixture(fx, 'proposals')) }], [sample], false);
    const refScores = hostOf(fixture(ref, 'det_scores'));
    const refBoxes = hostOf(fixture(ref, 'det_boxes'));
    const refLabels = hostOf(fixture(ref, 'det_labels'));
    const d = refScores.length;
    expect(d).toBeGreaterThan(10);
    expect(pred.scores.length).toBe(d);
    let compared = 0;
    for (let i = 0; i < d; i++) {
      const gap = Math.min(i > 0 ? refScores[i - 1] - refScores[i] : Infinity, i + 1 < d ? refScores[i] - refScores[i + 1] : Infinity);
      if (gap <= 1e-4) continue;
      compared++;
      expect(Math.abs(pred.scores[i] - refScores[i]), `score ${i}`).toBeLessThanOrEqual(1e-4);
      expect(pred.labels[i], `label ${i}`).toBe(refLabels[i]);
      for (let c = 0; c < 4; c++) expect(Math.abs(pred.bboxes[i * 4 + c] - refBoxes[i * 4 + c]), `box ${i}[${c}]`).toBeLessThanOrEqual(1e-4);
    }
    expect(compared).toBeGreaterThan(d / 2);
    tf.tidy(() => {
      const rois = tf.tensor2d(
        Float32Array.from({ length: d * 5 }, (_, j) => (j % 5 === 0 ? 0 : pred.bboxes[Math.floor(j / 5) * 4 + (j % 5) - 1])),
        [d, 5],
      );
      const mask = head.maskHead;
      if (mask === null) throw new Error('no mask head');
      expectClose(tf.sigmoid(mask.selectClass(head.forwardMask(feats, rois), pred.labels)), fixture(ref, 'det_masks'), 1e-4, 'mask probabilities');
    });
  });

  it('loss_cls, loss_bbox (L1) and loss_mask (aligned, binarised targets) on the same sampled RoIs within 1e-4', () => {
    const rois = hostOf(fixture(fx, 'train_rois'));
    const labels = hostOf(fixture(fx, 'train_labels'));
    const matched = hostOf(fixture(fx, 'train_matched'));
    const gtBoxes = hostOf(fixture(fx, 'gt_boxes'));
    const gtLabels = Int32Array.from(hostOf(fixture(fx, 'gt_labels')), (l) => l - 1);
    const gtMasks = fixture(fx, 'gt_masks');
    const pos: number[] = [];
    const neg: number[] = [];
    labels.forEach((l, i) => (l > 0 ? pos : neg).push(i));
    const posAssigned = Int32Array.from(pos, (i) => matched[i]);
    const result: SamplingResult = {
      posInds: Int32Array.from(pos),
      negInds: Int32Array.from(neg),
      priors: rois,
      posAssignedGtInds: posAssigned,
      posGtBboxes: Float32Array.from([...posAssigned].flatMap((g) => [...gtBoxes.subarray(g * 4, g * 4 + 4)])),
      posGtLabels: Int32Array.from(posAssigned, (g) => gtLabels[g]),
      gtFlags: new Uint8Array(rois.length / 4),
    };
    const withGt: DataSample = {
      ...sample,
      gtInstances: { bboxes: gtBoxes, labels: gtLabels, masks: { data: Uint8Array.from(hostOf(gtMasks)), count: gtMasks.shape[0], height: H, width: W } },
    };
    const losses = head.lossFromSampling(feats, [result], [withGt]);
    for (const k of ['loss_cls', 'loss_bbox', 'loss_mask']) {
      expect(Math.abs(losses[k].dataSync()[0] - hostOf(fixture(ref, k))[0]), k).toBeLessThanOrEqual(1e-4);
    }
    tf.dispose(Object.values(losses));
  });
});

/**
 * StandardRoIHead end to end at small widths (config building and its errors, assignment +
 * sampling + losses, gradients, leaks), the R-CNN post-processing rules, and the torchvision
 * `roi_heads.*` key mapping. Numerical parity with torchvision is in roi_head_parity.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { HEADS } from '../src/registry/registries.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import type { ConfigObject } from '../src/registry/options.js';
import type { DataSample } from '../src/structures/data_sample.js';
import { StandardRoIHead } from '../src/heads/detection/roi/standard_roi_head.js';
import { rcnnPostprocess, type RCNNTestCfg } from '../src/heads/detection/roi/bbox_postprocess.js';
import { DeltaXYWHBBoxCoder } from '../src/models/task_modules/coders/delta_xywh_coder.js';
import { RCNN_CODER_OPTIONS } from '../src/heads/detection/roi/shared2fc_bbox_head.js';
import { hasTorchvisionRoIHeads, mapTorchvisionRoIHeadKey } from '../src/checkpoint/convert/rcnn_roi_head_layouts.js';
import { MMDET_FASTER_RCNN_ROI_HEAD, MMDET_MASK_RCNN_ROI_HEAD } from '../src/heads/detection/roi/roi_head_presets.js';
import { TRAIN_BACKEND, useBackend } from './helpers.js';

const C = 8;
const INPUTS: FeatureSpec[] = [4, 8, 16, 32, 64].map((stride, i) => ({ name: `p${i + 2}`, channels: C, stride }));
const SMALL: ConfigObject = {
  numClasses: 3,
  bboxRoiExtractor: { outChannels: C },
  bboxHead: { type: 'Shared2FCBBoxHead', fcOutChannels: 16 },
  maskRoiExtractor: { outChannels: C },
  maskHead: { type: 'FCNMaskHead', numConvs: 2, convOutChannels: 8 },
  trainCfg: { sampler: { num: 32 } },
};

function build(over: ConfigObject = {}, base: ConfigObject = MMDET_MASK_RCNN_ROI_HEAD): StandardRoIHead {
  const trainCfg = { ...(base.trainCfg as ConfigObject | undefined), ...(SMALL.trainCfg as ConfigObject), ...(over.trainCfg as ConfigObject | undefined) };
  const head = HEADS.build({ ...base, ...SMALL, ...over, trainCfg }, { inputs: INPUTS, numClasses: null }, 'model.roiHead');
  if (!(head instanceof StandardRoIHead)) throw new Error('not a StandardRoIHead');
  return head;
}

const IMG: [number, number] = [64, 96];

function features(): tf.Tensor4D[] {
  return INPUTS.map((s, i) => tf.randomNormal([1, Math.ceil(IMG[0] / s.stride), Math.ceil(IMG[1] / s.stride), C], 0, 1, 'float32', i) as tf.Tensor4D);
}

function sampleWithMasks(): DataSample {
  const [h, w] = IMG;
  const boxes = [4, 6, 40, 50, 30, 10, 90, 60];
  const data = new Uint8Array(2 * h * w);
  for (let g = 0; g < 2; g++) {
    const [x1, y1, x2, y2] = boxes.slice(g * 4, g * 4 + 4);
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data[(g * h + y) * w + x] = 1;
  }
  return {
    imgPath: 'mem.png',
    oriShape: IMG,
    imgShape: IMG,
    scaleFactor: [1, 1],
    flip: false,
    gtInstances: { bboxes: Float32Array.from(boxes), labels: Int32Array.from([0, 2]), masks: { data, count: 2, height: h, width: w } },
  };
}

function proposals(): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < 20; i++) {
    const x = (i * 7) % 60;
    const y = (i * 5) % 40;
    out.push(x, y, x + 12 + (i % 5) * 8, y + 10 + (i % 4) * 6);
  }
  return Float32Array.from(out);
}

describe('StandardRoIHead from configs', () => {
  beforeAll(async () => {
    await useBackend(TRAIN_BACKEND);
  });

  it('builds Mask R-CNN and Faster R-CNN variants with mmdet state-dict names', () => {
    const mask = build();
    expect(mask.withMask).toBe(true);
    expect(mask.namedParameters().map(([n]) => n)).toEqual([
      'bbox_head.shared_fcs.0.weight',
      'bbox_head.shared_fcs.0.bias',
      'bbox_head.shared_fcs.1.weight',
      'bbox_head.shared_fcs.1.bias',
      'bbox_head.fc_cls.weight',
      'bbox_head.fc_cls.bias',
      'bbox_head.fc_reg.weight',
      'bbox_head.fc_reg.bias',
      'mask_head.convs.0.conv.weight',
      'mask_head.convs.0.conv.bias',
      'mask_head.convs.1.conv.weight',
      'mask_head.convs.1.conv.bias',
      'mask_head.upsample.weight',
      'mask_head.upsample.bias',
      'mask_head.conv_logits.weight',
      'mask_head.conv_logits.bias',
    ]);
    expect(mask.bboxHead.fcCls.weight.shape).toEqual([4, 16]);
    expect(mask.bboxHead.fcReg.weight.shape).toEqual([12, 16]);
    expect(mask.assigner.options.matchLowQuality).toBe(true);
    mask.dispose();
    const faster = build({ maskRoiExtractor: null, maskHead: null }, MMDET_FASTER_RCNN_ROI_HEAD);
    expect(faster.withMask).toBe(false);
    expect(faster.assigner.options.matchLowQuality).toBe(false);
    faster.dispose();
  });

  it('names the bad key and value in config errors', () => {
    expect(() => build({ maskHead: null })).toThrow(/model\.roiHead: give both maskRoiExtractor and maskHead/);
    expect(() => build({ bboxRoiExtractor: { outChannels: C, featmapStrides: [8, 16] } })).toThrow(/model\.roiHead\.bboxRoiExtractor\.featmapStrides: \[8, 16\] do not match the inputs/);
    expect(() => build({ bboxRoiExtractor: { outChannels: C, levelMapping: 'detectron' } })).toThrow(/levelMapping/);
    expect(() => build({ bboxRoiExtractor: { outChannels: 256 } })).toThrow(/bboxRoiExtractor\.outChannels: 256, but input p2 has 8 channels/);
    expect(() => build({ trainCfg: { maskSize: 14 } })).toThrow(/trainCfg\.maskSize: 14, but the mask head predicts 28x28/);
    expect(() => build({ bboxHead: { type: 'FCNMaskHead' } })).toThrow(/bboxHead: StandardRoIHead supports Shared2FCBBoxHead/);
    expect(() => build({ trainCfg: { sampler: { type: 'OHEMSampler' } } })).toThrow(/trainCfg\.sampler\.type: only 'RandomSampler'/);
    expect(() => build({ maskHead: { type: 'FCNMaskHead', upsampleCfg: { type: 'bilinear', scaleFactor: 2 } } })).toThrow(/maskHead\.upsampleCfg: only \{type: 'deconv'/);
  });

  it('loss: assigned and sampled RoIs give finite losses, gradients for every weight, and no leak', () => {
    const head = build();
    head.train();
    const feats = features();
    const s = sampleWithMasks();
    const vars = [...head.trainableVariables().values()];
    const before = tf.memory().numTensors;
    for (let step = 0; step < 2; step++) {
      const { value, grads } = tf.variableGrads(() => {
        const losses = head.loss(feats, [{ bboxes: proposals() }], [s]);
        expect(Object.keys(losses).sort()).toEqual(['loss_bbox', 'loss_cls', 'loss_mask']);
        for (const v of Object.values(losses)) expect(Number.isFinite(v.dataSync()[0])).toBe(true);
        return tf.addN(Object.values(losses)) as tf.Scalar;
      }, vars);
      const names = [...head.trainableVariables().keys()];
      names.forEach((n, i) => {
        const g = grads[vars[i].name];
        expect(g, `gradient of ${n}`).toBeDefined();
        expect(
          tf.tidy(() => g.abs().sum().dataSync()[0]),
          `gradient of ${n}`,
        ).toBeGreaterThan(0);
      });
      value.dispose();
      tf.dispose(Object.values(grads));
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose(feats);
    head.dispose();
  });

  it('loss on an image without gts: background only, loss_mask 0', () => {
    const head = build();
    const feats = features();
    const s: DataSample = { ...sampleWithMasks(), gtInstances: { bboxes: new Float32Array(0), labels: new Int32Array(0) } };
    const losses = head.loss(feats, [{ bboxes: proposals() }], [s]);
    expect(Math.abs(losses.loss_mask.dataSync()[0])).toBe(0);
    expect(Math.abs(losses.loss_bbox.dataSync()[0])).toBe(0);
    expect(losses.loss_cls.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([...Object.values(losses), ...feats]);
    head.dispose();
  });

  it('a mask branch without gt masks names the sample', () => {
    const head = build();
    const feats = features();
    const s = sampleWithMasks();
    const noMasks: DataSample = { ...s, gtInstances: { bboxes: s.gtInstances!.bboxes, labels: s.gtInstances!.labels } };
    expect(() => head.loss(feats, [{ bboxes: proposals() }], [noMasks])).toThrow(/sample mem\.png has no gtInstances\.masks/);
    tf.dispose(feats);
    head.dispose();
  });

  it('class-agnostic box and mask heads: 4 deltas and 1 mask map per RoI, losses and predictions', async () => {
    const head = build({
      bboxHead: { type: 'Shared2FCBBoxHead', fcOutChannels: 16, regClassAgnostic: true },
      maskHead: { type: 'FCNMaskHead', numConvs: 1, convOutChannels: 8, classAgnostic: true },
    });
    expect(head.bboxHead.fcReg.weight.shape).toEqual([4, 16]);
    expect(head.maskHead?.convLogits.weight.shape).toEqual([1, 8, 1, 1]);
    const feats = features();
    const losses = head.loss(feats, [{ bboxes: proposals() }], [sampleWithMasks()]);
    for (const v of Object.values(losses)) expect(Number.isFinite(v.dataSync()[0])).toBe(true);
    tf.dispose(Object.values(losses));
    head.eval();
    const [pred] = await head.predict(feats, [{ bboxes: proposals() }], [sampleWithMasks()]);
    expect(pred.labels.length).toBeGreaterThan(0);
    expect(pred.masks?.count).toBe(pred.labels.length);
    tf.dispose(feats);
    head.dispose();
  });

  it('predict returns boxes in the original frame with one mask each', async () => {
    const head = build().eval();
    const feats = features();
    const s: DataSample = { ...sampleWithMasks(), oriShape: [32, 48], scaleFactor: [2, 2] };
    const before = tf.memory().numTensors;
    const [pred] = await head.predict(feats, [{ bboxes: proposals() }], [s]);
    expect(tf.memory().numTensors).toBe(before);
    const d = pred.labels.length;
    expect(d).toBeGreaterThan(0);
    expect(pred.masks?.count).toBe(d);
    expect([pred.masks?.height, pred.masks?.width]).toEqual([32, 48]);
    for (let i = 0; i < d * 4; i++) expect(pred.bboxes[i]).toBeLessThanOrEqual(i % 2 === 0 ? 48 : 32);
    for (let i = 1; i < d; i++) expect(pred.scores[i]).toBeLessThanOrEqual(pred.scores[i - 1]);
    tf.dispose(feats);
    head.dispose();
  });
});

describe('rcnnPostprocess', () => {
  const coder = new DeltaXYWHBBoxCoder(RCNN_CODER_OPTIONS);
  const cfg: RCNNTestCfg = { scoreThr: 0.05, nms: { type: 'nms', iouThreshold: 0.5 }, maxPerImg: 100, minBboxSize: 0, maskThrBinary: 0.5 };
  // 3 RoIs, 2 classes (+ background last); zero deltas decode to the RoIs themselves.
  const rois = Float32Array.from([0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 50.001, 60]);
  const probs = Float32Array.from([0.9, 0.06, 0.04, 0.8, 0.15, 0.05, 0.02, 0.7, 0.28]);
  const deltas = new Float32Array(3 * 8);

  it('thresholds, suppresses per class, sorts, and keeps every class apart', () => {
    const d = rcnnPostprocess(rois, probs, deltas, 2, coder, [100, 100], cfg, null);
    // RoI 1 class 0 (0.8) is suppressed by RoI 0 class 0 (0.9, IoU 0.68); class 1 of RoIs 0/1 (0.06/0.15) overlap too.
    expect([...d.scores].map((v) => Math.round(v * 100) / 100)).toEqual([0.9, 0.7, 0.15]);
    expect([...d.labels]).toEqual([0, 1, 1]);
  });

  it("drops boxes below minBboxSize (torchvision's remove_small_boxes), caps maxPerImg, rescales", () => {
    const d = rcnnPostprocess(rois, probs, deltas, 2, coder, [100, 100], { ...cfg, minBboxSize: 0.01, maxPerImg: 1 }, null);
    expect([...d.labels]).toEqual([0]);
    const small = rcnnPostprocess(rois, probs, deltas, 2, coder, [100, 100], { ...cfg, minBboxSize: 0.01 }, null);
    expect(small.scores.length).toBe(2); // the 0.001-wide box is gone
    const scaled = rcnnPostprocess(rois, probs, deltas, 2, coder, [100, 100], cfg, [2, 4]);
    expect([...scaled.bboxes.subarray(0, 4)]).toEqual([0, 0, 5, 2.5]);
  });
});

describe('torchvision roi_heads key mapping', () => {
  const t = (shape: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i) });

  it('renames, moves the background class last and drops its regression and mask', () => {
    expect(hasTorchvisionRoIHeads(['backbone.body.conv1.weight', 'roi_heads.box_head.fc6.weight'])).toBe(true);
    expect(mapTorchvisionRoIHeadKey('roi_heads.box_head.fc7.bias', t([4]))).toEqual({ to: 'roi_head.bbox_head.shared_fcs.1.bias' });
    const cls = mapTorchvisionRoIHeadKey('roi_heads.box_predictor.cls_score.bias', t([3]));
    expect(cls !== null && 'to' in cls && [...(cls.tensor?.data ?? [])]).toEqual([1, 2, 0]);
    const reg = mapTorchvisionRoIHeadKey('roi_heads.box_predictor.bbox_pred.weight', t([12, 2]));
    expect(reg !== null && 'to' in reg && reg.tensor?.shape).toEqual([8, 2]);
    expect(reg !== null && 'to' in reg && reg.tensor?.data[0]).toBe(8);
    expect(mapTorchvisionRoIHeadKey('roi_heads.mask_head.2.0.weight', t([1]), 'x.')).toEqual({ to: 'x.mask_head.convs.2.conv.weight' });
    expect(mapTorchvisionRoIHeadKey('roi_heads.mask_head.mask_fcn3.bias', t([1]))).toEqual({ to: 'roi_head.mask_head.convs.2.conv.bias' });
    expect(mapTorchvisionRoIHeadKey('roi_heads.mask_predictor.conv5_mask.weight', t([1]))).toEqual({ to: 'roi_head.mask_head.upsample.weight' });
    const logits = mapTorchvisionRoIHeadKey('roi_heads.mask_predictor.mask_fcn_logits.bias', t([3]));
    expect(logits !== null && 'to' in logits && [logits.to, [...(logits.tensor?.data ?? [])]]).toEqual(['roi_head.mask_head.conv_logits.bias', [1, 2]]);
    expect(mapTorchvisionRoIHeadKey('rpn.head.conv.0.0.weight', t([1]))).toBeNull();
    expect(() => mapTorchvisionRoIHeadKey('roi_heads.keypoint_head.0.weight', t([1]))).toThrow(/roi_heads\.keypoint_head\.0\.weight: not a torchvision Faster\/Mask R-CNN roi_heads key/);
  });
});

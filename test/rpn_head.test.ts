/**
 * RPNHead against torchvision 0.14's `RegionProposalNetwork` as `maskrcnn_resnet50_fpn` builds it
 * (test/fixtures/twostage/make_rpn_fixtures.py: a 32-channel FPN, fixed random weights, two images of
 * a 128x192 batch): anchors, objectness and deltas per level, the proposals (eval and training
 * settings) and the training loss on torchvision's own sampled anchors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { HEADS } from '../src/registry/registries.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import type { HostStateDict } from '../src/checkpoint/convert/layout.js';
import { convertStateDict } from '../src/checkpoint/convert/convert.js';
import type { FeatureSpec } from '../src/backbones/backbone.js';
import type { DataSample } from '../src/structures/data_sample.js';
import { RPNHead, type RPNTargets } from '../src/heads/detection/rpn/rpn_head.js';
import { isProposalHead } from '../src/heads/detection/rpn/proposal_head.js';
import { TORCHVISION_RPN_TEST_CFG, TORCHVISION_RPN_TRAIN_CFG, generateProposals, type ProposalLevel, type Proposals } from '../src/heads/detection/rpn/rpn_proposals.js';
import { concatArrays } from '../src/heads/detection/dense_head.js';
import { SmoothL1Loss } from '../src/losses/smooth_l1_loss.js';
import { TEST_BACKENDS, TRAIN_BACKEND, expectClose, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/twostage/rpn.safetensors', import.meta.url).pathname;
const fx: Map<string, HostTensor> = readSafetensors(FIXTURE).tensors;
function get(name: string): HostTensor {
  const t = fx.get(name);
  if (t === undefined) throw new Error(`fixture tensor '${name}' missing`);
  return t;
}
const F = (name: string): Float32Array => get(name).data as Float32Array;
const I = (name: string): Int32Array => get(name).data as Int32Array;
const T = (name: string): tf.Tensor => tf.tensor(F(name), get(name).shape, 'float32');

const STRIDES = [4, 8, 16, 32, 64];
const INPUTS: FeatureSpec[] = STRIDES.map((stride, i) => ({ name: `p${i + 2}`, channels: 32, stride }));
const IMAGE_SIZES: Array<[number, number]> = [
  [120, 180],
  [128, 170],
];

/** torchvision's settings (maskrcnn_resnet50_fpn), as a config: the README's (*Two-stage detection*). */
const TORCHVISION_RPN = {
  type: 'RPNHead',
  featChannels: 32,
  style: 'torchvision',
  anchorGenerator: { scales: [8], ratios: [0.5, 1, 2], roundBaseAnchors: true },
  lossBbox: { type: 'SmoothL1Loss', beta: 1 / 9 },
  trainCfg: { assigner: { lowQualityRule: 'torchvision' } },
  proposalCfg: { nmsPre: 2000, maxPerImg: 2000, minBboxSize: 1e-3 },
  testCfg: { nmsPre: 1000, maxPerImg: 1000, minBboxSize: 1e-3 },
};

function samples(): DataSample[] {
  return IMAGE_SIZES.map((imgShape, b) => {
    const gt = F(`gt.b${b}`);
    return {
      imgPath: `image${b}`,
      oriShape: imgShape,
      imgShape,
      scaleFactor: [1, 1],
      flip: false,
      padShape: [128, 192],
      gtInstances: { bboxes: gt, labels: new Int32Array(gt.length / 4) },
    };
  });
}

/** torchvision `rpn.head.*` → ours, through the checkpoint converter (layout rcnn-torchvision). */
function loadTorchvisionHead(head: RPNHead): void {
  const tv: HostStateDict = new Map([...fx].filter(([k]) => k.startsWith('rpn.head.')));
  const { state, report } = convertStateDict(tv, { layout: 'rcnn-torchvision' });
  expect(report.mapped).toBe(6);
  const ours = new Map(
    [...state].map(([k, v]) => {
      expect(k.startsWith('rpn_head.'), k).toBe(true);
      return [k.slice('rpn_head.'.length), tf.tensor(v.data as Float32Array, v.shape, 'float32')] as [string, tf.Tensor];
    }),
  );
  head.loadStateDict(ours);
  tf.dispose([...ours.values()]);
}

function buildHead(config: object = TORCHVISION_RPN): RPNHead {
  const head = HEADS.build(config, { inputs: INPUTS, numClasses: null }, 'model.rpnHead');
  expect(isProposalHead(head)).toBe(true);
  return head as RPNHead;
}

function features(): tf.Tensor4D[] {
  return STRIDES.map((_, l) => T(`feat.l${l}`) as tf.Tensor4D);
}

/**
 * Our proposals equal torchvision's: same count, scores within 1e-4, boxes within 1e-4 relative
 * to the image size (0.02 px). Proposals whose torchvision scores are tied (within 1e-6: distinct
 * logits can share one float32 probability) may come in either order, so within a run of tied
 * scores each torchvision box is matched to one of ours of the same run.
 */
function expectProposals(ours: Proposals, boxes: Float32Array, scores: Float32Array, what: string): void {
  expect(ours.scores.length, `${what}: number of proposals`).toBe(scores.length);
  const boxTol = 1e-4 * 200;
  const boxDiff = (i: number, j: number): number => Math.max(...[0, 1, 2, 3].map((c) => Math.abs(ours.bboxes[4 * i + c] - boxes[4 * j + c])));
  let worstScore = 0;
  let worstBox = 0;
  let ties = 0;
  for (let start = 0; start < scores.length;) {
    let end = start + 1;
    while (end < scores.length && Math.abs(scores[end] - scores[start]) <= 1e-6) end++;
    const free = new Set<number>();
    for (let i = start; i < end; i++) free.add(i);
    if (end - start > 1) ties += end - start;
    for (let j = start; j < end; j++) {
      worstScore = Math.max(worstScore, Math.abs(ours.scores[j] - scores[j]));
      let best = -1;
      for (const i of free) if (best < 0 || boxDiff(i, j) < boxDiff(best, j)) best = i;
      worstBox = Math.max(worstBox, boxDiff(best, j));
      free.delete(best);
    }
    start = end;
  }
  expect(worstScore, `${what}: scores`).toBeLessThanOrEqual(1e-4);
  expect(worstBox, `${what}: boxes (${ties} proposals in tied runs)`).toBeLessThanOrEqual(boxTol);
}

describe('RPNHead vs torchvision RegionProposalNetwork', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('builds from a config with mmdet defaults and names the bad option', () => {
    const head = buildHead({ type: 'RPNHead', featChannels: 32 });
    expect(head.style).toBe('mmdet');
    expect(head.numBasePriors).toBe(3);
    expect(head.testCfg.nmsPre).toBe(1000);
    expect(head.proposalCfg.nmsPre).toBe(2000);
    expect(head.proposalCfg.maxPerImg).toBe(1000);
    expect(head.assigner.options.posIouThr).toBe(0.7);
    expect(head.sampler.options.num).toBe(256);
    expect(() => buildHead({ type: 'RPNHead', style: 'detectron' })).toThrow(/style/);
    expect(() => buildHead({ type: 'RPNHead', testCfg: { nms: { type: 'soft_nms' } } })).toThrow(/model\.rpnHead\.testCfg\.nms\.type/);
    expect(() => buildHead({ type: 'RPNHead', lossCls: { type: 'FocalLoss' } })).toThrow(/model\.rpnHead\.lossCls/);
  });

  it("the README's torchvision config resolves to torchvision's proposal settings", () => {
    const head = buildHead();
    expect(head.proposalCfg).toEqual(TORCHVISION_RPN_TRAIN_CFG);
    expect(head.testCfg).toEqual(TORCHVISION_RPN_TEST_CFG);
    expect(head.lossBbox).toBeInstanceOf(SmoothL1Loss);
    expect(head.assigner.options.lowQualityRule).toBe('torchvision');
  });

  it('anchors equal torchvision AnchorGenerator (sizes 32..512, ratios 0.5/1/2, rounded base anchors)', () => {
    const head = buildHead();
    const sizes = STRIDES.map((s) => [128 / s, 192 / s] as [number, number]);
    const anchors = concatArrays(head.anchors(sizes), (n) => new Float32Array(n));
    expect(Array.from(anchors)).toEqual(Array.from(F('anchors')));
  });

  it('anchors of a 96x160 batch equal torchvision (its P6 strides are 160 // 3 = 53 and 96 // 2 = 48)', () => {
    const head = buildHead();
    const sizes: Array<[number, number]> = [
      [24, 40],
      [12, 20],
      [6, 10],
      [3, 5],
      [2, 3],
    ];
    const anchors = concatArrays(head.anchors(sizes), (n) => new Float32Array(n));
    expect(Array.from(anchors)).toEqual(Array.from(F('anchors_96x160')));
    const mmdet = buildHead({ type: 'RPNHead', featChannels: 32, anchorGenerator: { roundBaseAnchors: true } });
    const fixed = concatArrays(mmdet.anchors(sizes), (n) => new Float32Array(n));
    expect(Array.from(fixed)).not.toEqual(Array.from(F('anchors_96x160')));
  });

  it('proposals from torchvision objectness and deltas equal filter_proposals (eval and training settings)', () => {
    const head = buildHead();
    const sizes = STRIDES.map((s) => [128 / s, 192 / s] as [number, number]);
    const anchors = head.anchors(sizes);
    for (const [mode, cfg] of [
      ['eval', TORCHVISION_RPN_TEST_CFG],
      ['train', TORCHVISION_RPN_TRAIN_CFG],
    ] as const) {
      for (let b = 0; b < 2; b++) {
        const levels: ProposalLevel[] = anchors.map((a, l) => {
          const n = a.length / 4;
          return {
            logits: F(`out.cls.l${l}`).subarray(b * n, (b + 1) * n),
            deltas: F(`out.reg.l${l}`).subarray(4 * b * n, 4 * (b + 1) * n),
            anchors: a,
          };
        });
        const ours = generateProposals(levels, IMAGE_SIZES[b], cfg, 'torchvision', null);
        expectProposals(ours, F(`${mode}.b${b}.boxes`), F(`${mode}.b${b}.scores`), `${mode} image ${b}`);
      }
    }
  });

  it('mmdet style: proposals equal an mmdet 3.x RPNHead re-implementation (unrounded anchors, delta2bbox, min size > 0, max 1000)', () => {
    const head = buildHead({ type: 'RPNHead', featChannels: 32 });
    const sizes = STRIDES.map((s) => [128 / s, 192 / s] as [number, number]);
    const anchors = head.anchors(sizes);
    for (const [mode, cfg] of [
      ['eval', head.testCfg],
      ['train', head.proposalCfg],
    ] as const) {
      for (let b = 0; b < 2; b++) {
        const levels: ProposalLevel[] = anchors.map((a, l) => {
          const n = a.length / 4;
          return { logits: F(`out.cls.l${l}`).subarray(b * n, (b + 1) * n), deltas: F(`out.reg.l${l}`).subarray(4 * b * n, 4 * (b + 1) * n), anchors: a };
        });
        const ours = generateProposals(levels, IMAGE_SIZES[b], cfg, 'mmdet', head.bboxCoder);
        expectProposals(ours, F(`mmdet.${mode}.b${b}.boxes`), F(`mmdet.${mode}.b${b}.scores`), `mmdet ${mode} image ${b}`);
      }
    }
  });

  for (const backend of TEST_BACKENDS) {
    describe(backend, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });

      it('objectness and deltas per level within 1e-4, and the proposals of our own forward', () => {
        const head = buildHead();
        loadTorchvisionHead(head);
        head.eval();
        const feats = features();
        const out = head.forward(feats);
        for (let l = 0; l < 5; l++) {
          expectClose(out.cls[l], T(`out.cls.l${l}`), 1e-4, `objectness level ${l}`);
          expectClose(out.reg[l], T(`out.reg.l${l}`), 1e-4, `deltas level ${l}`);
        }
        tf.dispose([...out.cls, ...out.reg]);
        const before = tf.memory().numTensors;
        const proposals = head.predictProposals(feats, samples());
        expect(tf.memory().numTensors).toBe(before);
        for (let b = 0; b < 2; b++) expectProposals(proposals[b], F(`eval.b${b}.boxes`), F(`eval.b${b}.scores`), `forward, image ${b}`);
        tf.dispose(feats);
      });

      it('loss on torchvision sampled anchors equals compute_loss (BCE, smooth L1 1/9) and the mmdet L1 variant', () => {
        const feats = features();
        const labels = I('loss.labels');
        const targets = F('loss.targets');
        const pos = I('loss.pos_inds');
        const neg = I('loss.neg_inds');
        const given: RPNTargets = {
          labels: new Float32Array(labels.length),
          labelWeights: new Float32Array(labels.length),
          posInds: pos,
          posTargets: new Float32Array(pos.length * 4),
          avgFactor: pos.length + neg.length,
        };
        pos.forEach((i, k) => {
          given.labels[i] = 1;
          given.labelWeights[i] = 1;
          given.posTargets.set(targets.subarray(4 * i, 4 * i + 4), 4 * k);
        });
        for (const i of neg) given.labelWeights[i] = 1;
        for (const [lossBbox, key] of [
          [{ type: 'SmoothL1Loss', beta: 1 / 9 }, 'loss.box_tv'],
          [{ type: 'L1Loss' }, 'loss.box_l1'],
        ] as const) {
          const head = buildHead({ ...TORCHVISION_RPN, lossBbox });
          loadTorchvisionHead(head);
          const out = head.forward(feats);
          const losses = head.lossFromTargets(out, given);
          expect(Math.abs(losses.loss_rpn_cls.dataSync()[0] - F('loss.objectness')[0])).toBeLessThanOrEqual(1e-5);
          expect(Math.abs(losses.loss_rpn_bbox.dataSync()[0] - F(key)[0])).toBeLessThanOrEqual(1e-5);
          tf.dispose([...out.cls, ...out.reg, ...Object.values(losses)]);
        }
        tf.dispose(feats);
      });
    });
  }

  it("assignment: torchvision Matcher's labels and regression targets with lowQualityRule 'torchvision'; mmdet's rule differs where it should", () => {
    const sizes = STRIDES.map((s) => [128 / s, 192 / s] as [number, number]);
    const expectedLabels = I('loss.labels');
    const expectedTargets = F('loss.targets');
    const mismatches = (rule: 'mmdet' | 'torchvision'): { labels: number; targets: number } => {
      const head = buildHead({ ...TORCHVISION_RPN, trainCfg: { assigner: { lowQualityRule: rule, minPosIou: rule === 'mmdet' ? 0 : 0.3 } } });
      const anchors = concatArrays(head.anchors(sizes), (n) => new Float32Array(n));
      const n = anchors.length / 4;
      let labels = 0;
      let targets = 0;
      samples().forEach((s, b) => {
        const gt = s.gtInstances!;
        const assign = head.assigner.assign(anchors, gt);
        for (let j = 0; j < n; j++) {
          const g = assign.gtInds[j];
          const ours = g > 0 ? 1 : g === 0 ? 0 : -1;
          if (ours !== expectedLabels[b * n + j]) labels++;
          if (g <= 0) continue;
          const t = head.bboxCoder.encode(anchors.slice(4 * j, 4 * j + 4), gt.bboxes.slice(4 * (g - 1), 4 * g));
          const e = expectedTargets.subarray(4 * (b * n + j), 4 * (b * n + j) + 4);
          if (t.some((v, c) => Math.abs(v - e[c]) > 1e-4)) targets++;
        }
      });
      return { labels, targets };
    };
    expect(mismatches('torchvision')).toEqual({ labels: 0, targets: 0 });
    // mmdet gives a gt's best anchor that gt; torchvision keeps the anchor's own best gt (2 anchors here).
    expect(mismatches('mmdet')).toEqual({ labels: 0, targets: 2 });
  });

  it('training step: sampled losses, gradients for every weight, no tensor leak across two steps', async () => {
    await useBackend(TRAIN_BACKEND);
    const head = buildHead();
    loadTorchvisionHead(head);
    head.train();
    const feats = features();
    const vars = [...head.trainableVariables().values()];
    const step = (): number => {
      let proposals: Proposals[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const r = head.lossAndProposals(feats, samples());
        proposals = r.proposals;
        return tf.addN(Object.values(r.losses)) as tf.Scalar;
      }, vars);
      for (const v of vars) {
        const g = grads[v.name];
        expect(g, `gradient of ${v.name}`).toBeDefined();
        expect(tf.tidy(() => g.abs().sum().dataSync()[0]) > 0, `gradient of ${v.name} is zero`).toBe(true);
      }
      expect(proposals.length).toBe(2);
      expect(proposals[0].scores.length).toBeGreaterThan(0);
      expect(proposals[0].scores.length).toBeLessThanOrEqual(TORCHVISION_RPN_TRAIN_CFG.maxPerImg);
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    const first = step();
    const before = tf.memory().numTensors;
    const second = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first) && Number.isFinite(second)).toBe(true);
    tf.dispose(feats);
  });
});

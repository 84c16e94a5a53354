/**
 * torchvision `maskrcnn_resnet50_fpn` / `fasterrcnn_resnet50_fpn` checkpoints → our ResNet-50 +
 * FPN + RPNHead: every backbone, FPN and RPN key lands on a parameter of the same shape, nothing
 * of ours is left without a value (apart from `num_batches_tracked`, see below), and `roi_heads.*`
 * stays unconverted. The key list comes from torchvision 0.14 (test/fixtures/twostage/make_rcnn_keys.py);
 * the values are zeros (the numeric RPN parity with converted weights is in test/rpn_head.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { BACKBONES, HEADS, NECKS } from '../src/registry/registries.js';
import { convertStateDict } from '../src/checkpoint/convert/convert.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import type { HostStateDict } from '../src/checkpoint/convert/layout.js';
import type { Backbone } from '../src/backbones/backbone.js';
import type { Module } from '../src/nn/module.js';
import { useBackend } from './helpers.js';
import type { Neck } from '../src/necks/neck.js';
import { TORCHVISION_MASK_RCNN_ROI_HEAD } from '../src/heads/detection/roi/roi_head_presets.js';

const KEYS = JSON.parse(readFileSync(new URL('./fixtures/twostage/rcnn_torchvision_keys.json', import.meta.url), 'utf8')) as Record<string, Array<[string, number[], string]>>;

function zeroState(model: string): HostStateDict {
  const state: HostStateDict = new Map();
  for (const [key, shape, dtype] of KEYS[model]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const t: HostTensor = dtype === 'int64' ? { dtype: 'int32', shape, data: new Int32Array(size) } : { dtype: 'float32', shape, data: new Float32Array(size) };
    state.set(key, t);
  }
  return state;
}

function part(state: HostStateDict, prefix: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of state) {
    if (k.startsWith(prefix)) out.set(k.slice(prefix.length), tf.tensor(v.data as Float32Array | Int32Array, v.shape, v.dtype === 'int32' ? 'int32' : 'float32'));
  }
  return out;
}

describe('torchvision Faster / Mask R-CNN checkpoint conversion', () => {
  let modules: Record<string, Module>;
  beforeAll(async () => {
    await useBackend('cpu');
    const backbone = BACKBONES.build({ type: 'ResNet', depth: 50 }, {}, 'model.backbone') as Backbone;
    const neck = NECKS.build({ type: 'FPN', outChannels: 256, numOuts: 5 }, { inputs: backbone.outputSpecs }, 'model.neck');
    const rpn = HEADS.build({ type: 'RPNHead', style: 'torchvision', anchorGenerator: { roundBaseAnchors: true } }, { inputs: neck.outputSpecs, numClasses: null }, 'model.rpnHead');
    modules = { backbone, neck, rpn_head: rpn };
  });

  for (const model of ['maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn']) {
    it(`${model}: layout detected; backbone, FPN, RPN and RoI heads load strictly`, () => {
      const { state, report } = convertStateDict(zeroState(model), { source: `${model}.pth` });
      expect(report.layout).toBe('rcnn-torchvision');
      expect(report.keptAsIs).toEqual([]);
      const roi = KEYS[model].filter(([k]) => k.startsWith('roi_heads.'));
      expect(roi.length).toBeGreaterThan(0);
      // torchvision's 91 COCO classes count the background; ours do not (the background row moves last).
      const roiCfg: Record<string, unknown> = { ...TORCHVISION_MASK_RCNN_ROI_HEAD };
      if (!model.startsWith('mask')) {
        delete roiCfg.maskRoiExtractor;
        delete roiCfg.maskHead;
      }
      const neck = modules.neck as Neck;
      const all: Record<string, Module> = { ...modules, roi_head: HEADS.build(roiCfg, { inputs: neck.outputSpecs, numClasses: 90 }, 'model.roiHead') };
      for (const [prefix, module] of Object.entries(all)) {
        const sub = part(state, `${prefix}.`);
        const result = module.loadStateDict(sub, { strict: false, source: model });
        expect(result.unexpected, `${prefix}: unexpected`).toEqual([]);
        expect(result.missing, `${prefix}: missing`).toEqual([]);
        expect(result.loaded.length, prefix).toBe(sub.size);
        tf.dispose([...sub.values()]);
      }
      expect([...state.keys()].filter((k) => !Object.keys(all).some((p) => k.startsWith(`${p}.`)))).toEqual([]);
      all.roi_head.dispose();
    });
  }

  it("mmdet Mask R-CNN checkpoints' neck and rpn_head keys (mmdet's module names) are native: strict load, no conversion", () => {
    // mmdet 3.x / 2.x `FPN` (lateral_convs.i / fpn_convs.i ConvModule → .conv) and `RPNHead` (num_convs=1:
    // rpn_conv 3x3, rpn_cls 1x1 → A, rpn_reg 1x1 → 4A), channels of mask-rcnn_swin-t-p4-w7_fpn.
    const shapes: Array<[string, number[]]> = [];
    [96, 192, 384, 768].forEach((c, i) => {
      shapes.push([`neck.lateral_convs.${i}.conv.weight`, [256, c, 1, 1]], [`neck.lateral_convs.${i}.conv.bias`, [256]]);
      shapes.push([`neck.fpn_convs.${i}.conv.weight`, [256, 256, 3, 3]], [`neck.fpn_convs.${i}.conv.bias`, [256]]);
    });
    shapes.push(['rpn_head.rpn_conv.weight', [256, 256, 3, 3]], ['rpn_head.rpn_conv.bias', [256]]);
    shapes.push(['rpn_head.rpn_cls.weight', [3, 256, 1, 1]], ['rpn_head.rpn_cls.bias', [3]]);
    shapes.push(['rpn_head.rpn_reg.weight', [12, 256, 1, 1]], ['rpn_head.rpn_reg.bias', [12]]);
    const inputs = [96, 192, 384, 768].map((channels, i) => ({ name: `stage${i + 1}`, channels, stride: 4 * 2 ** i }));
    const neck = NECKS.build({ type: 'FPN', outChannels: 256, numOuts: 5 }, { inputs }, 'model.neck');
    const rpn = HEADS.build({ type: 'RPNHead' }, { inputs: neck.outputSpecs, numClasses: null }, 'model.rpnHead');
    const state: HostStateDict = new Map(shapes.map(([k, shape]) => [k, { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]));
    for (const [prefix, module] of [
      ['neck', neck],
      ['rpn_head', rpn],
    ] as const) {
      const sub = part(state, `${prefix}.`);
      module.loadStateDict(sub, { strict: true, source: 'mmdet mask-rcnn' });
      tf.dispose([...sub.values()]);
    }
    neck.dispose();
    rpn.dispose();
  });

  it('maps the older torchvision names (before Conv2dNormActivation) too, and leaves v2 extras alone', async () => {
    const { mapRcnnTorchvisionKey } = await import('../src/checkpoint/convert/rcnn_torchvision_layout.js');
    expect(mapRcnnTorchvisionKey('rpn.head.conv.weight')).toEqual({ to: 'rpn_head.rpn_conv.weight' });
    expect(mapRcnnTorchvisionKey('backbone.fpn.inner_blocks.2.bias')).toEqual({ to: 'neck.lateral_convs.2.conv.bias' });
    expect(mapRcnnTorchvisionKey('backbone.fpn.layer_blocks.3.0.weight')).toEqual({ to: 'neck.fpn_convs.3.conv.weight' });
    expect(mapRcnnTorchvisionKey('rpn.head.conv.1.0.weight')).toBeNull();
    expect(mapRcnnTorchvisionKey('roi_heads.box_head.fc6.weight')).toBeNull();
  });
});

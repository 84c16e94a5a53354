/**
 * A mini FCOS (small Swin + FPN P3–P7 + FCOSHead) for the generated 96×96 shapes set in COCO
 * layout, sized for a 2-core CPU (`npm run make-sample-data -- data/shapes`, then
 * `npm run train -- --config configs/detection/swin-mini_fcos_coco.ts`).
 *
 * Same wiring as the Swin-T FCOS, scaled down: a 4-stage Swin (embedDim 32, one block per
 * stage, window 6), FPN over stages 2–4 (`startLevel: 1`, strides 8/16/32) with two extra convs
 * on the last output (`'on_output'`, ReLU between) → P3–P7 at strides 8–128, 64 channels, a
 * head of 2 stacked GN(16) convs per tower.
 * Regress ranges divided by 4 ((-1, 16), (16, 32), (32, 64), (64, 128), (128, ∞)): with
 * FCOS's defaults every object of this set (max(l, t, r, b) ≤ 57 px) would fall into P3
 * alone; scaled, the 12–57 px shapes spread over P3–P5 as COCO objects do over P3–P7.
 */
export default {
  _base_: ['../_base_/default_runtime.ts', '../_base_/models/fcos_swin-t_fpn.ts', '../_base_/datasets/shapes_coco_96.ts', '../_base_/schedules/shapes_det_mini.ts'],
  model: {
    backbone: {
      arch: null,
      embedDim: 32,
      depths: [1, 1, 1, 1],
      numHeads: [1, 2, 4, 8],
      windowSize: 6,
      dropPathRate: 0.1,
      outIndices: [0, 1, 2, 3],
    },
    neck: { outChannels: 64, startLevel: 1, addExtraConvs: 'on_output', numOuts: 5, reluBeforeExtraConvs: true },
    bboxHead: {
      numClasses: 3,
      stackedConvs: 2,
      featChannels: 64,
      normCfg: { type: 'GN', numGroups: 16, requiresGrad: true },
      regressRanges: [
        [-1, 16],
        [16, 32],
        [32, 64],
        [64, 128],
        [128, 1e8],
      ],
    },
  },
};

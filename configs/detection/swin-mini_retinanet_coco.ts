/**
 * A mini RetinaNet (small Swin + FPN P3–P7 + RetinaHead) for the generated 96×96 shapes set in
 * COCO layout, sized for a 2-core CPU (`npm run make-sample-data -- data/shapes`, then
 * `npm run train -- --config configs/detection/swin-mini_retinanet_coco.ts`).
 *
 * Same wiring as the Swin-T RetinaNet, scaled down: a 4-stage Swin (embedDim 32, one block per
 * stage, window 6 so that the 24/12/6 token grids tile exactly), FPN over stages 2–4
 * (`startLevel: 1` of the four outputs, strides 8/16/32) with two extra convs on the input
 * (`'on_input'`) → P3–P7 at strides 8–128, 64 channels, a head of 2 stacked convs.
 * Anchors: `octaveBaseScale` 2 instead of 4, so that the P3 anchors are 16–25 px and P4's
 * 32–50 px: the objects here are 12–57 px, and RetinaNet's default 32 px smallest anchor
 * would leave the small shapes with low-IoU matches only. P6/P7 (2×2 and 1×1 on a 96 px
 * image) are kept for fidelity to the P3–P7 design; they rarely match.
 */
export default {
  _base_: ['../_base_/default_runtime.ts', '../_base_/models/retinanet_swin-t_fpn.ts', '../_base_/datasets/shapes_coco_96.ts', '../_base_/schedules/shapes_det_mini.ts'],
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
    neck: { outChannels: 64, startLevel: 1, addExtraConvs: 'on_input', numOuts: 5 },
    bboxHead: {
      numClasses: 3,
      stackedConvs: 2,
      featChannels: 64,
      anchorGenerator: { octaveBaseScale: 2, scalesPerOctave: 3, strides: [8, 16, 32, 64, 128] },
    },
  },
};

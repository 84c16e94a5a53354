/**
 * COCO 2017 instance segmentation (mmdetection 3.x configs/_base_/datasets/coco_instance.py),
 * camelCase: `coco_detection.ts` with instance masks. The training set reads every annotation's
 * `segmentation` (polygons, RLE) with `withMask: true` (mmdet's
 * `LoadAnnotations(with_bbox=True, with_mask=True)`; here the dataset reads the masks and
 * `LoadAnnotations` `withMask` checks them), and the masks follow the resize, flip and pad.
 * The evaluators report box and mask AP (`bbox_mAP`, ..., `segm_mAP`, ...): the model's
 * predictions must carry `masks`.
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const pad = { type: 'Pad', sizeDivisor: 32 };

export default {
  _base_: ['./coco_detection.ts'],
  trainDataloader: {
    dataset: {
      withMask: true,
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations', withMask: true },
        { type: 'Resize', scale: [1333, 800], keepRatio: true },
        { type: 'RandomFlip', prob: 0.5 },
        normalize,
        pad,
      ],
    },
  },
  valEvaluator: { type: 'CocoMetric', metric: ['bbox', 'segm'] },
  testEvaluator: { type: 'CocoMetric', metric: ['bbox', 'segm'] },
};

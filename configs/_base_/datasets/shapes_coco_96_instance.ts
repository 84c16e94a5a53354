/**
 * The generated shapes set in COCO layout with instance masks (`npm run make-sample-data --
 * data/shapes`, or `-- data/shapes --overlap` for occluding shapes): `shapes_coco_96.ts` with
 * `withMask: true` on the training set (each object's polygon, or the RLE of its visible pixels
 * when occluded, decoded into `gtInstances.masks`) and box and mask AP in evaluation
 * (`CocoMetric` `metric: ['bbox', 'segm']`; the model's predictions must carry `masks`).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const pad = { type: 'Pad', sizeDivisor: 32 };

export default {
  _base_: ['./shapes_coco_96.ts'],
  trainDataloader: {
    dataset: {
      withMask: true,
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations', withMask: true },
        { type: 'Resize', scale: [96, 96], keepRatio: true },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'PhotoMetricDistortion' },
        normalize,
        pad,
      ],
    },
  },
  valEvaluator: { type: 'CocoMetric', metric: ['bbox', 'segm'] },
  testEvaluator: { type: 'CocoMetric', metric: ['bbox', 'segm'] },
};

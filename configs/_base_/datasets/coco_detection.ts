/**
 * COCO 2017 detection (mmdetection 3.x configs/_base_/datasets/coco_detection.py), camelCase:
 * `data/coco/{train2017,val2017}/*.jpg` and `data/coco/annotations/instances_{train,val}2017.json`.
 *
 * Train: Resize to fit 1333×800 keeping the ratio, horizontal flip 0.5. Test: the same resize
 * and LoadAnnotations (as mmdet's test pipeline; the boxes come with the dataset here, so it
 * only marks where mmdet loads them). mmdet's DetDataPreprocessor normalises and then pads to a
 * multiple of 32: here Normalize then Pad(sizeDivisor 32) in the pipeline (padding with 0 after
 * normalisation, as mmdet), and the batch is padded to its largest image by the collate step.
 * The evaluator is mmdet's CocoMetric on the val annotation file.
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const pad = { type: 'Pad', sizeDivisor: 32 };

export default {
  trainDataloader: {
    batchSize: 2,
    numWorkers: 2,
    shuffle: true,
    dataset: {
      type: 'CocoDetection',
      dataRoot: 'data/coco',
      annFile: 'annotations/instances_train2017.json',
      imgDir: 'train2017',
      filterEmptyGt: true,
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'Resize', scale: [1333, 800], keepRatio: true }, { type: 'RandomFlip', prob: 0.5 }, normalize, pad],
    },
  },
  valDataloader: {
    batchSize: 1,
    numWorkers: 2,
    dataset: {
      type: 'CocoDetection',
      dataRoot: 'data/coco',
      annFile: 'annotations/instances_val2017.json',
      imgDir: 'val2017',
      filterEmptyGt: false,
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [1333, 800], keepRatio: true }, { type: 'LoadAnnotations' }, normalize, pad],
    },
  },
  testDataloader: {
    batchSize: 1,
    numWorkers: 2,
    dataset: {
      type: 'CocoDetection',
      dataRoot: 'data/coco',
      annFile: 'annotations/instances_val2017.json',
      imgDir: 'val2017',
      filterEmptyGt: false,
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [1333, 800], keepRatio: true }, { type: 'LoadAnnotations' }, normalize, pad],
    },
  },
  valEvaluator: { type: 'CocoMetric', metric: 'bbox' },
  testEvaluator: { type: 'CocoMetric', metric: 'bbox' },
};

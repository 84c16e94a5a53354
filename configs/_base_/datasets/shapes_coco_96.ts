/**
 * The generated shapes set in COCO layout (`npm run make-sample-data -- data/shapes`):
 * 96x96 JPEGs under `{train2017,val2017}` and `annotations/instances_{train2017,val2017}.json`
 * with categories 1 rectangle, 2 ellipse, 3 triangle (labels 0, 1, 2), one to three
 * objects of 12–57 px per image.
 *
 * The pipelines mirror mmdet's COCO ones at this scale: Resize to 96×96 keeping the ratio
 * (a no-op for the generated images, kept for other inputs), flip and photometric distortion
 * in training, Normalize then Pad to a multiple of 32. Evaluation: CocoMetric (box AP).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const pad = { type: 'Pad', sizeDivisor: 32 };
const testPipeline = [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [96, 96], keepRatio: true }, { type: 'LoadAnnotations' }, normalize, pad];
const val = {
  type: 'CocoDetection',
  dataRoot: 'data/shapes',
  annFile: 'annotations/instances_val2017.json',
  imgDir: 'val2017',
  filterEmptyGt: false,
  pipeline: testPipeline,
};

export default {
  trainDataloader: {
    batchSize: 8,
    numWorkers: 2,
    shuffle: true,
    dataset: {
      type: 'CocoDetection',
      dataRoot: 'data/shapes',
      annFile: 'annotations/instances_train2017.json',
      imgDir: 'train2017',
      filterEmptyGt: true,
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations' },
        { type: 'Resize', scale: [96, 96], keepRatio: true },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'PhotoMetricDistortion' },
        normalize,
        pad,
      ],
    },
  },
  valDataloader: { batchSize: 20, numWorkers: 1, dataset: val },
  testDataloader: { batchSize: 20, numWorkers: 1, dataset: val },
  valEvaluator: { type: 'CocoMetric', metric: 'bbox' },
  testEvaluator: { type: 'CocoMetric', metric: 'bbox' },
};

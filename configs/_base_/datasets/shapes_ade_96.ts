/**
 * The generated shapes set in ADE20K layout (`npm run make-sample-data -- data/shapes`):
 * 96x96 JPEGs under `images/{training,validation}`, grayscale label PNGs under
 * `annotations/{training,validation}` with 0 background, 1 rectangle, 2 ellipse,
 * 3 triangle (no `reduceZeroLabel`: background is a class).
 *
 * Training: random rescale 0.75..1.5, 96x96 crop (no class above 75 % where
 * possible), flip, photometric distortion, padding to 96x96. Test: the image as is
 * (already its original size, so the label map is the original one).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const classes = ['background', 'rectangle', 'ellipse', 'triangle'];
const dataset = { type: 'ADE20KDataset', dataRoot: 'data/shapes', classes, reduceZeroLabel: false };
const testPipeline = [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, normalize];

export default {
  trainDataloader: {
    batchSize: 4,
    numWorkers: 2,
    shuffle: true,
    dataset: {
      ...dataset,
      split: 'train',
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations' },
        { type: 'RandomResize', scale: [96, 96], ratioRange: [0.75, 1.5], keepRatio: true },
        { type: 'RandomCrop', cropSize: [96, 96], catMaxRatio: 0.75 },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'PhotoMetricDistortion' },
        normalize,
        { type: 'Pad', size: [96, 96], padVal: 0, segPadVal: 255 },
      ],
    },
  },
  valDataloader: { batchSize: 8, numWorkers: 1, dataset: { ...dataset, split: 'val', pipeline: testPipeline } },
  testDataloader: { batchSize: 8, numWorkers: 1, dataset: { ...dataset, split: 'val', pipeline: testPipeline } },
  valEvaluator: { type: 'IoUMetric', ignoreIndex: 255 },
  testEvaluator: { type: 'IoUMetric', ignoreIndex: 255 },
};

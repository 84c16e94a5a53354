/**
 * ADE20K (SceneParsing, 150 classes, `reduceZeroLabel`) with mmseg 1.x's 512x512
 * pipelines (`configs/_base_/datasets/ade20k.py`).
 *
 * Training: random resize of (2048, 512) by 0.5..2.0 keeping the ratio, 512x512
 * random crop where no class covers 75 % or more, horizontal flip, photometric
 * distortion, normalisation, and padding to 512x512 (mmseg's data preprocessor
 * pads to `size=crop_size` with 0 / 255).
 *
 * Test: resize to (2048, 512) keeping the ratio. mmseg loads the annotations after
 * the resize so that the label map keeps the original size; our `LoadAnnotations`
 * requires the label map to match the image it follows, so it comes before the
 * resize here, and `IoUMetric` evaluates against the label PNG at its original
 * size (it reloads it for resized samples) — the same comparison as mmseg's.
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const cropSize = [512, 512];

const testPipeline = [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'Resize', scale: [2048, 512], keepRatio: true }, normalize];

export default {
  trainDataloader: {
    batchSize: 2,
    numWorkers: 2,
    shuffle: true,
    dataset: {
      type: 'ADE20KDataset',
      dataRoot: 'data/ade/ADEChallengeData2016',
      split: 'train',
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations' },
        { type: 'RandomResize', scale: [2048, 512], ratioRange: [0.5, 2.0], keepRatio: true },
        { type: 'RandomCrop', cropSize, catMaxRatio: 0.75 },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'PhotoMetricDistortion' },
        normalize,
        { type: 'Pad', size: cropSize, padVal: 0, segPadVal: 255 },
      ],
    },
  },
  valDataloader: {
    batchSize: 1,
    numWorkers: 2,
    dataset: { type: 'ADE20KDataset', dataRoot: 'data/ade/ADEChallengeData2016', split: 'val', pipeline: testPipeline },
  },
  testDataloader: {
    batchSize: 1,
    numWorkers: 2,
    dataset: { type: 'ADE20KDataset', dataRoot: 'data/ade/ADEChallengeData2016', split: 'val', pipeline: testPipeline },
  },
  valEvaluator: { type: 'IoUMetric', ignoreIndex: 255 },
  testEvaluator: { type: 'IoUMetric', ignoreIndex: 255 },
};

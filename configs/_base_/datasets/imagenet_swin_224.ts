/**
 * ImageNet-1k in ImageFolder layout (`<dataRoot>/train/<wnid>/*.JPEG`,
 * `<dataRoot>/val/<wnid>/*.JPEG`), Swin's 224 pipelines. The official recipe's
 * RandAugment and random erasing (in place of ColorJitter) are added by
 * `swin-t_in1k.ts`, its mixup/cutmix by `model.batchAugments` (see README).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

export default {
  trainDataloader: {
    batchSize: 128,
    numWorkers: 2,
    shuffle: true,
    dropLast: true,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/imagenet',
      split: 'train',
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'RandomResizedCrop', size: 224 },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'ColorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4 },
        normalize,
      ],
    },
  },
  valDataloader: {
    batchSize: 64,
    numWorkers: 2,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/imagenet',
      split: 'val',
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'ResizeEdge', scale: 256, edge: 'short' }, { type: 'CenterCrop', cropSize: 224 }, normalize],
    },
  },
  testDataloader: {
    batchSize: 64,
    numWorkers: 2,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/imagenet',
      split: 'val',
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'ResizeEdge', scale: 256, edge: 'short' }, { type: 'CenterCrop', cropSize: 224 }, normalize],
    },
  },
  valEvaluator: { type: 'Accuracy', topk: [1, 5] },
  testEvaluator: { type: 'Accuracy', topk: [1, 5] },
};

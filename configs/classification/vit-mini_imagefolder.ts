/**
 * A small Vision Transformer classifier sized for a 2-core CPU, on an
 * ImageFolder dataset of small images (64x64), like swin-mini_imagefolder.ts:
 * patch 8 (an 8x8 grid of patch tokens + the class token), embed 64, depth 4,
 * 4 heads. Default data: the generated stripes set
 * (`npm run make-sample-data -- data/stripes --classification`).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

export default {
  _base_: ['../_base_/default_runtime.ts'],
  model: {
    type: 'ImageClassifier',
    backbone: {
      type: 'VisionTransformer',
      arch: null,
      embedDim: 64,
      depth: 4,
      numHeads: 4,
      patchSize: 8,
      imgSize: 64,
      dropPathRate: 0.1,
      outputMode: 'tokens',
    },
    head: { type: 'VisionTransformerClsHead', pool: 'cls', loss: { type: 'CrossEntropyLoss', labelSmoothing: 0.1 } },
  },
  trainDataloader: {
    batchSize: 16,
    numWorkers: 2,
    shuffle: true,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/stripes',
      split: 'train',
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'RandomResizedCrop', size: 64, scale: [0.6, 1.0] },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'ColorJitter', brightness: 0.3, contrast: 0.3, saturation: 0.3 },
        normalize,
      ],
    },
  },
  valDataloader: {
    batchSize: 30,
    numWorkers: 1,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/stripes',
      split: 'val',
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [64, 64], keepRatio: false }, normalize],
    },
  },
  testDataloader: {
    batchSize: 30,
    numWorkers: 1,
    dataset: {
      type: 'ImageFolder',
      dataRoot: 'data/stripes',
      split: 'val',
      pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [64, 64], keepRatio: false }, normalize],
    },
  },
  valEvaluator: { type: 'Accuracy', topk: [1, 5] },
  testEvaluator: { type: 'Accuracy', topk: [1, 5] },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, weightDecay: 0.05 },
    clipGrad: { maxNorm: 5.0 },
    paramwiseCfg: {
      normDecayMult: 0.0,
      biasDecayMult: 0.0,
      customKeys: { cls_token: { decayMult: 0.0 }, pos_embed: { decayMult: 0.0 } },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.01, begin: 0, end: 50 },
    { type: 'CosineAnnealingLR', begin: 50, etaMin: 1e-5 },
  ],
  trainCfg: { by: 'iter', maxIters: 400, valInterval: 100 },
  defaultHooks: { checkpoint: { interval: 100, maxKeepCkpts: 2, saveBest: 'accuracy/top1' }, logger: { interval: 10 } },
};

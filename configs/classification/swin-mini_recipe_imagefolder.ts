/**
 * The mini Swin of `swin-mini_imagefolder.ts` with the parts of the ImageNet
 * recipe densekit has: Mixup 0.8 / CutMix 1.0 (switch 0.5, batch mode) with
 * label smoothing 0.1 on the soft targets, RandAugment rand-m9-mstd0.5-inc1
 * (bicubic; ColorJitter off, as timm does with RandAugment) and per-pixel random
 * erasing 0.25. Batch 16 is even, as Mixup needs.
 * Default data: the stripes set (`npm run make-sample-data -- data/stripes --classification`).
 * EMA is not in densekit yet (README, recipe section); its top-1 on the stripes set
 * has not been measured yet.
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

export default {
  _base_: ['./swin-mini_imagefolder.ts'],
  model: {
    batchAugments: { mixupAlpha: 0.8, cutmixAlpha: 1.0, prob: 1.0, switchProb: 0.5, mode: 'batch', labelSmoothing: 0.1 },
  },
  trainDataloader: {
    dropLast: true, // Mixup needs an even batch
    dataset: {
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'RandomResizedCrop', size: 64, scale: [0.6, 1.0] },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'RandAugment', policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic', fillColor: [124, 116, 104] },
        normalize,
        { type: 'RandomErasing', probability: 0.25, mode: 'pixel', minCount: 1, maxCount: 1 },
      ],
    },
  },
};

/**
 * The mini Swin of `swin-mini_imagefolder.ts` with the parts of the ImageNet
 * recipe densekit has: Mixup 0.8 / CutMix 1.0 (switch 0.5, batch mode) with
 * label smoothing 0.1 on the soft targets. Batch 16 is even, as Mixup needs.
 * Default data: the stripes set (`npm run make-sample-data -- data/stripes --classification`).
 * RandAugment, random erasing and EMA are not in densekit yet (README, recipe section);
 * its top-1 on the stripes set has not been measured yet.
 */
export default {
  _base_: ['./swin-mini_imagefolder.ts'],
  model: {
    batchAugments: { mixupAlpha: 0.8, cutmixAlpha: 1.0, prob: 1.0, switchProb: 0.5, mode: 'batch', labelSmoothing: 0.1 },
  },
  trainDataloader: { dropLast: true }, // Mixup needs an even batch
};

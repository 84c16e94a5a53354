/**
 * Swin-T on ImageNet-1k at 224x224, following the official training recipe
 * (batch 1024 = 8 GPUs x 128; lr scaled to the actual batch): AdamW lr 1e-3,
 * wd 0.05, 300 epochs with 20 warm-up then cosine, drop path 0.2, gradient
 * clipping 5.0, Mixup 0.8 / CutMix 1.0 (switch 0.5, batch mode) with label
 * smoothing 0.1 on the soft targets, RandAugment rand-m9-mstd0.5-inc1 (bicubic,
 * fill = the ImageNet mean) and random erasing 0.25 (per-pixel, one box). As in
 * timm's create_transform, ColorJitter is off when RandAugment is on.
 *
 * Not here: EMA (available as EMAHook: add customHooks: [{ type: 'EMAHook', decay: 0.9998 }])
 * and repeated augmentation (not in densekit yet) — see the README's recipe section. RandomResizedCrop resizes bilinearly (the official
 * recipe resizes bicubically).
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

export default {
  _base_: ['../_base_/models/swin_classifier_in1k.ts', '../_base_/datasets/imagenet_swin_224.ts', '../_base_/schedules/imagenet_bs1024_adamw_swin.ts', '../_base_/default_runtime.ts'],
  model: {
    batchAugments: { mixupAlpha: 0.8, cutmixAlpha: 1.0, cutmixMinmax: null, prob: 1.0, switchProb: 0.5, mode: 'batch', correctLam: true, labelSmoothing: 0.1 },
  },
  trainDataloader: {
    dropLast: true, // as timm's train loader; Mixup needs an even batch
    dataset: {
      pipeline: [
        { type: 'LoadImageFromFile' },
        { type: 'RandomResizedCrop', size: 224 },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'RandAugment', policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic', fillColor: [124, 116, 104] },
        normalize,
        { type: 'RandomErasing', probability: 0.25, mode: 'pixel', minCount: 1, maxCount: 1 },
      ],
    },
  },
};

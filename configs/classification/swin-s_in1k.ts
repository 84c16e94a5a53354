/**
 * Swin-S on ImageNet-1k at 224x224, following the official training recipe
 * (batch 1024 = 8 GPUs x 128; lr scaled to the actual batch).
 */
export default {
  _base_: ['../_base_/models/swin_classifier_in1k.ts', '../_base_/datasets/imagenet_swin_224.ts', '../_base_/schedules/imagenet_bs1024_adamw_swin.ts', '../_base_/default_runtime.ts'],
  model: { backbone: { arch: 'small', dropPathRate: 0.3 } },
};

/**
 * DeiT-S ⚗ on ImageNet-1k distilled from a Swin-B teacher, following the DeiT
 * recipe (Touvron et al. 2021, Table 9): hard distillation through the
 * distillation token, AdamW lr 5e-4 per 512 images (scaled to the batch by
 * autoScaleLr), weight decay 0.05, 300 epochs, 5 warm-up epochs then cosine,
 * stochastic depth 0.1, label smoothing 0.1, batch 1024. DeiT's own teacher is
 * a RegNetY-16GF, which is not implemented here; Swin-B (83.5 top-1) is the
 * strong convnet-free alternative we have. Its converted weights go in
 * `teacherWeights` (`npm run convert -- swin_base_patch4_window7_224.pth ...`).
 * RandAugment, mixup/cutmix, random erasing and repeated augmentation are not
 * implemented yet.
 */
export default {
  _base_: ['./deit-tiny_in1k.ts'],
  model: {
    backbone: { arch: 'deit-small', distToken: true },
  },
  distillation: {
    teacherConfig: 'configs/classification/swin-b_in1k.ts',
    teacherWeights: 'work_dirs/teachers/swin-b_in1k.safetensors',
    type: 'hard',
    alpha: 0.5,
  },
};

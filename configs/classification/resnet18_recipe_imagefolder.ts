/**
 * The recipe config `swin-mini_recipe_imagefolder.ts` (Mixup/CutMix with label smoothing, RandAugment, random erasing) with a
 * torchvision ResNet-18 backbone instead of the small Swin: only `model.backbone` differs.
 */
export default {
  _base_: './swin-mini_recipe_imagefolder.ts',
  model: {
    backbone: { _delete_: true, type: 'ResNet', depth: 18, outIndices: [3] },
  },
};

/**
 * The mini DeiT student distilled from a trained mini Swin teacher (DeiT's hard
 * distillation through the distillation token). Train the teacher first:
 *
 *   npm run train -- --config configs/classification/swin-mini_imagefolder.ts --work-dir work_dirs/swin-mini_imagefolder
 *   npm run train -- --config configs/classification/deit-mini_distill_imagefolder.ts
 *
 * (`npm run distill-check` does all of it and compares with the undistilled student.)
 */
export default {
  _base_: ['./deit-mini_imagefolder.ts'],
  distillation: {
    teacherConfig: 'configs/classification/swin-mini_imagefolder.ts',
    teacherWeights: 'work_dirs/swin-mini_imagefolder/latest.safetensors',
    type: 'hard',
    alpha: 0.5,
  },
};

/**
 * A mini DeiT student for the stripes ImageFolder set: the ViT of
 * vit-mini_imagefolder.ts with a distillation token (DeiT ⚗); without a teacher
 * it trains both heads on the labels. The distilled variant is
 * deit-mini_distill_imagefolder.ts. Shorter schedule than the ViT mini config,
 * so that the effect of the teacher shows.
 */
export default {
  _base_: ['./vit-mini_imagefolder.ts'],
  model: { backbone: { distToken: true } },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.01, begin: 0, end: 30 },
    { type: 'CosineAnnealingLR', begin: 30, etaMin: 1e-5 },
  ],
  trainCfg: { by: 'iter', maxIters: 150, valInterval: 50 },
  defaultHooks: { checkpoint: { interval: 50, maxKeepCkpts: 1, saveBest: 'accuracy/top1' }, logger: { interval: 10 } },
};

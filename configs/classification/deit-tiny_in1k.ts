/**
 * DeiT-Ti (Touvron et al. 2021) on ImageNet-1k at 224x224: ViT-Ti/16 (embed 192,
 * depth 12, 3 heads; 5,717,416 parameters with the 1000-class head), class-token
 * head, following the DeiT recipe: AdamW, lr 5e-4 per 512 images (1e-3 at batch
 * 1024, scaled to the actual batch by autoScaleLr), weight decay 0.05 except on
 * norms, biases, tokens and the position embedding, stochastic depth 0.1, label
 * smoothing 0.1, 300 epochs with 5 epochs of linear warm-up then cosine decay
 * to 1e-5. RandAugment, mixup/cutmix, random erasing and repeated augmentation
 * of the recipe are not implemented yet.
 *
 * Weights: the official DeiT checkpoint `deit_tiny_patch16_224-a1311bcf.pth`
 * (or timm's `deit_tiny_patch16_224`) loads directly (layout 'vit-timm').
 * For the distilled DeiT-Ti ⚗ (5,910,800 parameters), set
 * `model.backbone.distToken: true`: the head then gains `head_dist` and averages
 * both classifiers at inference.
 */
export default {
  _base_: ['../_base_/datasets/imagenet_swin_224.ts', '../_base_/default_runtime.ts'],
  model: {
    type: 'ImageClassifier',
    backbone: { type: 'VisionTransformer', arch: 'deit-tiny', imgSize: 224, dropPathRate: 0.1, outputMode: 'tokens' },
    head: { type: 'VisionTransformerClsHead', numClasses: 1000, pool: 'cls', loss: { type: 'CrossEntropyLoss', labelSmoothing: 0.1 } },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, weightDecay: 0.05, eps: 1e-8, betas: [0.9, 0.999] },
    paramwiseCfg: {
      normDecayMult: 0.0,
      biasDecayMult: 0.0,
      customKeys: {
        cls_token: { decayMult: 0.0 },
        dist_token: { decayMult: 0.0 },
        pos_embed: { decayMult: 0.0 },
      },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-3, byEpoch: true, begin: 0, end: 5 },
    { type: 'CosineAnnealingLR', etaMin: 1e-5, byEpoch: true, begin: 5, end: 300 },
  ],
  trainCfg: { by: 'epoch', maxEpochs: 300, valInterval: 1 },
  autoScaleLr: { enable: true, baseBatchSize: 1024 },
};

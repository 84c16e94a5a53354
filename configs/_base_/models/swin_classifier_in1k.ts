/**
 * Swin ImageNet-1k classifier (Liu et al. 2021); arch tiny here (Swin-T: 28,288,354 parameters),
 * the S and B configs override it.
 * The backbone's output norm `norm3` is Swin's final LayerNorm; the head pools
 * and classifies.
 */
export default {
  model: {
    type: 'ImageClassifier',
    backbone: { type: 'SwinTransformer', arch: 'tiny', dropPathRate: 0.2, outIndices: [3] },
    head: { type: 'LinearClsHead', numClasses: 1000, loss: { type: 'CrossEntropyLoss', labelSmoothing: 0.1 } },
  },
};

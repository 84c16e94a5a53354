/**
 * A small hybrid CNN + Transformer classifier (ResNet-18 stages at half width →
 * a 2-block ViT over the stride-16 map, classified on its class token) on the
 * stripes ImageFolder set, like vit-mini_imagefolder.ts.
 */
export default {
  _base_: ['./vit-mini_imagefolder.ts'],
  model: {
    backbone: {
      _delete_: true,
      type: 'HybridViT',
      cnn: { depth: 18, baseChannels: 32 },
      vit: { arch: null, embedDim: 64, depth: 2, numHeads: 4, imgSize: 64, dropPathRate: 0.1 },
      outputMode: 'tokens',
    },
  },
};

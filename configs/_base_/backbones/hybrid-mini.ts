/** A small hybrid: ResNet-18 stages 1–3 (half width) → a 2-block ViT on the stride-16 map; outputs at strides 4–32. */
export default {
  type: 'HybridViT',
  cnn: { depth: 18, baseChannels: 32 },
  vit: { arch: null, embedDim: 64, depth: 2, numHeads: 4, imgSize: 96, dropPathRate: 0.1 },
  outputMode: 'multiscale',
};

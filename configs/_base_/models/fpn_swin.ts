/**
 * Semantic FPN (Kirillov et al. 2019; mmseg 1.x `configs/_base_/models/fpn_r50.py`)
 * on a Swin-T backbone: FPN neck (256 channels, one level per stage) and FPNHead
 * (channels 128, strides 4, 8, 16, 32). mmseg's SyncBN is plain BN here. 150 classes.
 */
const normCfg = { type: 'BN' };

export default {
  model: {
    type: 'EncoderDecoder',
    backbone: { type: 'SwinTransformer', arch: 'tiny', dropPathRate: 0.3, outIndices: [0, 1, 2, 3] },
    neck: { type: 'FPN', outChannels: 256, numOuts: 4 },
    decodeHead: {
      type: 'FPNHead',
      inIndex: [0, 1, 2, 3],
      featureStrides: [4, 8, 16, 32],
      channels: 128,
      dropoutRatio: 0.1,
      numClasses: 150,
      normCfg,
      alignCorners: false,
      lossDecode: { type: 'CrossEntropyLoss', lossWeight: 1.0 },
    },
    testCfg: { mode: 'whole' },
  },
};

/**
 * UPerNet with a Swin-T backbone (mmseg 1.x `configs/_base_/models/upernet_swin.py`
 * with the Swin-T settings of `swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py`):
 * UPerHead on all four stages (channels 512, pool scales 1, 2, 3, 6) and an FCN
 * auxiliary head on stage 3 (channels 256, one conv, loss weight 0.4).
 * mmseg's SyncBN is plain BN here (one device). 150 classes (ADE20K).
 * Parameters: 59,941,862 (backbone 27,520,698; UPerHead 31,497,366; FCN head 923,798).
 */
const normCfg = { type: 'BN' };

export default {
  model: {
    type: 'EncoderDecoder',
    backbone: {
      type: 'SwinTransformer',
      arch: 'tiny',
      windowSize: 7,
      mlpRatio: 4,
      qkvBias: true,
      dropRate: 0.0,
      attnDropRate: 0.0,
      dropPathRate: 0.3,
      useAbsPosEmbed: false,
      patchNorm: true,
      outIndices: [0, 1, 2, 3],
    },
    decodeHead: {
      type: 'UPerHead',
      inIndex: [0, 1, 2, 3],
      poolScales: [1, 2, 3, 6],
      channels: 512,
      dropoutRatio: 0.1,
      numClasses: 150,
      normCfg,
      alignCorners: false,
      lossDecode: { type: 'CrossEntropyLoss', lossWeight: 1.0 },
    },
    auxiliaryHead: {
      type: 'FCNHead',
      inIndex: 2,
      channels: 256,
      numConvs: 1,
      concatInput: false,
      dropoutRatio: 0.1,
      numClasses: 150,
      normCfg,
      alignCorners: false,
      lossDecode: { type: 'CrossEntropyLoss', lossWeight: 0.4 },
    },
    testCfg: { mode: 'whole' },
  },
};

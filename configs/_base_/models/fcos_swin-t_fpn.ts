/**
 * FCOS with a Swin-T backbone, camelCase. The head follows mmdetection 3.x's
 * "center-normbbox-centeronreg-giou" FCOS recipe
 * (configs/fcos/fcos_r50-caffe_fpn_gn-head-center-normbbox-centeronreg-giou_1x_coco.py:
 * centre sampling, distances in stride units, centerness on the regression tower,
 * biased GN convs, GIoU loss, NMS IoU 0.6) on top of fcos_r50-caffe_fpn_gn-head_1x_coco.py;
 * the backbone/neck wiring is the one of mmdet's RetinaNet Swin-T config.
 *
 * - Backbone: Swin-T stages 2–4 (`outIndices: [1, 2, 3]`), stochastic depth 0.2; pretrained
 *   weights via `--load-from` a converted ImageNet checkpoint (see retinanet_swin-t_fpn.ts).
 * - Neck: FPN, 256 channels, `startLevel: 0`, extra convs on the last output (`'on_output'`,
 *   FCOS's "use P5") with ReLU between them → P3–P7 at strides 8–128.
 * - Head: FCOSHead, 4 stacked GN(32) convs of 256 channels per tower, regress ranges
 *   (-1, 64), (64, 128), (128, 256), (256, 512), (512, ∞); focal + GIoU + centerness BCE.
 */
export default {
  model: {
    type: 'FCOS',
    backbone: {
      type: 'SwinTransformer',
      arch: 'tiny',
      windowSize: 7,
      mlpRatio: 4,
      qkvBias: true,
      qkScale: null,
      dropRate: 0,
      attnDropRate: 0,
      dropPathRate: 0.2,
      patchNorm: true,
      outIndices: [1, 2, 3],
      // Activation checkpointing (mmdet's with_cp): true recomputes each block's activations in
      // backward instead of keeping them — less peak memory for a second forward of every block.
      withCp: false,
    },
    neck: { type: 'FPN', outChannels: 256, startLevel: 0, addExtraConvs: 'on_output', numOuts: 5, reluBeforeExtraConvs: true },
    bboxHead: {
      type: 'FCOSHead',
      numClasses: 80,
      stackedConvs: 4,
      featChannels: 256,
      strides: [8, 16, 32, 64, 128],
      regressRanges: [
        [-1, 64],
        [64, 128],
        [128, 256],
        [256, 512],
        [512, 1e8],
      ],
      normOnBbox: true,
      centernessOnReg: true,
      centerSampling: true,
      centerSampleRadius: 1.5,
      convBias: true,
      normCfg: { type: 'GN', numGroups: 32, requiresGrad: true },
      lossCls: { type: 'FocalLoss', useSigmoid: true, gamma: 2.0, alpha: 0.25, lossWeight: 1.0 },
      lossBbox: { type: 'GIoULoss', lossWeight: 1.0 },
      lossCenterness: { type: 'CrossEntropyLoss', useSigmoid: true, lossWeight: 1.0 },
    },
    testCfg: { nmsPre: 1000, minBboxSize: 0, scoreThr: 0.05, nms: { type: 'nms', iouThreshold: 0.6 }, maxPerImg: 100 },
  },
};

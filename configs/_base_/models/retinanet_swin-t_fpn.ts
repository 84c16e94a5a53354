/**
 * RetinaNet with a Swin-T backbone (mmdetection 3.x configs/swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py
 * on configs/_base_/models/retinanet_r50_fpn.py), camelCase.
 *
 * - Backbone: Swin-T, stages 2–4 (`outIndices: [1, 2, 3]`, strides 8/16/32, channels 192/384/768),
 *   stochastic depth 0.2. Pretrained weights are not fetched here: convert the official
 *   ImageNet checkpoint (swin_tiny_patch4_window7_224.pth, or torchvision's swin_t) and pass it
 *   with `npm run train -- --config ... --load-from <file>` (the `.pth` is converted on the fly;
 *   `backbone.*` keys load, the detector's neck and head keep their initialisation).
 * - Neck: FPN on those three maps (input channels come from the backbone's declared outputs),
 *   256 channels, `startLevel: 0`, two extra stride-2 convs on the last input (`'on_input'`)
 *   → P3–P7 at strides 8–128.
 * - Head: RetinaHead, 4 stacked convs of 256 channels, 9 anchors per location (octave base 4,
 *   3 scales per octave, ratios 0.5/1/2), focal loss (γ 2, α 0.25) and L1 on the deltas.
 */
export default {
  model: {
    type: 'RetinaNet',
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
    neck: { type: 'FPN', outChannels: 256, startLevel: 0, addExtraConvs: 'on_input', numOuts: 5 },
    bboxHead: {
      type: 'RetinaHead',
      numClasses: 80,
      stackedConvs: 4,
      featChannels: 256,
      anchorGenerator: {
        type: 'AnchorGenerator',
        octaveBaseScale: 4,
        scalesPerOctave: 3,
        ratios: [0.5, 1.0, 2.0],
        strides: [8, 16, 32, 64, 128],
      },
      bboxCoder: { type: 'DeltaXYWHBBoxCoder', targetMeans: [0, 0, 0, 0], targetStds: [1, 1, 1, 1] },
      lossCls: { type: 'FocalLoss', useSigmoid: true, gamma: 2.0, alpha: 0.25, lossWeight: 1.0 },
      lossBbox: { type: 'L1Loss', lossWeight: 1.0 },
    },
    trainCfg: {
      assigner: { type: 'MaxIoUAssigner', posIouThr: 0.5, negIouThr: 0.4, minPosIou: 0, ignoreIofThr: -1 },
      sampler: { type: 'PseudoSampler' },
      allowedBorder: -1,
      posWeight: -1,
      debug: false,
    },
    testCfg: { nmsPre: 1000, minBboxSize: 0, scoreThr: 0.05, nms: { type: 'nms', iouThreshold: 0.5 }, maxPerImg: 100 },
  },
};

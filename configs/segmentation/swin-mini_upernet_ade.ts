/**
 * A small Swin + UPerNet (+ FCN auxiliary head on stage 3), sized for a 2-core CPU,
 * on the generated shapes set in ADE20K layout (4 classes; background is a class).
 * Same structure as the published Swin-T UPerNet (`swin-t_upernet_ade20k-512.ts`),
 * narrower and shallower (2.5M parameters); batch 4 (BN in the PPM needs ≥ 2).
 *
 * Tuned to learn within minutes from 120 images:
 * - the heads train at 10× the backbone's lr (with 32 channels and conv_seg
 *   initialised at std 0.01, AdamW at 1e-3 needs hundreds of steps just to grow the logits);
 * - background weighs 0.3 in the cross-entropy (it covers ~85 % of the pixels;
 *   unweighted, the model predicts only background for the first ~400 iterations);
 * - augmentation is a flip only and drop path is off (the rescale/crop/photometric
 *   pipeline of the full config slows fitting on 120 images).
 *
 * Measured: see the README (`npm run learning-check -- segmentation`).
 *
 *   npm run make-sample-data -- data/shapes
 *   npm run train -- --config configs/segmentation/swin-mini_upernet_ade.ts
 */
const normalize = { type: 'Normalize', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

export default {
  _base_: ['../_base_/models/upernet_swin.ts', '../_base_/datasets/shapes_ade_96.ts', '../_base_/default_runtime.ts'],
  model: {
    backbone: { arch: null, embedDim: 32, depths: [2, 2, 2, 2], numHeads: [1, 2, 4, 8], windowSize: 6, dropPathRate: 0.0 },
    decodeHead: { channels: 32, numClasses: null, lossDecode: { classWeight: [0.3, 1, 1, 1] } },
    auxiliaryHead: { channels: 16, numClasses: null, lossDecode: { classWeight: [0.3, 1, 1, 1] } },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], weightDecay: 0.01 },
    paramwiseCfg: {
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
        norm: { decayMult: 0.0 },
        decode_head: { lrMult: 10.0 },
        auxiliary_head: { lrMult: 10.0 },
      },
    },
  },
  trainDataloader: {
    dataset: { pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'RandomFlip', prob: 0.5 }, normalize] },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-3, begin: 0, end: 30 },
    { type: 'PolyLR', power: 1.0, etaMin: 1e-5, begin: 30 },
  ],
  trainCfg: { by: 'iter', maxIters: 600, valInterval: 200 },
  defaultHooks: { checkpoint: { interval: 200, maxKeepCkpts: 2, saveBest: 'mIoU' }, logger: { interval: 20 } },
};

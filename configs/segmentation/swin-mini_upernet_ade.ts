/**
 * A small Swin + UPerNet (+ FCN auxiliary head on stage 3), sized for a 2-core CPU,
 * on the generated shapes set in ADE20K layout (4 classes; background is a class).
 * Same structure as the published Swin-T UPerNet (`swin-t_upernet_ade20k-512.ts`),
 * narrower and shallower (2.5M parameters); batch 4 (BN in the PPM needs ≥ 2).
 *
 * The heads train at 10× the backbone's lr: with 32 channels and conv_seg
 * initialised at std 0.01, AdamW at 1e-3 needs hundreds of steps just to grow the
 * logits (measured: even an input that encodes the labels as colours learns slowly).
 *
 * Measured (2-core CPU shared with other jobs, load ≈ 1.3): 800 iterations in
 * 9 min 12 s, mIoU 0.306 on the 40 validation images (background 0.94, ellipse
 * 0.28). The 120 training images do not suffice for the shape classes: the same
 * network in PyTorch, and plain CNNs, memorise them (train pixel accuracy ≈ 98 %)
 * and stay at mIoU 0.35–0.38 after 2000–3000 iterations; a CNN on 1000 generated
 * training images passes 0.6 after ~2000 iterations (0.86 at 3000).
 *
 *   npm run make-sample-data -- data/shapes
 *   npm run train -- --config configs/segmentation/swin-mini_upernet_ade.ts
 */
export default {
  _base_: ['../_base_/models/upernet_swin.ts', '../_base_/datasets/shapes_ade_96.ts', '../_base_/default_runtime.ts'],
  model: {
    backbone: { arch: null, embedDim: 32, depths: [2, 2, 2, 2], numHeads: [1, 2, 4, 8], windowSize: 6, dropPathRate: 0.1 },
    decodeHead: { channels: 32, numClasses: null },
    auxiliaryHead: { channels: 16, numClasses: null },
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
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-3, begin: 0, end: 30 },
    { type: 'PolyLR', power: 1.0, etaMin: 1e-5, begin: 30 },
  ],
  trainCfg: { by: 'iter', maxIters: 800, valInterval: 200 },
  defaultHooks: { checkpoint: { interval: 200, maxKeepCkpts: 2, saveBest: 'mIoU' }, logger: { interval: 20 } },
};

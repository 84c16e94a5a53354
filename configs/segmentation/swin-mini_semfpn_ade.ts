/**
 * The lighter alternative to `swin-mini_upernet_ade.ts`: the same small Swin with
 * an FPN neck and the Semantic FPN head (no PPM, no auxiliary head), on the
 * generated shapes set in ADE20K layout (4 classes).
 *
 *   npm run make-sample-data -- data/shapes
 *   npm run train -- --config configs/segmentation/swin-mini_semfpn_ade.ts
 */
export default {
  _base_: ['../_base_/models/fpn_swin.ts', '../_base_/datasets/shapes_ade_96.ts', '../_base_/default_runtime.ts'],
  model: {
    backbone: { arch: null, embedDim: 32, depths: [2, 2, 2, 2], numHeads: [1, 2, 4, 8], windowSize: 6, dropPathRate: 0.1 },
    neck: { outChannels: 32 },
    decodeHead: { channels: 32, numClasses: null },
  },
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], weightDecay: 0.01 },
    paramwiseCfg: {
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
        norm: { decayMult: 0.0 },
        decode_head: { lrMult: 10.0 },
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

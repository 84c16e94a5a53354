/**
 * A short schedule for the mini detectors on the generated shapes set (2-core CPU):
 * AdamW lr 1e-3 (from scratch), weight decay 0.05 except on position tables and norms,
 * gradient clipping at 10, linear warm-up over 30 iterations then cosine decay;
 * validation every 100 iterations, keeping the best bbox_mAP_50 checkpoint.
 */
export default {
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], weightDecay: 0.05 },
    clipGrad: { maxNorm: 10 },
    paramwiseCfg: {
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
        norm: { decayMult: 0.0 },
      },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.01, byEpoch: false, begin: 0, end: 30 },
    { type: 'CosineAnnealingLR', byEpoch: false, begin: 30, etaMin: 1e-5 },
  ],
  trainCfg: { by: 'iter', maxIters: 300, valInterval: 100 },
  defaultHooks: { checkpoint: { interval: 100, maxKeepCkpts: 1, saveBest: 'bbox_mAP_50' }, logger: { interval: 10 } },
};

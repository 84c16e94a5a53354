/**
 * Swin's ImageNet recipe: AdamW, lr 1e-3 at batch 1024 (scaled linearly with the
 * actual batch through autoScaleLr), weight decay 0.05 except on norms, biases
 * and position tables, gradient clipping at 5.0, 300 epochs with 20 epochs of
 * linear warm-up then cosine decay.
 */
export default {
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 1e-3, weightDecay: 0.05, eps: 1e-8, betas: [0.9, 0.999] },
    clipGrad: { maxNorm: 5.0 },
    paramwiseCfg: {
      normDecayMult: 0.0,
      biasDecayMult: 0.0,
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
      },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-3, byEpoch: true, begin: 0, end: 20 },
    { type: 'CosineAnnealingLR', etaMin: 1e-5, byEpoch: true, begin: 20, end: 300 },
  ],
  trainCfg: { by: 'epoch', maxEpochs: 300, valInterval: 1 },
  autoScaleLr: { enable: true, baseBatchSize: 1024 },
};

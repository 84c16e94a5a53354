/**
 * The Swin + UPerNet ADE20K schedule (mmseg 1.x swin-*_upernet_8xb2-160k configs):
 * AdamW lr 6e-5, betas (0.9, 0.999), weight decay 0.01 except on
 * `absolute_pos_embed`, `relative_position_bias_table` and every parameter whose
 * name contains `norm` (mmseg's `custom_keys`); linear warm-up from 1e-6 × lr
 * over 1500 iterations, then poly decay (power 1) to 0 at 160k iterations;
 * validation and checkpoints every 16k iterations.
 *
 * The lr belongs to the published total batch of 16 (8 GPUs × 2 images). The
 * config using this schedule sets `batchSize: 16` on one device, which is also
 * what SyncBN computed its statistics over. `autoScaleLr` is off (as in mmseg);
 * with a smaller batch, enable it (base 16) to scale the lr linearly.
 */
export default {
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 6e-5, betas: [0.9, 0.999], weightDecay: 0.01 },
    clipGrad: null,
    paramwiseCfg: {
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
        norm: { decayMult: 0.0 },
      },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 1e-6, byEpoch: false, begin: 0, end: 1500 },
    { type: 'PolyLR', power: 1.0, etaMin: 0.0, byEpoch: false, begin: 1500, end: 160000 },
  ],
  trainCfg: { by: 'iter', maxIters: 160000, valInterval: 16000 },
  defaultHooks: { checkpoint: { interval: 16000, maxKeepCkpts: 3 }, logger: { interval: 50 } },
  autoScaleLr: { enable: false, baseBatchSize: 16 },
};

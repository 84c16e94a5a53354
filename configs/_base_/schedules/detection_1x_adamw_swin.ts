/**
 * The 1x schedule of mmdetection's Swin detectors (configs/swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py
 * with configs/_base_/schedules/schedule_1x.py), camelCase: AdamW lr 1e-4, betas (0.9, 0.999),
 * weight decay 0.05 except on `absolute_pos_embed`, `relative_position_bias_table` and any
 * parameter whose name contains `norm` (mmdet's custom_keys, substring match); 12 epochs,
 * linear warm-up over the first 500 iterations from 0.001×, then ×0.1 at epochs 8 and 11
 * (epoch-clocked, as mmengine's MultiStepLR with by_epoch=True). Validation every epoch.
 *
 * Batch: mmdet trains with 16 images per iteration (8 GPUs × 2). The dataset base sets
 * batchSize 2 per step; the detection configs raise it to 16 (one process). With less memory,
 * keep batchSize 2 and set `optimWrapper.accumulativeCounts: 8` (then an iteration of the
 * schedule is one micro-batch: scale the warm-up end to 4000).
 */
export default {
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: 0.0001, betas: [0.9, 0.999], weightDecay: 0.05 },
    paramwiseCfg: {
      customKeys: {
        absolute_pos_embed: { decayMult: 0.0 },
        relative_position_bias_table: { decayMult: 0.0 },
        norm: { decayMult: 0.0 },
      },
    },
  },
  paramScheduler: [
    { type: 'LinearLR', startFactor: 0.001, byEpoch: false, begin: 0, end: 500 },
    { type: 'MultiStepLR', begin: 0, end: 12, byEpoch: true, convertToIterBased: false, milestones: [8, 11], gamma: 0.1 },
  ],
  trainCfg: { by: 'epoch', maxEpochs: 12, valInterval: 1 },
  defaultHooks: { checkpoint: { interval: 1, maxKeepCkpts: 3, saveBest: 'bbox_mAP' }, logger: { interval: 50 } },
  autoScaleLr: { enable: false, baseBatchSize: 16 },
};

/**
 * The published recipe: UPerNet + Swin-T (ImageNet-1k pre-trained, window 7) on
 * ADE20K at 512x512, 160k iterations (mmseg 1.x
 * `swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py`;
 * 44.4 mIoU single-scale in mmseg's README, 59.9M parameters — Swin paper: 60M).
 *
 * Batch: the recipe is 8 GPUs × 2 images with SyncBN; here one device takes the
 * whole batch of 16, so BN statistics and the lr (6e-5) are those of the recipe.
 * With less memory, set `trainDataloader.batchSize: 2` and
 * `autoScaleLr.enable: true` (lr scaled by 2/16) — or use gradient accumulation
 * (`optimWrapper.accumulativeCounts: 8`, lr unchanged, BN over 2 images).
 *
 * Test: mode 'whole' on the (2048, 512)-resized image, as mmseg's
 * `upernet_swin.py` (mmseg's slide 512/341 belongs to other ADE20K configs).
 * Fine-tune from converted ImageNet weights with
 * `npm run train -- --config <this> --load-from swin_tiny_patch4_window7_224.pth`.
 */
export default {
  _base_: ['../_base_/models/upernet_swin.ts', '../_base_/datasets/ade20k_512.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_160k_adamw_swin.ts'],
  model: {
    // withCp (mmdet's with_cp): true recomputes each Swin block's activations in backward instead of
    // keeping them — less peak memory, for a second forward of every block. Useful with batch 16.
    backbone: { arch: 'tiny', windowSize: 7, dropPathRate: 0.3, useAbsPosEmbed: false, patchNorm: true, withCp: false },
    decodeHead: { numClasses: 150 },
    auxiliaryHead: { numClasses: 150 },
    testCfg: { mode: 'whole' },
  },
  trainDataloader: { batchSize: 16 },
  defaultHooks: { checkpoint: { interval: 16000, maxKeepCkpts: 3, saveBest: 'mIoU' }, logger: { interval: 50 } },
};

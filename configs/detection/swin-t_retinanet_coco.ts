/**
 * RetinaNet, Swin-T + FPN, COCO 2017, 1x schedule at 1333×800 (mmdetection 3.x
 * configs/swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py, with the AdamW recipe of mmdet's
 * Swin detectors instead of that file's SGD).
 *
 * Pretrained backbone: the run does not download weights. Get the official Swin-T
 * ImageNet checkpoint (swin_tiny_patch4_window7_224.pth from the SwinTransformer releases, or
 * torchvision's swin_t) and start from it:
 *   npm run train -- --config configs/detection/swin-t_retinanet_coco.ts --load-from swin_tiny_patch4_window7_224.pth
 * (or convert it once with `npm run convert` and pass the .safetensors). Only `backbone.*`
 * keys fit; the FPN and head start from their initialisation, as in mmdet.
 *
 * Batch 16 per iteration as mmdet's 8 GPUs × 2 images (see the schedule base for a
 * low-memory variant with gradient accumulation).
 */
export default {
  _base_: ['../_base_/default_runtime.ts', '../_base_/models/retinanet_swin-t_fpn.ts', '../_base_/datasets/coco_detection.ts', '../_base_/schedules/detection_1x_adamw_swin.ts'],
  trainDataloader: { batchSize: 16 },
};

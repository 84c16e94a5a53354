/**
 * FCOS, Swin-T + FPN, COCO 2017, 1x schedule at 1333×800: mmdetection 3.x's FCOS
 * "center-normbbox-centeronreg-giou" head (GN, centre sampling, GIoU) on the Swin-T backbone
 * and FPN wiring of mmdet's Swin RetinaNet, with the AdamW recipe of mmdet's Swin detectors.
 *
 * Pretrained backbone: as configs/detection/swin-t_retinanet_coco.ts —
 *   npm run train -- --config configs/detection/swin-t_fcos_coco.ts --load-from swin_tiny_patch4_window7_224.pth
 * (the official Swin-T ImageNet checkpoint or torchvision's swin_t, converted on the fly;
 * only `backbone.*` keys fit).
 *
 * Batch 16 per iteration as mmdet's 8 GPUs × 2 images.
 */
export default {
  _base_: ['../_base_/default_runtime.ts', '../_base_/models/fcos_swin-t_fpn.ts', '../_base_/datasets/coco_detection.ts', '../_base_/schedules/detection_1x_adamw_swin.ts'],
  trainDataloader: { batchSize: 16 },
};

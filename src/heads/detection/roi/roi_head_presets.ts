/**
 * `StandardRoIHead` configs with the settings of the two references:
 *
 * | setting | mmdet 3.x Mask R-CNN (`mask-rcnn_r50_fpn.py`) | torchvision 0.14 `maskrcnn_resnet50_fpn` |
 * | --- | --- | --- |
 * | RoIAlign | `sampling_ratio=0` (adaptive), `aligned=True` | `sampling_ratio=2`, `aligned=False` |
 * | FPN level of a RoI | `floor(log2(s/56 + 1e-6))` | `floor(4 + log2(s/224) + 1e-6) − 2` |
 * | box loss | `L1Loss` | smooth L1, β = 1/9 |
 * | mask targets | aligned crop, binarised at 0.5 | unaligned crop, soft |
 * | test | score > 0.05, NMS 0.5, 100 per image | the same, plus boxes smaller than 0.01 px dropped |
 * | sampling | 512 RoIs, 25 % positive, IoU 0.5 (torchvision: `Matcher(0.5, 0.5)` without low-quality matches) | 512 RoIs, 25 % positive |
 */
import type { ConfigObject } from '../../../registry/options.js';

/** mmdet 3.x Mask R-CNN's `roi_head` (+ `train_cfg.rcnn`, `test_cfg.rcnn`); `numClasses` from the dataset. */
export const MMDET_MASK_RCNN_ROI_HEAD: ConfigObject = {
  type: 'StandardRoIHead',
  bboxRoiExtractor: { type: 'SingleRoIExtractor', roiLayer: { type: 'RoIAlign', outputSize: 7, samplingRatio: 0, aligned: true } },
  bboxHead: { type: 'Shared2FCBBoxHead', lossBbox: { type: 'L1Loss', lossWeight: 1 } },
  maskRoiExtractor: { type: 'SingleRoIExtractor', roiLayer: { type: 'RoIAlign', outputSize: 14, samplingRatio: 0, aligned: true } },
  maskHead: { type: 'FCNMaskHead' },
};

/** mmdet 3.x Faster R-CNN's `roi_head`: no mask branch, and no low-quality matches in the assigner. */
export const MMDET_FASTER_RCNN_ROI_HEAD: ConfigObject = {
  type: 'StandardRoIHead',
  bboxRoiExtractor: { type: 'SingleRoIExtractor', roiLayer: { type: 'RoIAlign', outputSize: 7, samplingRatio: 0, aligned: true } },
  bboxHead: { type: 'Shared2FCBBoxHead', lossBbox: { type: 'L1Loss', lossWeight: 1 } },
  trainCfg: { assigner: { matchLowQuality: false } },
};

/** torchvision 0.14 `maskrcnn_resnet50_fpn`'s `roi_heads` settings. */
export const TORCHVISION_MASK_RCNN_ROI_HEAD: ConfigObject = {
  type: 'StandardRoIHead',
  bboxRoiExtractor: {
    type: 'SingleRoIExtractor',
    roiLayer: { type: 'RoIAlign', outputSize: 7, samplingRatio: 2, aligned: false },
    levelMapping: 'torchvision',
  },
  bboxHead: { type: 'Shared2FCBBoxHead', lossBbox: { type: 'SmoothL1Loss', beta: 1 / 9, lossWeight: 1 } },
  maskRoiExtractor: {
    type: 'SingleRoIExtractor',
    roiLayer: { type: 'RoIAlign', outputSize: 14, samplingRatio: 2, aligned: false },
    levelMapping: 'torchvision',
  },
  maskHead: { type: 'FCNMaskHead' },
  trainCfg: { assigner: { matchLowQuality: false }, maskTargetStyle: 'torchvision' },
  testCfg: { minBboxSize: 0.01 },
};

/**
 * torchvision Faster / Mask R-CNN `roi_heads.*` keys → our {@link StandardRoIHead} names, for the
 * whole-model converter to call on every key (it handles backbone, FPN and RPN keys itself).
 *
 * | torchvision 0.14 (`fasterrcnn_resnet50_fpn`, `maskrcnn_resnet50_fpn`) | ours (mmdet names) |
 * | --- | --- |
 * | `roi_heads.box_head.fc6.*`, `fc7.*` | `roi_head.bbox_head.shared_fcs.0.*`, `.1.*` (same `(C, 7, 7)` flatten order) |
 * | `roi_heads.box_predictor.cls_score.*` `[K+1, …]`, background first | `roi_head.bbox_head.fc_cls.*`, rows `1…K, 0` (background last) |
 * | `roi_heads.box_predictor.bbox_pred.*` `[4(K+1), …]` | `roi_head.bbox_head.fc_reg.*`, the background's 4 rows dropped |
 * | `roi_heads.mask_head.{i}.0.*` (v2) or `mask_head.mask_fcn{i+1}.*` (v1) | `roi_head.mask_head.convs.{i}.conv.*` |
 * | `roi_heads.mask_predictor.conv5_mask.*` `[256, 256, 2, 2]` | `roi_head.mask_head.upsample.*` (same layout) |
 * | `roi_heads.mask_predictor.mask_fcn_logits.*` `[K+1, …]` | `roi_head.mask_head.conv_logits.*`, the background's map dropped |
 *
 * torchvision's box-coder weights (10, 10, 5, 5) are mmdet's target stds (0.1, 0.1, 0.2, 0.2), so
 * no weight is rescaled. torchvision's COCO models have K = 90 (91 with background: COCO's
 * category ids 1…90 including unused ones), so their class `k` is COCO category id `k + 1`.
 *
 * mmdet 3.x and mmdet 2.x (Swin-Transformer-Object-Detection) checkpoints already use our names
 * (`roi_head.bbox_head.shared_fcs.0.weight`, `roi_head.mask_head.convs.0.conv.weight`, …).
 */
import type { HostTensor } from '../host_tensor.js';
import { takeRowsHost } from './host_ops.js';
import type { KeyMapping } from './layout.js';

const TV_PREFIX = 'roi_heads.';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Whether the keys hold torchvision's R-CNN second stage. */
export function hasTorchvisionRoIHeads(keys: readonly string[]): boolean {
  return keys.some((k) => k === 'roi_heads.box_head.fc6.weight' || k === 'module.roi_heads.box_head.fc6.weight');
}

/**
 * What to do with one key of a torchvision R-CNN state dict (after any `module.` prefix is removed).
 * @param key e.g. `roi_heads.box_predictor.cls_score.weight`.
 * @param value its tensor (rows are reordered or dropped for the predictors).
 * @param targetPrefix where our RoI head sits in the model. Default `'roi_head.'` (mmdet's name).
 * @returns the mapping, or null for keys outside `roi_heads.` (the caller maps those).
 * @throws Error for a `roi_heads.` key this mapping does not know (e.g. keypoint heads), naming it.
 */
export function mapTorchvisionRoIHeadKey(key: string, value: HostTensor, targetPrefix = 'roi_head.'): KeyMapping {
  if (!key.startsWith(TV_PREFIX)) return null;
  const k = key.slice(TV_PREFIX.length);
  const to = (name: string, tensor?: HostTensor): KeyMapping => ({ to: `${targetPrefix}${name}`, ...(tensor === undefined ? {} : { tensor }) });
  let m: RegExpMatchArray | null;
  if ((m = /^box_head\.fc([67])\.(weight|bias)$/.exec(k))) return to(`bbox_head.shared_fcs.${Number(m[1]) - 6}.${m[2]}`);
  if ((m = /^box_predictor\.cls_score\.(weight|bias)$/.exec(k))) {
    const rows = value.shape[0];
    return to(`bbox_head.fc_cls.${m[1]}`, takeRowsHost(value, [...range(1, rows), 0]));
  }
  if ((m = /^box_predictor\.bbox_pred\.(weight|bias)$/.exec(k))) {
    const rows = value.shape[0];
    if (rows % 4 !== 0 || rows < 8) throw new Error(`${key}: expected 4·(K+1) rows with K ≥ 1, got shape [${value.shape}]`);
    return to(`bbox_head.fc_reg.${m[1]}`, takeRowsHost(value, range(4, rows)));
  }
  if ((m = /^mask_head\.(\d+)\.0\.(weight|bias)$/.exec(k))) return to(`mask_head.convs.${m[1]}.conv.${m[2]}`);
  if ((m = /^mask_head\.mask_fcn(\d+)\.(weight|bias)$/.exec(k))) return to(`mask_head.convs.${Number(m[1]) - 1}.conv.${m[2]}`);
  if ((m = /^mask_predictor\.conv5_mask\.(weight|bias)$/.exec(k))) return to(`mask_head.upsample.${m[1]}`);
  if ((m = /^mask_predictor\.mask_fcn_logits\.(weight|bias)$/.exec(k))) {
    return to(`mask_head.conv_logits.${m[1]}`, takeRowsHost(value, range(1, value.shape[0])));
  }
  throw new Error(`${key}: not a torchvision Faster/Mask R-CNN roi_heads key this converter knows (keypoint heads are not supported)`);
}

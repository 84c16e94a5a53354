/**
 * torchvision two-stage detector checkpoints (`fasterrcnn_resnet50_fpn`, `maskrcnn_resnet50_fpn`,
 * torchvision 0.14 state dicts, optionally under `module.`) → our two-stage detector's names
 * (mmdet's: `backbone.*`, `neck.*`, `rpn_head.*`, `roi_head.*`).
 *
 * | torchvision | ours |
 * |---|---|
 * | `backbone.body.{conv1,bn1,layer1..4}.*` | `backbone.{conv1,bn1,layer1..4}.*` (ResNet, same block names) |
 * | `backbone.fpn.inner_blocks.{i}.0.*` (0.14) or `.inner_blocks.{i}.*` (older) | `neck.lateral_convs.{i}.conv.*` |
 * | `backbone.fpn.layer_blocks.{i}.0.*` or `.layer_blocks.{i}.*` | `neck.fpn_convs.{i}.conv.*` |
 * | `rpn.head.conv.0.0.*` (0.14) or `rpn.head.conv.*` (older) | `rpn_head.rpn_conv.*` |
 * | `rpn.head.cls_logits.*` | `rpn_head.rpn_cls.*` |
 * | `rpn.head.bbox_pred.*` | `rpn_head.rpn_reg.*` |
 *
 * No tensor needs reordering (convs are OIHW in both; the RPN's delta channels are `a·4 + c` in both).
 * torchvision's P6 (`LastLevelMaxPool`, max-pool kernel 1 stride 2 of P5) is our FPN with
 * `numOuts: 5, addExtraConvs: false`; it has no weights.
 *
 * Not converted (kept under their own names, so a load reports them as unexpected):
 * `roi_heads.*` (the box and mask heads), and the `*_v2` models' extra RPN convs and norms.
 * Our BatchNorm's `num_batches_tracked` has no counterpart in torchvision's `FrozenBatchNorm2d`,
 * so those buffers are reported missing (they only matter for cumulative-average BN training).
 */
import { mapStateDict, type KeyMapping, type LayoutConverter } from './layout.js';
import { mapTorchvisionRoIHeadKey } from './rcnn_roi_head_layouts.js';

const MODULE_PREFIX = 'module.';

const BODY = /^backbone\.body\.((?:conv1|bn1|layer[1-4])\..+)$/;
const FPN = /^backbone\.fpn\.(inner_blocks|layer_blocks)\.(\d+)\.(?:0\.)?(weight|bias)$/;
const RPN_CONV = /^rpn\.head\.conv\.(?:0\.0\.)?(weight|bias)$/;
const RPN_OUT = /^rpn\.head\.(cls_logits|bbox_pred)\.(weight|bias)$/;

function hasKey(keys: readonly string[], name: string): boolean {
  return keys.includes(name) || keys.includes(MODULE_PREFIX + name);
}

/** Where one torchvision key goes, or null (kept as is). */
export function mapRcnnTorchvisionKey(key: string): KeyMapping {
  let m = BODY.exec(key);
  if (m !== null) return { to: `backbone.${m[1]}` };
  m = FPN.exec(key);
  if (m !== null) return { to: `neck.${m[1] === 'inner_blocks' ? 'lateral_convs' : 'fpn_convs'}.${m[2]}.conv.${m[3]}` };
  m = RPN_CONV.exec(key);
  if (m !== null) return { to: `rpn_head.rpn_conv.${m[1]}` };
  m = RPN_OUT.exec(key);
  if (m !== null) return { to: `rpn_head.${m[1] === 'cls_logits' ? 'rpn_cls' : 'rpn_reg'}.${m[2]}` };
  return null;
}

/** torchvision Faster / Mask R-CNN (ResNet-FPN) layout. */
export const rcnnTorchvisionLayout: LayoutConverter = {
  name: 'rcnn-torchvision',
  description: 'torchvision fasterrcnn_resnet50_fpn / maskrcnn_resnet50_fpn state dict (backbone, FPN and RPN; roi_heads kept as is)',
  detect: (keys) => hasKey(keys, 'backbone.body.conv1.weight') && hasKey(keys, 'rpn.head.cls_logits.weight'),
  convert(state) {
    return mapStateDict(this.name, state, (key, value) => mapRcnnTorchvisionKey(key) ?? mapTorchvisionRoIHeadKey(key, value));
  },
};

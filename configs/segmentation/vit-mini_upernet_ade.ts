/**
 * The mini UPerNet of `swin-mini_upernet_ade.ts` with a small ViT (patch 16, embed 64, depth 4) with ViTDet's simple feature pyramid (strides 4–32)
 * instead of the small Swin: only `model.backbone` differs (the entry is
 * `configs/_base_/backbones/vit-mini.ts`, shared with `npm run sweep`). The neck and heads
 * take their input widths from the backbone's declared outputs.
 */
import vitMini from '../_base_/backbones/vit-mini.js';

export default {
  _base_: './swin-mini_upernet_ade.ts',
  model: { backbone: { _delete_: true, ...vitMini } },
};

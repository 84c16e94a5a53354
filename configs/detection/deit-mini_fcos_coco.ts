/**
 * The mini FCOS of `swin-mini_fcos_coco.ts` with the small ViT with DeiT's distillation token (the pyramid is built from the patch tokens)
 * instead of the small Swin: only `model.backbone` differs (the entry is
 * `configs/_base_/backbones/deit-mini.ts`, shared with `npm run sweep`). The neck and heads
 * take their input widths from the backbone's declared outputs.
 */
import deitMini from '../_base_/backbones/deit-mini.js';

export default {
  _base_: './swin-mini_fcos_coco.ts',
  model: { backbone: { _delete_: true, ...deitMini } },
};

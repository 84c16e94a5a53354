/**
 * The mini UPerNet of `swin-mini_upernet_ade.ts` with a hybrid backbone: half-width ResNet-18 stages 1–3, then a 2-block ViT on the stride-16 map, outputs at strides 4–32
 * instead of the small Swin: only `model.backbone` differs (the entry is
 * `configs/_base_/backbones/hybrid-mini.ts`, shared with `npm run sweep`). The neck and heads
 * take their input widths from the backbone's declared outputs.
 */
import hybridMini from '../_base_/backbones/hybrid-mini.js';

export default {
  _base_: './swin-mini_upernet_ade.ts',
  model: { backbone: { _delete_: true, ...hybridMini } },
};

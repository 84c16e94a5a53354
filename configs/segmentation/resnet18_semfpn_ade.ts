/**
 * The mini Semantic FPN of `swin-mini_semfpn_ade.ts` with a torchvision ResNet-18 backbone
 * instead of the small Swin: only `model.backbone` differs. The FPN neck's lateral convs take
 * their input widths (64/128/256/512) from the backbone's declared outputs. BatchNorm trains
 * normally (`normEval: false`), as in mmseg's ResNet Semantic FPN configs.
 */
export default {
  _base_: './swin-mini_semfpn_ade.ts',
  model: {
    backbone: { _delete_: true, type: 'ResNet', depth: 18, outIndices: [0, 1, 2, 3], normEval: false },
  },
};

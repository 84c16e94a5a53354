/**
 * The mini RetinaNet of `swin-mini_retinanet_coco.ts` with a torchvision ResNet-18 backbone
 * instead of the small Swin: only `model.backbone` differs. FPN's lateral convs take their
 * input widths (128/256/512 for stages 2–4, `startLevel: 1`) from the backbone's declared
 * outputs. Trained from scratch here, so BatchNorm statistics are updated (`normEval: false`)
 * and no stage is frozen; with ImageNet weights (`--load-from` a converted torchvision
 * resnet18), mmdetection's usual `frozenStages: 1, normEval: true` apply.
 */
export default {
  _base_: './swin-mini_retinanet_coco.ts',
  model: {
    backbone: { _delete_: true, type: 'ResNet', depth: 18, outIndices: [0, 1, 2, 3], frozenStages: -1, normEval: false },
  },
};

/**
 * The mini ImageFolder classifier of `swin-mini_imagefolder.ts` with a torchvision ResNet-18
 * backbone instead of the small Swin: only `model.backbone` differs. The head's input width
 * (512) comes from the backbone's declared output. ImageNet weights: convert torchvision's
 * `resnet18` state dict (`npm run convert -- resnet18.pth resnet18.safetensors`) and load it
 * with `--load-from` (`backbone.*` keys; `head.fc` only fits with 1000 classes).
 */
export default {
  _base_: './swin-mini_imagefolder.ts',
  model: {
    backbone: { _delete_: true, type: 'ResNet', depth: 18, outIndices: [3] },
  },
};

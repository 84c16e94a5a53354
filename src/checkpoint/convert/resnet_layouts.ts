/**
 * ResNet checkpoint layouts → our names (`backbone.*`, `head.fc.*`).
 *
 * - torchvision (`resnet18` … `resnet152` state dicts, optionally under `module.`): `conv1`, `bn1`,
 *   `layer{1..4}.{j}.conv1/bn1/...`, `layer{i}.0.downsample.0/1`, `fc`. Our {@link ResNet} uses
 *   exactly these names, so the conversion only adds `backbone.` and maps `fc.*` to the
 *   classification head's `head.fc.*`. No tensor needs reordering.
 *
 * - mmdetection / mmsegmentation / mmpretrain ResNet checkpoints (`backbone.conv1.weight`,
 *   `backbone.layer1.0.bn1.running_mean`, …, mmpretrain classifiers also `head.fc.*`) already
 *   use torchvision's block names under `backbone.`: they are *native* to us. No converter
 *   claims them (the detector below requires the un-prefixed `layer1.0.conv1.weight`), so
 *   {@link convertStateDict} passes them through unchanged (layout `native`).
 */
import { mapStateDict, type LayoutConverter } from './layout.js';

const MODULE_PREFIX = 'module.';
/** Keys of the torchvision ResNet backbone part (everything but `fc`). */
const BACKBONE_KEY = /^(conv1|bn1|layer[1-4])\./;

function hasKey(keys: readonly string[], name: string): boolean {
  return keys.includes(name) || keys.includes(MODULE_PREFIX + name);
}

/** torchvision ResNet layout. */
export const resnetTorchvisionLayout: LayoutConverter = {
  name: 'resnet-torchvision',
  description: 'torchvision ResNet (resnet18 … resnet152) state dict',
  detect: (keys) => hasKey(keys, 'layer1.0.conv1.weight') && hasKey(keys, 'conv1.weight') && hasKey(keys, 'bn1.running_mean'),
  convert(state) {
    return mapStateDict(this.name, state, (key) => {
      if (BACKBONE_KEY.test(key)) return { to: `backbone.${key}` };
      if (key.startsWith('fc.')) return { to: `head.${key}` };
      return null;
    });
  },
};

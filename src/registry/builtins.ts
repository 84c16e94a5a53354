/**
 * Registers every built-in component once. Tools and tests import this module;
 * external code adds its own components to the same registries.
 */
import { BACKBONES, DATASETS, HEADS, LOSSES, MODELS, TRANSFORMS } from './registries.js';
import { imageFolderSpec } from '../datasets/image_folder.js';
import { loadImageFromFileSpec } from '../datasets/transforms/load_image.js';
import { normalizeSpec } from '../datasets/transforms/normalize.js';
import { resizeEdgeSpec, resizeSpec } from '../datasets/transforms/resize.js';
import { centerCropSpec } from '../datasets/transforms/center_crop.js';
import { swinTransformerSpec } from '../backbones/swin/spec.js';
import { linearClsHeadSpec } from '../heads/classification/linear_cls_head.js';
import { imageClassifierSpec } from '../models/image_classifier.js';
import { crossEntropyLossSpec } from '../losses/cross_entropy_loss.js';

let done = false;

/** Registers the built-in components (idempotent). */
export function registerBuiltins(): void {
  if (done) return;
  done = true;
  BACKBONES.register(swinTransformerSpec);
  HEADS.register(linearClsHeadSpec);
  MODELS.register(imageClassifierSpec);
  LOSSES.register(crossEntropyLossSpec);
  DATASETS.register(imageFolderSpec);
  TRANSFORMS.register(loadImageFromFileSpec);
  TRANSFORMS.register(resizeSpec);
  TRANSFORMS.register(resizeEdgeSpec);
  TRANSFORMS.register(centerCropSpec);
  TRANSFORMS.register(normalizeSpec);
}

registerBuiltins();

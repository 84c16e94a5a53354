/**
 * Registers every built-in component once (the portable ones of
 * `builtins_portable.ts`, then datasets, file loading, metrics and checkpoint
 * layouts, which need Node). Tools and tests import this module; external code
 * adds its own components to the same registries.
 */
import { DATASETS, HOOKS, METRICS, TRANSFORMS } from './registries.js';
import { visualizationHookSpec } from '../engine/hooks/visualization_hook.js';
import { registerPortableBuiltins } from './builtins_portable.js';
import { accuracyMetricSpec } from '../evaluation/accuracy_metric.js';
import { imageFolderSpec } from '../datasets/image_folder.js';
import { loadImageFromFileSpec } from '../datasets/transforms/load_image.js';
import { loadAnnotationsSpec } from '../datasets/transforms/load_annotations.js';
import { segDatasetSpec } from '../datasets/seg_dataset.js';
import { ade20kDatasetSpec } from '../datasets/ade20k.js';
import { cocoDetectionSpec } from '../datasets/coco_detection.js';
import { vitTimmLayout } from '../checkpoint/convert/vit_layouts.js';
import { cocoMetricSpec } from '../evaluation/coco_metric.js';
import { registerLayoutConverter } from '../checkpoint/convert/convert.js';
import { rcnnTorchvisionLayout } from '../checkpoint/convert/rcnn_torchvision_layout.js';
import { resnetTorchvisionLayout } from '../checkpoint/convert/resnet_layouts.js';
import { iouMetricSpec } from '../evaluation/iou_metric.js';

let done = false;

/** Registers the built-in components (idempotent). */
export function registerBuiltins(): void {
  if (done) return;
  done = true;
  registerPortableBuiltins();
  DATASETS.register(imageFolderSpec);
  DATASETS.register(segDatasetSpec);
  DATASETS.register(ade20kDatasetSpec);
  DATASETS.register(cocoDetectionSpec);
  TRANSFORMS.register(loadImageFromFileSpec);
  TRANSFORMS.register(loadAnnotationsSpec);
  METRICS.register(accuracyMetricSpec);
  METRICS.register(iouMetricSpec);
  registerLayoutConverter(resnetTorchvisionLayout);
  METRICS.register(cocoMetricSpec);
  HOOKS.register(visualizationHookSpec);
  registerLayoutConverter(vitTimmLayout);
  registerLayoutConverter(rcnnTorchvisionLayout);
}

registerBuiltins();

/**
 * Registers the built-in components that need neither the file system nor
 * native modules: models, backbones, necks, heads, losses, the in-memory
 * transforms, optimizers and schedules. The browser build registers only these;
 * {@link registerBuiltins} (Node) adds datasets, file loading and metrics.
 */
import { BACKBONES, HEADS, HOOKS, LOSSES, MODELS, NECKS, OPTIMIZERS, SCHEDULERS, TRANSFORMS } from './registries.js';
import { checkpointHookSpec } from '../engine/hooks/checkpoint_hook.js';
import { loggerHookSpec } from '../engine/hooks/logger_hook.js';
import { progressBarHookSpec } from '../engine/hooks/progress_bar_hook.js';
import { emaHookSpec } from '../engine/hooks/ema_hook.js';
import { earlyStoppingHookSpec } from '../engine/hooks/early_stopping_hook.js';
import { fpnSpec } from '../necks/fpn.js';
import { rpnHeadSpec } from '../heads/detection/rpn/rpn_head.js';
import { bceWithLogitsLossSpec } from '../losses/bce_with_logits.js';
import { fasterRCNNSpec, maskRCNNSpec, twoStageDetectorSpec } from '../models/two_stage_detector.js';
import { uperHeadSpec } from '../heads/segmentation/uper_head.js';
import { fcnHeadSpec } from '../heads/segmentation/fcn_head.js';
import { fpnHeadSpec } from '../heads/segmentation/fpn_head.js';
import { diceLossSpec } from '../losses/dice_loss.js';
import { adamWSpec, constantLRSpec, cosineAnnealingLRSpec, linearLRSpec, multiStepLRSpec, polyLRSpec, sgdSpec } from '../optim/specs.js';
import { normalizeSpec } from '../datasets/transforms/normalize.js';
import { resizeEdgeSpec, resizeSpec } from '../datasets/transforms/resize.js';
import { centerCropSpec } from '../datasets/transforms/center_crop.js';
import { colorJitterSpec } from '../datasets/transforms/color_jitter.js';
import { randAugmentSpec } from '../datasets/transforms/rand_augment.js';
import { randomErasingSpec } from '../datasets/transforms/random_erasing.js';
import { padSpec } from '../datasets/transforms/pad.js';
import { photoMetricDistortionSpec } from '../datasets/transforms/photo_metric_distortion.js';
import { randomCropSpec } from '../datasets/transforms/random_crop.js';
import { randomFlipSpec } from '../datasets/transforms/random_flip.js';
import { randomResizeSpec } from '../datasets/transforms/random_resize.js';
import { randomResizedCropSpec } from '../datasets/transforms/random_resized_crop.js';
import { swinTransformerSpec } from '../backbones/swin/spec.js';
import { linearClsHeadSpec } from '../heads/classification/linear_cls_head.js';
import { imageClassifierSpec } from '../models/image_classifier.js';
import { crossEntropyLossSpec } from '../losses/cross_entropy_loss.js';
import { visionTransformerSpec } from '../backbones/vit/spec.js';
import { vitClsHeadSpec } from '../heads/classification/vit_cls_head.js';
import { focalLossSpec } from '../losses/focal_loss.js';
import { l1LossSpec, smoothL1LossSpec } from '../losses/smooth_l1_loss.js';
import { giouLossSpec } from '../losses/giou_loss.js';
import { retinaHeadSpec } from '../heads/detection/retina_head.js';
import { fcosHeadSpec } from '../heads/detection/fcos_head.js';
import { fcosSpec, retinaNetSpec, singleStageDetectorSpec } from '../models/one_stage_detector.js';
import { resNetSpec } from '../backbones/resnet/spec.js';
import { hybridViTSpec } from '../backbones/hybrid/spec.js';
import { encoderDecoderSpec } from '../models/encoder_decoder.js';

let done = false;

/** Registers the portable built-in components (idempotent). */
export function registerPortableBuiltins(): void {
  if (done) return;
  done = true;
  BACKBONES.register(swinTransformerSpec);
  HOOKS.register(checkpointHookSpec);
  HOOKS.register(loggerHookSpec);
  HOOKS.register(progressBarHookSpec);
  HOOKS.register(emaHookSpec);
  HOOKS.register(earlyStoppingHookSpec);
  HEADS.register(linearClsHeadSpec);
  NECKS.register(fpnSpec);
  HEADS.register(uperHeadSpec);
  HEADS.register(fcnHeadSpec);
  HEADS.register(fpnHeadSpec);
  LOSSES.register(diceLossSpec);
  MODELS.register(imageClassifierSpec);
  LOSSES.register(crossEntropyLossSpec);
  TRANSFORMS.register(resizeSpec);
  TRANSFORMS.register(resizeEdgeSpec);
  TRANSFORMS.register(centerCropSpec);
  TRANSFORMS.register(normalizeSpec);
  TRANSFORMS.register(randomResizedCropSpec);
  TRANSFORMS.register(randomFlipSpec);
  TRANSFORMS.register(colorJitterSpec);
  TRANSFORMS.register(randAugmentSpec);
  TRANSFORMS.register(randomErasingSpec);
  TRANSFORMS.register(photoMetricDistortionSpec);
  TRANSFORMS.register(randomResizeSpec);
  TRANSFORMS.register(randomCropSpec);
  TRANSFORMS.register(padSpec);
  OPTIMIZERS.register(adamWSpec);
  OPTIMIZERS.register(sgdSpec);
  SCHEDULERS.register(linearLRSpec);
  SCHEDULERS.register(cosineAnnealingLRSpec);
  SCHEDULERS.register(polyLRSpec);
  SCHEDULERS.register(multiStepLRSpec);
  SCHEDULERS.register(constantLRSpec);
  MODELS.register(encoderDecoderSpec);
  BACKBONES.register(resNetSpec);
  BACKBONES.register(hybridViTSpec);
  LOSSES.register(focalLossSpec);
  LOSSES.register(l1LossSpec);
  LOSSES.register(smoothL1LossSpec);
  LOSSES.register(giouLossSpec);
  HEADS.register(retinaHeadSpec);
  HEADS.register(fcosHeadSpec);
  HEADS.register(rpnHeadSpec);
  LOSSES.register(bceWithLogitsLossSpec);
  MODELS.register(twoStageDetectorSpec);
  MODELS.register(fasterRCNNSpec);
  MODELS.register(maskRCNNSpec);
  MODELS.register(retinaNetSpec);
  MODELS.register(fcosSpec);
  MODELS.register(singleStageDetectorSpec);
  BACKBONES.register(visionTransformerSpec);
  HEADS.register(vitClsHeadSpec);
}

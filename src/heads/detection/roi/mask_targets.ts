/**
 * Mask targets of the positive RoIs, as mmdetection's `mask_target_single`
 * (mmdet/models/roi_heads/mask_heads/fcn_mask_head.py, mmdet 3.x): the assigned gt mask of each
 * positive proposal cropped and resized to `size × size` by RoIAlign (scale 1, adaptive sampling,
 * aligned, average) and binarised at 0.5 (`BitmapMasks.crop_and_resize(..., binarize=True)`).
 * torchvision's `project_masks_on_boxes` is the same crop with `aligned: false` and no binarisation.
 */
import { tf } from '../../../core/tf.js';
import type { BitmapMasks } from '../../../structures/data_sample.js';
import { roiAlign } from '../../../nn/functional/roi_align.js';

/** How {@link maskTargets} crops: mmdet's defaults, or torchvision's `{aligned: false, binarize: false}`. */
export interface MaskTargetOptions {
  /** RoIAlign `aligned`. Default true (mmdet). */
  aligned?: boolean;
  /** Threshold the crops at 0.5. Default true (mmdet). */
  binarize?: boolean;
}

/**
 * @param proposals `[P·4]` x1, y1, x2, y2 of the positive RoIs, in the frame of `masks`.
 * @param assignedGtInds `[P]` the gt instance of each RoI.
 * @param masks the image's gt masks.
 * @param size target side. Default 28 (mmdet's `mask_size`).
 * @param options the crop style (see {@link MaskTargetOptions}).
 * @returns `[P, size, size]` float targets, 0/1 when binarised (no gradient).
 */
export function maskTargets(proposals: Float32Array, assignedGtInds: Int32Array, masks: BitmapMasks, size = 28, options: MaskTargetOptions = {}): tf.Tensor3D {
  const { aligned = true, binarize = true } = options;
  const p = assignedGtInds.length;
  if (proposals.length !== p * 4) throw new Error(`maskTargets: ${p} assigned gt indices but ${proposals.length / 4} proposals`);
  if (p === 0) return tf.zeros([0, size, size]);
  const { count, height, width, data } = masks;
  if (data.length !== count * height * width) {
    throw new Error(`maskTargets: BitmapMasks data has ${data.length} bytes, expected count·height·width = ${count * height * width}`);
  }
  const rois = new Float32Array(p * 5); // batch index = the assigned gt mask, so no mask is copied per RoI
  for (let i = 0; i < p; i++) {
    const g = assignedGtInds[i];
    if (!(g >= 0 && g < count)) throw new Error(`maskTargets: RoI ${i} is assigned gt ${g}, but the image has ${count} masks`);
    rois.set([g, proposals[i * 4], proposals[i * 4 + 1], proposals[i * 4 + 2], proposals[i * 4 + 3]], i * 5);
  }
  return tf.tidy(() => {
    const feats = tf.tensor4d(Float32Array.from(data), [count, height, width, 1]); // [G, H, W, 1]
    const pooled = roiAlign(feats, tf.tensor2d(rois, [p, 5]), { outputSize: size, spatialScale: 1, samplingRatio: 0, aligned });
    const crops = pooled.reshape([p, size, size]); // [P, size, size]
    return (binarize ? crops.greaterEqual(0.5).toFloat() : crops) as tf.Tensor3D;
  });
}

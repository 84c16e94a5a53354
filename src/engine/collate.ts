/** Stacking transformed samples into a batch tensor. */
import { tf } from '../core/tf.js';
import type { Batch, DataSample } from '../structures/data_sample.js';
import type { PipelineResults } from '../datasets/transforms/transform.js';
import { IGNORE_LABEL } from '../datasets/transforms/geometry.js';
import { padMasks } from '../datasets/transforms/mask_geometry.js';

/**
 * Stacks images into `[B, H, W, 3]` float32, padding each at the bottom/right
 * with 0 to the largest height and width in the batch (label maps are padded
 * with 255 to the same size, instance masks with 0, as mmdet's
 * `DetDataPreprocessor(pad_mask=True)`). Uint8 images are converted to float.
 */
export function collate(items: readonly PipelineResults[]): Batch {
  if (items.length === 0) throw new Error('collate: empty batch');
  const h = Math.max(...items.map((r) => r.img?.height ?? 0));
  const w = Math.max(...items.map((r) => r.img?.width ?? 0));
  const data = new Float32Array(items.length * h * w * 3);
  const samples: DataSample[] = [];
  items.forEach((r, b) => {
    const img = r.img;
    if (img === null || img.channels !== 3) throw new Error(`collate: sample ${r.sample.imgPath} has no 3-channel image`);
    const base = b * h * w * 3;
    for (let y = 0; y < img.height; y++) {
      const src = img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3);
      data.set(src, base + y * w * 3);
    }
    const sample = r.sample;
    if (sample.gtSemSeg !== undefined && (sample.gtSemSeg.height !== h || sample.gtSemSeg.width !== w)) {
      const seg = sample.gtSemSeg;
      const padded = new Uint8Array(h * w).fill(IGNORE_LABEL);
      for (let y = 0; y < seg.height; y++) padded.set(seg.data.subarray(y * seg.width, (y + 1) * seg.width), y * w);
      sample.gtSemSeg = { data: padded, height: h, width: w };
    }
    const masks = sample.gtInstances?.masks;
    if (sample.gtInstances !== undefined && masks !== undefined && (masks.height !== h || masks.width !== w)) {
      sample.gtInstances = { ...sample.gtInstances, masks: padMasks(masks, h, w) };
    }
    samples.push(sample);
  });
  return { inputs: tf.tensor4d(data, [items.length, h, w, 3]), samples };
}

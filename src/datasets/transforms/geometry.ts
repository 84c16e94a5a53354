/**
 * Geometric operations applied consistently to everything a sample carries:
 * the image (bilinear), the label map (nearest, never interpolated; padding
 * with 255), the boxes (scaled, shifted, clipped) and the instance masks
 * (nearest, cropped and dropped with their boxes; see `mask_geometry.ts`).
 */
import type { LabelMap } from '../../structures/data_sample.js';
import { cropImage, flipHorizontal, flipVertical, resizeBilinear, resizeNearest, type HostImage } from '../image.js';
import type { PipelineResults } from './transform.js';
import { requireImage } from './transform.js';
import { cropMasks, flipMasks, resizeMasks, selectMasks } from './mask_geometry.js';

/** Label value used for padding and ignored pixels. */
export const IGNORE_LABEL = 255;

function labelAsImage(m: LabelMap): HostImage {
  return { data: m.data, height: m.height, width: m.width, channels: 1 };
}

function imageAsLabel(img: HostImage): LabelMap {
  return { data: img.data as Uint8Array, height: img.height, width: img.width };
}

function mapBoxes(boxes: Float32Array, f: (x1: number, y1: number, x2: number, y2: number) => [number, number, number, number]): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) out.set(f(boxes[i], boxes[i + 1], boxes[i + 2], boxes[i + 3]), i);
  return out;
}

/** Resizes the image to `outH × outW` and scales the label map, boxes and masks (nearest) with it. */
export function resizeResults(r: PipelineResults, outH: number, outW: number): PipelineResults {
  const img = requireImage(r, 'resize');
  const sx = outW / img.width;
  const sy = outH / img.height;
  r.img = resizeBilinear(img, outH, outW);
  const s = r.sample;
  if (s.gtSemSeg !== undefined) s.gtSemSeg = imageAsLabel(resizeNearest(labelAsImage(s.gtSemSeg), outH, outW));
  const scale = (b: Float32Array): Float32Array => mapBoxes(b, (x1, y1, x2, y2) => [x1 * sx, y1 * sy, x2 * sx, y2 * sy]);
  if (s.gtInstances !== undefined) {
    const { masks } = s.gtInstances;
    s.gtInstances = { ...s.gtInstances, bboxes: scale(s.gtInstances.bboxes) };
    if (masks !== undefined) s.gtInstances.masks = resizeMasks(masks, outH, outW);
  }
  if (s.gtIgnoreBboxes !== undefined) s.gtIgnoreBboxes = scale(s.gtIgnoreBboxes);
  s.imgShape = [outH, outW];
  s.scaleFactor = [s.scaleFactor[0] * sx, s.scaleFactor[1] * sy];
  return r;
}

/**
 * Crops `[y, y+h) × [x, x+w)`; label pixels outside the image become 255.
 * Boxes are shifted and clipped; boxes left with no area are dropped, with
 * their labels and masks (masks are cropped, pixels outside the image 0).
 */
export function cropResults(r: PipelineResults, y: number, x: number, h: number, w: number, fill = 0): PipelineResults {
  const img = requireImage(r, 'crop');
  r.img = cropImage(img, y, x, h, w, fill);
  const s = r.sample;
  if (s.gtSemSeg !== undefined) s.gtSemSeg = imageAsLabel(cropImage(labelAsImage(s.gtSemSeg), y, x, h, w, IGNORE_LABEL));
  const clip = (b: Float32Array): { boxes: Float32Array; keep: number[] } => {
    const keep: number[] = [];
    const out: number[] = [];
    for (let i = 0; i < b.length / 4; i++) {
      const x1 = Math.min(Math.max(b[4 * i] - x, 0), w);
      const y1 = Math.min(Math.max(b[4 * i + 1] - y, 0), h);
      const x2 = Math.min(Math.max(b[4 * i + 2] - x, 0), w);
      const y2 = Math.min(Math.max(b[4 * i + 3] - y, 0), h);
      if (x2 > x1 && y2 > y1) {
        keep.push(i);
        out.push(x1, y1, x2, y2);
      }
    }
    return { boxes: Float32Array.from(out), keep };
  };
  if (s.gtInstances !== undefined) {
    const { labels, masks } = s.gtInstances;
    const { boxes, keep } = clip(s.gtInstances.bboxes);
    s.gtInstances = { bboxes: boxes, labels: Int32Array.from(keep.map((i) => labels[i])) };
    if (masks !== undefined) s.gtInstances.masks = cropMasks(selectMasks(masks, keep), y, x, h, w);
  }
  if (s.gtIgnoreBboxes !== undefined) s.gtIgnoreBboxes = clip(s.gtIgnoreBboxes).boxes;
  s.imgShape = [h, w];
  return r;
}

/** Flips image, label map, boxes and masks. */
export function flipResults(r: PipelineResults, direction: 'horizontal' | 'vertical'): PipelineResults {
  const img = requireImage(r, 'flip');
  const flip = direction === 'horizontal' ? flipHorizontal : flipVertical;
  r.img = flip(img);
  const s = r.sample;
  if (s.gtSemSeg !== undefined) s.gtSemSeg = imageAsLabel(flip(labelAsImage(s.gtSemSeg)));
  const { width: w, height: h } = img;
  const mirror = (b: Float32Array): Float32Array => mapBoxes(b, (x1, y1, x2, y2) => (direction === 'horizontal' ? [w - x2, y1, w - x1, y2] : [x1, h - y2, x2, h - y1]));
  if (s.gtInstances !== undefined) {
    const { masks } = s.gtInstances;
    s.gtInstances = { ...s.gtInstances, bboxes: mirror(s.gtInstances.bboxes) };
    if (masks !== undefined) s.gtInstances.masks = flipMasks(masks, direction);
  }
  if (s.gtIgnoreBboxes !== undefined) s.gtIgnoreBboxes = mirror(s.gtIgnoreBboxes);
  if (direction === 'horizontal') s.flip = !s.flip;
  return r;
}

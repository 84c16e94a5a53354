/** Class palettes and label-map overlays on RGB pixels (no Node dependency: the browser demo draws with these too). */
import type { HostImage } from '../datasets/image.js';
import type { BitmapMasks, LabelMap } from '../structures/data_sample.js';

/**
 * A class palette: fixed distinct colours for the first classes (0 black as
 * background-like), then a deterministic hash colour per class. `[K·3]` RGB.
 */
export function segPalette(numClasses: number): Uint8Array {
  const base = [
    [0, 0, 0],
    [230, 25, 75],
    [60, 180, 75],
    [255, 225, 25],
    [0, 130, 200],
    [245, 130, 48],
    [145, 30, 180],
    [70, 240, 240],
    [240, 50, 230],
    [210, 245, 60],
    [250, 190, 212],
    [0, 128, 128],
    [220, 190, 255],
    [170, 110, 40],
    [255, 250, 200],
    [128, 0, 0],
    [170, 255, 195],
    [128, 128, 0],
    [255, 215, 180],
    [0, 0, 128],
  ];
  const out = new Uint8Array(Math.max(numClasses, 1) * 3);
  for (let c = 0; c < numClasses; c++) {
    let rgb = base[c];
    if (rgb === undefined) {
      let h = (c * 2654435761) >>> 0;
      rgb = [0, 0, 0].map(() => {
        h = (Math.imul(h ^ (h >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
        return 64 + (h % 192);
      });
    }
    out.set(rgb, c * 3);
  }
  return out;
}

/** Label value drawn grey (ignored pixels). */
const IGNORE = 255;

/** Blends a label map into an image: `(1 − alpha)·image + alpha·palette[label]`; 255 is drawn grey. */
export function blendLabelMap(image: HostImage & { data: Uint8Array }, labels: LabelMap, numClasses: number, alpha = 0.5): Uint8Array {
  const palette = segPalette(numClasses);
  const out = new Uint8Array(image.data.length);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const y = Math.floor(i / image.width);
    const x = i % image.width;
    const label = y < labels.height && x < labels.width ? labels.data[y * labels.width + x] : IGNORE;
    for (let k = 0; k < 3; k++) {
      const color = label === IGNORE || label >= numClasses ? 128 : palette[label * 3 + k];
      out[i * 3 + k] = Math.round((1 - alpha) * image.data[i * 3 + k] + alpha * color);
    }
  }
  return out;
}

/**
 * Blends instance masks into an image: inside mask `i`, `(1 − alpha)·image + alpha·colour`
 * with the colour of class `labels[i]` (`segPalette(numClasses + 1)[labels[i] + 1]`, so no
 * class is black). Masks listed later are drawn over earlier ones; `keep[i] === false` skips
 * mask `i` (e.g. scores below the drawing threshold). Masks must have the image's size.
 */
export function blendInstanceMasks(image: HostImage & { data: Uint8Array }, masks: BitmapMasks, labels: ArrayLike<number>, numClasses: number, alpha = 0.5, keep?: readonly boolean[]): Uint8Array {
  const { width: w, height: h } = image;
  if (masks.height !== h || masks.width !== w || masks.count !== labels.length) {
    throw new Error(`blendInstanceMasks: ${masks.count} masks of ${masks.height}×${masks.width} for ${labels.length} labels on a ${h}×${w} image`);
  }
  const palette = segPalette(numClasses + 1);
  const out = image.data.slice();
  const n = w * h;
  for (let m = 0; m < masks.count; m++) {
    if (keep !== undefined && keep[m] === false) continue;
    const c = (labels[m] + 1) * 3;
    for (let i = 0; i < n; i++) {
      if (masks.data[m * n + i] === 0) continue;
      for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round((1 - alpha) * out[i * 3 + k] + alpha * palette[c + k]);
    }
  }
  return out;
}

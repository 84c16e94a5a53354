/** Drawing annotations and predictions onto images (uint8 RGB, HWC). */
import sharp from 'sharp';
import type { HostImage } from '../datasets/image.js';

export { blendInstanceMasks, blendLabelMap, segPalette } from './overlay.js';

/** Writes an RGB image as PNG, with an optional SVG overlay composited on top. */
export async function writeRgbPng(path: string, data: Uint8Array, width: number, height: number, svg?: string): Promise<void> {
  let img = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } });
  if (svg !== undefined) img = img.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  await img.png().toFile(path);
}

/** Undoes `Normalize` (per-channel mean/std) and returns a uint8 image; uint8 input is returned as is. */
export function denormalize(img: HostImage, mean: readonly number[] | null, std: readonly number[] | null): HostImage & { data: Uint8Array } {
  if (img.data instanceof Uint8Array) return img as HostImage & { data: Uint8Array };
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) {
    const c = i % 3;
    const v = mean !== null && std !== null ? img.data[i] * std[c] + mean[c] : img.data[i];
    out[i] = Math.min(255, Math.max(0, Math.round(v)));
  }
  return { ...img, data: out };
}

/**
 * Geometric operations on `BitmapMasks` (mmdet's `BitmapMasks.resize`, `crop`,
 * `flip`, `pad` and indexing), built on the image operations so that masks move
 * exactly with the image: nearest-neighbour resize (OpenCV `INTER_NEAREST`, as
 * mmcv's `imresize(..., interpolation='nearest')`), integer crops, mirror flips
 * and zero padding. Every function returns new masks.
 */
import type { BitmapMasks } from '../../structures/data_sample.js';
import { cropImage, flipHorizontal, flipVertical, resizeNearest, type HostImage } from '../image.js';

function maskImage(m: BitmapMasks, i: number): HostImage {
  const n = m.height * m.width;
  return { data: m.data.subarray(i * n, (i + 1) * n), height: m.height, width: m.width, channels: 1 };
}

function stack(images: HostImage[], height: number, width: number): BitmapMasks {
  const n = height * width;
  const data = new Uint8Array(images.length * n);
  images.forEach((img, i) => data.set(img.data, i * n));
  return { data, count: images.length, height, width };
}

function mapMasks(m: BitmapMasks, height: number, width: number, f: (img: HostImage) => HostImage): BitmapMasks {
  return stack(
    Array.from({ length: m.count }, (_, i) => f(maskImage(m, i))),
    height,
    width,
  );
}

/** Resizes every mask to `outH × outW` with nearest-neighbour sampling (mmdet `BitmapMasks.resize`/`rescale`). */
export function resizeMasks(m: BitmapMasks, outH: number, outW: number): BitmapMasks {
  return mapMasks(m, outH, outW, (img) => resizeNearest(img, outH, outW));
}

/** Crops `[y, y+h) × [x, x+w)` of every mask; pixels outside the masks become 0 (mmdet `BitmapMasks.crop`). */
export function cropMasks(m: BitmapMasks, y: number, x: number, h: number, w: number): BitmapMasks {
  return mapMasks(m, h, w, (img) => cropImage(img, y, x, h, w, 0));
}

/** Pads every mask with 0 at the bottom and right to `outH × outW` (mmdet `BitmapMasks.pad`, `pad_val` 0). */
export function padMasks(m: BitmapMasks, outH: number, outW: number, fill = 0): BitmapMasks {
  return mapMasks(m, outH, outW, (img) => cropImage(img, 0, 0, outH, outW, fill));
}

/** Mirrors every mask (mmdet `BitmapMasks.flip`). */
export function flipMasks(m: BitmapMasks, direction: 'horizontal' | 'vertical'): BitmapMasks {
  return mapMasks(m, m.height, m.width, direction === 'horizontal' ? flipHorizontal : flipVertical);
}

/** The masks at `indices`, in that order (mmdet `BitmapMasks[indices]`). */
export function selectMasks(m: BitmapMasks, indices: readonly number[]): BitmapMasks {
  indices.forEach((i) => {
    if (!(Number.isInteger(i) && i >= 0 && i < m.count)) throw new RangeError(`selectMasks: index ${i} outside 0..${m.count - 1}`);
  });
  return stack(
    indices.map((i) => maskImage(m, i)),
    m.height,
    m.width,
  );
}

/** Throws unless `masks` are `count` masks of `height × width` whose data has that many bytes. */
export function checkMasks(m: BitmapMasks, count: number, height: number, width: number, where: string): void {
  if (m.count !== count || m.height !== height || m.width !== width || m.data.length !== m.count * m.height * m.width) {
    throw new Error(
      `${where}: instance masks are ${m.count}×${m.height}×${m.width} (${m.data.length} bytes) but the sample has ` +
        `${count} boxes on a ${height}×${width} image; masks must be one per box, of the image's size`,
    );
  }
}

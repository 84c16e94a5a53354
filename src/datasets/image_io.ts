/** Image decoding and encoding with sharp. */
import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { DataError } from '../core/errors.js';
import type { HostImage } from './image.js';

/**
 * Decodes a JPEG, PNG, WebP (or any format sharp reads) file to 3-channel RGB
 * uint8, honouring the EXIF orientation. Grey images are expanded to RGB and
 * alpha is dropped.
 * @throws DataError naming the path when the file is missing, truncated or not an image.
 */
export async function decodeImageFile(path: string): Promise<HostImage & { data: Uint8Array }> {
  if (!existsSync(path)) throw new DataError(`Image file not found: ${path}`);
  try {
    const { data, info } = await sharp(path, { failOn: 'truncated' })
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width, channels: 3 };
  } catch (err) {
    throw new DataError(`Cannot decode image ${path}: ${(err as Error).message} (expected a readable JPEG, PNG or WebP file)`);
  }
}

/**
 * Decodes an encoded image (JPEG, PNG, WebP bytes) like {@link decodeImageFile}.
 * @param name used in the error message (default `<buffer>`).
 * @throws DataError when the bytes are not a readable image.
 */
export async function decodeImageBytes(bytes: Uint8Array, name = '<buffer>'): Promise<HostImage & { data: Uint8Array }> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width, channels: 3 };
  } catch (err) {
    throw new DataError(`Cannot decode image ${name}: ${(err as Error).message} (expected JPEG, PNG or WebP bytes)`);
  }
}

/** Encodes an RGB uint8 image as PNG or JPEG (by extension) and writes it. */
export async function writeImageFile(path: string, img: HostImage & { data: Uint8Array }): Promise<void> {
  const pipeline = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels as 3 },
  });
  await (path.toLowerCase().endsWith('.jpg') || path.toLowerCase().endsWith('.jpeg') ? pipeline.jpeg({ quality: 95 }) : pipeline.png()).toFile(path);
}

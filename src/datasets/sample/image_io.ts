/**
 * Encoders used by the sample-dataset writers: RGB JPEG and PNG through
 * sharp, and 8-bit single-channel (colour type 0) label PNGs through pngjs.
 */
import { PNG } from 'pngjs';
import sharp from 'sharp';

/** Encodes HWC RGB bytes as a JPEG (`quality` default `95`, 4:4:4 chroma). */
export async function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 95): Promise<Buffer> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

/** Encodes HWC RGB bytes as a lossless RGB PNG. */
export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Encodes HW bytes as a real 8-bit grayscale PNG (IHDR colour type 0, bit
 * depth 8): one byte per pixel holding the value as is, e.g. a class index.
 */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  if (gray.length !== width * height) {
    throw new Error(`encodeGrayPng: expected ${width * height} bytes, got ${gray.length}`);
  }
  const options = { width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false } as const;
  const png = new PNG(options);
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, options);
}

/**
 * Reading label-map PNGs as class indices.
 *
 * A label PNG stores one class index per pixel, either as 8-bit grayscale
 * (colour type 0) or as a palette image (colour type 3), whose pixel values
 * are palette INDICES (PASCAL VOC's `SegmentationClass`): the colours are only
 * for display. pngjs always expands palette images to RGBA colours, so a
 * palette PNG is rewritten as a grayscale PNG with the same pixel data (IHDR
 * colour type 3 → 0, PLTE/tRNS dropped) before decoding: the stored indices then
 * come out as grey values, with pngjs handling filters, interlacing and bit
 * depths 1/2/4/8.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { PNG } from 'pngjs';
import { DataError } from '../core/errors.js';
import type { LabelMap } from '../structures/data_sample.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const COLOR_TYPE_NAMES: Record<number, string> = {
  0: 'grayscale',
  2: 'RGB',
  3: 'palette',
  4: 'grayscale+alpha',
  6: 'RGBA',
};

interface Chunk {
  type: string;
  /** The whole chunk: length, type, data and CRC. */
  bytes: Buffer;
  data: Buffer;
}

function readChunks(bytes: Buffer, path: string): Chunk[] {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) {
    throw new DataError(`Label map ${path}: not a PNG file (bad signature); expected a single-channel PNG of class indices`);
  }
  const chunks: Chunk[] = [];
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const len = bytes.readUInt32BE(pos);
    const end = pos + 12 + len;
    if (end > bytes.length) throw new DataError(`Label map ${path}: truncated PNG chunk at byte ${pos}`);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    chunks.push({ type, bytes: bytes.subarray(pos, end), data: bytes.subarray(pos + 8, pos + 8 + len) });
    pos = end;
    if (type === 'IEND') break;
  }
  if (chunks.length === 0 || chunks[0].type !== 'IHDR' || chunks[0].data.length !== 13) {
    throw new DataError(`Label map ${path}: PNG without a valid IHDR chunk`);
  }
  return chunks;
}

function makeChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/**
 * Decodes label PNG bytes to a label map of class indices.
 * @param path - file name used in error messages.
 * @throws DataError naming `path` for RGB/RGBA/grey+alpha PNGs (a label map must
 *   be single-channel class indices), 16-bit values above 255, or corrupt files.
 */
export function decodeLabelPng(bytes: Buffer, path: string): LabelMap {
  const chunks = readChunks(bytes, path);
  const ihdr = chunks[0].data;
  const bitDepth = ihdr[8];
  const colorType = ihdr[9];
  if (colorType !== 0 && colorType !== 3) {
    const kind = COLOR_TYPE_NAMES[colorType] ?? `colour type ${colorType}`;
    throw new DataError(`Label map ${path} is a ${kind} PNG; a label map must be single-channel class indices ` + '(8-bit grayscale or palette PNG), not colours');
  }
  let source = bytes;
  if (colorType === 3) {
    const gray = Buffer.from(ihdr);
    gray[9] = 0;
    const parts = [SIGNATURE, makeChunk('IHDR', gray)];
    for (const c of chunks.slice(1)) if (c.type === 'IDAT' || c.type === 'IEND') parts.push(c.bytes);
    source = Buffer.concat(parts);
  }
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(source, { skipRescale: true });
  } catch (err) {
    throw new DataError(`Label map ${path}: cannot decode PNG (${(err as Error).message})`);
  }
  const n = png.width * png.height;
  const px = png.data as unknown as ArrayLike<number>;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = px[4 * i];
    if (v > 255) {
      throw new DataError(`Label map ${path}: ${bitDepth}-bit value ${v} at pixel (${i % png.width}, ${Math.floor(i / png.width)}); class indices must be 0..255`);
    }
    data[i] = v;
  }
  return { data, height: png.height, width: png.width };
}

/**
 * Reads a label PNG file as class indices (see {@link decodeLabelPng}).
 * @throws DataError naming the path when the file is missing or not a valid label PNG.
 */
export async function readLabelPng(path: string): Promise<LabelMap> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(`Label map not found or unreadable: ${path} (${(err as Error).message})`);
  }
  return decodeLabelPng(bytes, path);
}

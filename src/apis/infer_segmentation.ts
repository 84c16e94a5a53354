/** `npm run infer` for segmentors: an index PNG of the predicted classes and a colour overlay. */
import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../core/tf.js';
import { DataError } from '../core/errors.js';
import { EncoderDecoder } from '../models/encoder_decoder.js';
import { decodeImageFile } from '../datasets/image_io.js';
import { encodeGrayPng } from '../datasets/sample/image_io.js';
import type { LabelMap } from '../structures/data_sample.js';
import { preprocessImage } from './inputs.js';
import type { InferRequest } from './infer_task.js';

/** What {@link inferSegmentation} wrote. */
export interface SegInferResult {
  /** The 8-bit grayscale PNG of class indices, at the original image size. */
  indexPath: string;
  /** The image blended 50/50 with the class colours. */
  overlayPath: string;
  /** The predicted label map. */
  labelMap: LabelMap;
}

/**
 * A class palette: fixed distinct colours for the first classes (0 black as
 * background-like), then a deterministic hash colour per class. `[K·3]` RGB.
 */
export function segPalette(numClasses: number): Uint8Array {
  const base = [
    [0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
    [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255],
    [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0], [255, 215, 180], [0, 0, 128],
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

/** Default output path: `<input dir>/<input stem>_pred.png`. */
export function defaultSegOutPath(input: string): string {
  return join(dirname(input), `${basename(input, extname(input))}_pred.png`);
}

/** Overlay path beside `out`: `<out dir>/<out stem>_overlay.png`. */
export function overlayPathFor(out: string): string {
  return join(dirname(out), `${basename(out, extname(out))}_overlay.png`);
}

/**
 * Runs a segmentor on one image (through the config's test pipeline; the
 * prediction is at the original image size), writes the predicted class of
 * every pixel as an 8-bit grayscale index PNG to `out` (default
 * `<input stem>_pred.png` beside the input) and the image blended 50/50 with a
 * class palette to `<out stem>_overlay.png` beside it, and prints both paths.
 *
 * @throws DataError when the image cannot be read, or there are more than 256 classes.
 */
export async function inferSegmentation(request: InferRequest): Promise<void> {
  await segmentImageFile(request);
}

/** {@link inferSegmentation}, returning what it wrote. */
export async function segmentImageFile({ model, config, input, out }: InferRequest): Promise<SegInferResult> {
  if (!(model instanceof EncoderDecoder)) throw new Error('inferSegmentation: not a segmentor (EncoderDecoder)');
  if (model.numClasses > 256) throw new DataError(`inferSegmentation: ${model.numClasses} classes do not fit an 8-bit index PNG`);
  const { input: tensor, sample } = await preprocessImage(input, config);
  let labelMap: LabelMap;
  try {
    const [pred] = await model.predict({ inputs: tensor, samples: [sample] });
    if (pred.kind !== 'seg') throw new Error('inferSegmentation: the model did not predict a label map');
    labelMap = pred.labelMap;
  } finally {
    tf.dispose(tensor);
  }
  const image = await decodeImageFile(input);
  if (image.height !== labelMap.height || image.width !== labelMap.width) {
    throw new DataError(`inferSegmentation: prediction ${labelMap.height}×${labelMap.width} does not match image ${input} (${image.height}×${image.width})`);
  }
  const indexPath = out ?? defaultSegOutPath(input);
  writeFileSync(indexPath, encodeGrayPng(labelMap.data, labelMap.width, labelMap.height));

  const palette = segPalette(model.numClasses);
  const blended = new Uint8Array(image.data.length);
  for (let i = 0; i < labelMap.data.length; i++) {
    const c = labelMap.data[i] * 3;
    for (let k = 0; k < 3; k++) blended[i * 3 + k] = Math.round(0.5 * image.data[i * 3 + k] + 0.5 * palette[c + k]);
  }
  const overlayPath = overlayPathFor(indexPath);
  await sharp(Buffer.from(blended.buffer, blended.byteOffset, blended.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toFile(overlayPath);
  console.log(`wrote ${indexPath}`);
  console.log(`wrote ${overlayPath}`);
  return { indexPath, overlayPath, labelMap };
}

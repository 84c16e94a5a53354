/** `npm run infer` for segmentors: an index PNG of the predicted classes and a colour overlay. */
import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { tf } from '../core/tf.js';
import { DataError } from '../core/errors.js';
import { EncoderDecoder } from '../models/encoder_decoder.js';
import { decodeImageFile } from '../datasets/image_io.js';
import { encodeGrayPng } from '../datasets/sample/image_io.js';
import { blendLabelMap, writeRgbPng } from '../visualization/draw.js';
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

  const overlayPath = overlayPathFor(indexPath);
  await writeRgbPng(overlayPath, blendLabelMap(image, labelMap, model.numClasses), image.width, image.height);
  console.log(`wrote ${indexPath}`);
  console.log(`wrote ${overlayPath}`);
  return { indexPath, overlayPath, labelMap };
}

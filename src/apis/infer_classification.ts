/** `npm run infer` for classifiers: logits and top-5 as JSON, or printed. */
import { writeFileSync } from 'node:fs';
import { tf } from '../core/tf.js';
import { ImageClassifier } from '../models/image_classifier.js';
import { preprocessImage, readNpyImages } from './inputs.js';
import { classNamesFor, topK } from './classification.js';
import type { InferRequest } from './infer_task.js';

/**
 * The input is an image (preprocessed by the config's test pipeline) or a
 * `.npy` float32 `[N,3,H,W]` array (given to the model unchanged). With `out`,
 * writes `{"logits": [[...]], "top5": [[{label, name, score}, ...]]}`; else prints the top-5.
 */
export async function inferClassification({ model, config, input, out }: InferRequest): Promise<void> {
  if (!(model instanceof ImageClassifier)) throw new Error('inferClassification: not a classifier');
  const images = input.toLowerCase().endsWith('.npy') ? readNpyImages(input) : (await preprocessImage(input, config)).input;
  const logits = model.forward(images);
  const rows = logits.arraySync() as number[][];
  tf.dispose([logits, images]);
  const names = classNamesFor(config, rows[0].length);
  const top5 = rows.map((row) => topK(row, 5, names));
  if (out !== undefined) {
    writeFileSync(out, JSON.stringify({ logits: rows, top5 }));
    console.log(`wrote ${out}`);
    return;
  }
  top5.forEach((entries, i) => {
    console.log(`image ${i}:`);
    for (const e of entries) console.log(`  ${e.score.toFixed(4)}  ${e.label}${e.name !== null ? `  ${e.name}` : ''}`);
  });
}

/**
 * Runs a trained model on one input.
 *
 *   npm run infer -- --config F --weights W --input X [--out O] [--backend B]
 *
 * Classification: X is an image (preprocessed by the config's test pipeline) or
 * a `.npy` float32 array shaped [N,3,H,W] given to the model unchanged. O is a
 * JSON file `{"logits": [[...]], "top5": [[{label, name, score}, ...]]}`; without
 * `--out` the top-5 classes are printed.
 */
import { writeFileSync } from 'node:fs';
import { tf } from '../src/core/tf.js';
import { loadWeightsInto, formatLoadReport } from '../src/checkpoint/weights.js';
import { buildModel } from '../src/models/build_model.js';
import { ImageClassifier } from '../src/models/image_classifier.js';
import { preprocessImage, readNpyImages } from '../src/apis/inputs.js';
import { classNamesFor, topK } from '../src/apis/classification.js';
import { COMMON_FLAGS, flagString, loadToolConfig, parseArgs, requireFlag, runTool, setupTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  weights: { kind: 'string', help: 'weights (.safetensors, or a .pth in a known layout)' },
  input: { kind: 'string', help: 'image file, or .npy float32 [N,3,H,W] (classification)' },
  out: { kind: 'string', help: 'output file (classification: JSON)' },
  verbose: { kind: 'boolean', help: 'print the weight-loading report' },
};
const USAGE = usage('npm run infer -- --config F --weights W --input X [--out O]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { config } = await loadToolConfig(args);
  await setupTool(args, config.backend);
  const weights = requireFlag(args, 'weights');
  const input = requireFlag(args, 'input');
  const model = buildModel(config);
  const report = loadWeightsInto(model, weights);
  if (args.flags.get('verbose') === true) console.error(formatLoadReport(report, weights));
  model.eval();
  if (!(model instanceof ImageClassifier)) {
    throw new Error(`infer: models of task '${model.task}' are handled by a later version of this tool`);
  }
  const images = input.toLowerCase().endsWith('.npy') ? readNpyImages(input) : (await preprocessImage(input, config)).input;
  const logits = model.forward(images);
  const rows = logits.arraySync() as number[][];
  const names = classNamesFor(config, rows[0].length);
  const top5 = rows.map((row) => topK(row, 5, names));
  tf.dispose([logits, images]);
  const out = flagString(args, 'out');
  if (out !== undefined) {
    writeFileSync(out, JSON.stringify({ logits: rows, top5 }));
    console.log(`wrote ${out}`);
  } else {
    top5.forEach((t, i) => {
      console.log(`image ${i}:`);
      for (const e of t) console.log(`  ${e.score.toFixed(4)}  ${e.label}${e.name !== null ? `  ${e.name}` : ''}`);
    });
  }
}

runTool(main, USAGE);

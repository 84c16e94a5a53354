/**
 * Runs a trained model on one input.
 *
 *   npm run infer -- --config F --weights W --input X [--out O] [--data-root R] [--backend B]
 *
 * - Classification: X is an image (preprocessed by the config's test pipeline)
 *   or a `.npy` float32 array shaped [N,3,H,W] given to the model unchanged;
 *   O is a JSON file `{"logits": [[...]], "top5": [...]}`; without `--out` the
 *   top-5 classes are printed.
 * - Segmentation and detection: see the task writers in src/apis/.
 */
import { loadWeightsInto, formatLoadReport } from '../src/checkpoint/weights.js';
import { buildModel } from '../src/models/build_model.js';
import type { Task } from '../src/models/base_model.js';
import { configuredNumClasses, withDataRoot, type InferWriter } from '../src/apis/infer_task.js';
import { inferClassification } from '../src/apis/infer_classification.js';
import { inferSegmentation } from '../src/apis/infer_segmentation.js';
import { inferDetection } from '../src/apis/infer_detection.js';
import { COMMON_FLAGS, flagNumber, flagString, loadToolConfig, parseArgs, requireFlag, runTool, setupTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  weights: { kind: 'string', help: 'weights (.safetensors, or a .pth in a known layout)' },
  input: { kind: 'string', help: 'image file (or .npy float32 [N,3,H,W] for classification)' },
  out: { kind: 'string', help: 'output file (classification: JSON; segmentation: index PNG; detection: image with boxes)' },
  'data-root': { kind: 'string', help: "where the config's dataset is (for class names and COCO ids)" },
  'score-thr': { kind: 'number', help: 'detection: draw boxes scored at least this (default 0.3; the JSON has all)' },
  verbose: { kind: 'boolean', help: 'print the weight-loading report' },
};
const USAGE = usage('npm run infer -- --config F --weights W --input X [--out O]', FLAGS);

const WRITERS: Partial<Record<Task, InferWriter>> = {
  classification: inferClassification,
  segmentation: inferSegmentation,
  detection: inferDetection,
};

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const loaded = await loadToolConfig(args);
  const dataRoot = flagString(args, 'data-root');
  const config = dataRoot === undefined ? loaded.config : withDataRoot(loaded.config, dataRoot);
  await setupTool(args, config.backend);
  const weights = requireFlag(args, 'weights');
  const model = buildModel(config, configuredNumClasses(config));
  const report = loadWeightsInto(model, weights);
  if (args.flags.get('verbose') === true) console.error(formatLoadReport(report, weights));
  model.eval();
  const writer = WRITERS[model.task];
  if (writer === undefined) throw new Error(`infer: no output writer for task '${model.task}'`);
  await writer({ model, config, input: requireFlag(args, 'input'), out: flagString(args, 'out'), scoreThr: flagNumber(args, 'score-thr') });
  model.dispose();
}

runTool(main, USAGE);

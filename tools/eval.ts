/**
 * Evaluates weights on the config's test (or val) data.
 *
 *   npm run eval -- --config F --weights W [--data-root R] [--out metrics.json] [--backend B]
 *
 * Prints the metrics and writes them as JSON (fractions in 0..1; classification:
 * `accuracy/top1`, `accuracy/top5`; segmentation: `mIoU`, `mAcc`, `aAcc`;
 * detection: `bbox_mAP`, `bbox_mAP_50`, ...).
 */
import { writeFileSync } from 'node:fs';
import { ConfigError } from '../src/core/errors.js';
import { loadWeightsInto } from '../src/checkpoint/weights.js';
import { buildModel } from '../src/models/build_model.js';
import { buildDataset, buildLoader, buildMetric } from '../src/engine/build.js';
import { evaluate } from '../src/engine/evaluate.js';
import { COMMON_FLAGS, flagString, loadToolConfig, parseArgs, requireFlag, runTool, setupTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  weights: { kind: 'string', help: 'weights to evaluate (.safetensors or a .pth in a known layout)' },
  'data-root': { kind: 'string', help: 'overrides the dataRoot of the dataset' },
  out: { kind: 'string', help: 'write the metrics to this JSON file' },
};
const USAGE = usage('npm run eval -- --config F --weights W [--out metrics.json]', FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { config } = await loadToolConfig(args);
  await setupTool(args, config.backend);
  const section = config.testDataloader ?? config.valDataloader;
  const evaluator = config.testDataloader !== null ? config.testEvaluator : config.valEvaluator;
  if (section === null) throw new ConfigError('testDataloader (or valDataloader): required for evaluation');
  const dataset = buildDataset(section, config.testDataloader !== null ? 'testDataloader' : 'valDataloader', flagString(args, 'data-root'));
  const loader = buildLoader(section, dataset, config.randomness.seed, { shuffle: false });
  const metric = buildMetric(evaluator, dataset, 'testEvaluator');
  const model = buildModel(config, dataset.classNames.length);
  loadWeightsInto(model, requireFlag(args, 'weights'));
  const metrics = await evaluate(model, loader, metric, {
    onBatch: (done, total) => process.stderr.write(`\revaluating ${done}/${total}`),
  });
  process.stderr.write('\n');
  for (const [k, v] of Object.entries(metrics)) console.log(`${k}: ${v === null ? 'n/a' : v.toFixed(4)}`);
  const out = flagString(args, 'out');
  if (out !== undefined) {
    writeFileSync(out, JSON.stringify(metrics, null, 2));
    console.log(`wrote ${out}`);
  }
  model.dispose();
}

runTool(main, USAGE);

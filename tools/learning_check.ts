/**
 * The learning checks of the README: generates the sample data, trains a mini
 * config with `npm run train`, evaluates it with `npm run eval`, and checks
 * the metric against its threshold, timing the whole chain.
 *
 *   npm run learning-check -- <task> [--work-dir D] [--backend B]
 *
 * Tasks: classification (accuracy/top1 ≥ 0.9), segmentation (mIoU ≥ 0.6),
 * fcos and retinanet (bbox_mAP_50 ≥ 0.5).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagString, parseArgs, runTool, usage, UsageError, type FlagSpec, runNpmScript } from './lib/cli.js';

interface Check {
  config: string;
  data: string[];
  metric: string;
  threshold: number;
}

const CHECKS: Record<string, Check> = {
  classification: { config: 'configs/classification/swin-mini_imagefolder.ts', data: ['--classification'], metric: 'accuracy/top1', threshold: 0.9 },
  segmentation: { config: 'configs/segmentation/swin-mini_upernet_ade.ts', data: [], metric: 'mIoU', threshold: 0.6 },
  fcos: { config: 'configs/detection/swin-mini_fcos_coco.ts', data: [], metric: 'bbox_mAP_50', threshold: 0.5 },
  retinanet: { config: 'configs/detection/swin-mini_retinanet_coco.ts', data: [], metric: 'bbox_mAP_50', threshold: 0.5 },
};

const FLAGS: Record<string, FlagSpec> = {
  'work-dir': { kind: 'string', help: 'where data, checkpoints and metrics go (default work_dirs/learning_<task>)' },
  backend: { kind: 'string', help: 'tensorflow | wasm | cpu' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage(`npm run learning-check -- <${Object.keys(CHECKS).join('|')}> [options]`, FLAGS);

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const task = args.positional[0];
  const check = task === undefined ? undefined : CHECKS[task];
  if (check === undefined) throw new UsageError(`expected a task: ${Object.keys(CHECKS).join(', ')}`);
  const dir = flagString(args, 'work-dir') ?? join('work_dirs', `learning_${task}`);
  const backend = flagString(args, 'backend');
  const backendArgs = backend !== undefined ? ['--backend', backend] : [];
  const data = join(dir, 'data');
  const start = performance.now();
  if (!existsSync(data)) runNpmScript('make-sample-data', [data, ...check.data]);
  runNpmScript('train', ['--config', check.config, '--data-root', data, '--work-dir', join(dir, 'train'), ...backendArgs]);
  const out = join(dir, 'metrics.json');
  runNpmScript('eval', ['--config', check.config, '--weights', join(dir, 'train', 'latest.safetensors'), '--data-root', data, '--out', out, ...backendArgs]);
  const minutes = (performance.now() - start) / 60000;
  const value = (JSON.parse(readFileSync(out, 'utf8')) as Record<string, number | null>)[check.metric] ?? Number.NaN;
  const ok = value >= check.threshold;
  console.log(`learning-check ${task}: ${check.metric} = ${value.toFixed(4)} (threshold ${check.threshold}) in ${minutes.toFixed(1)} min: ${ok ? 'PASS' : 'FAIL'}`);
  if (!ok) process.exitCode = 1;
}

runTool(main, USAGE);

/**
 * The README's main command: on built-in sample data, trains the mini
 * segmentation (Swin + UperNet) and detection (Swin + FPN + FCOS) configs for a
 * few minutes each, evaluates them, draws predictions and loss curves, and
 * prints a summary.
 *
 *   npm run quickstart [-- --work-dir D] [--backend B] [--iters-scale F]
 *
 * Each step is the command a user would type (`npm run make-sample-data`,
 * `train`, `eval`, `infer`, `plot-log`), run one after the other.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { flagNumber, flagString, parseArgs, runTool, usage, type FlagSpec, runNpmScript } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  'work-dir': { kind: 'string', help: 'default work_dirs/quickstart' },
  backend: { kind: 'string', help: 'tensorflow | wasm | cpu (default: automatic)' },
  'iters-scale': { kind: 'number', help: "multiplies each config's training iterations (default 1)" },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage('npm run quickstart [-- options]', FLAGS);

interface Job {
  name: string;
  config: string;
  metrics: string[];
  /** Iterations of the quickstart run (scaled by --iters-scale). */
  iters: number;
}

const JOBS: Job[] = [
  { name: 'segmentation', config: 'configs/segmentation/swin-mini_upernet_ade.ts', metrics: ['mIoU', 'mAcc', 'aAcc'], iters: 600 },
  { name: 'detection', config: 'configs/detection/swin-mini_fcos_coco.ts', metrics: ['bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75'], iters: 300 },
];

function minutes(start: number): string {
  return ((performance.now() - start) / 60000).toFixed(1);
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const dir = flagString(args, 'work-dir') ?? join('work_dirs', 'quickstart');
  const backend = flagString(args, 'backend');
  const backendArgs = backend !== undefined ? ['--backend', backend] : [];
  const scale = flagNumber(args, 'iters-scale') ?? 1;
  const data = join(dir, 'data', 'shapes');
  const start = performance.now();
  mkdirSync(dir, { recursive: true });

  console.log(`\n[1/4] sample data: ${data}`);
  if (!existsSync(join(data, 'annotations'))) runNpmScript('make-sample-data', [data]);
  else console.log('  (already there)');

  const rows: Array<{ job: Job; metrics: Record<string, number | null>; minutes: string; files: string[] }> = [];
  for (const [k, job] of JOBS.entries()) {
    const t0 = performance.now();
    const runDir = join(dir, job.name);
    const iters = Math.max(1, Math.round(job.iters * scale));
    console.log(`\n[${k + 2}/4] ${job.name}: training ${job.config} for ${iters} iterations`);
    runNpmScript('train', ['--config', job.config, '--data-root', data, '--work-dir', runDir, ...backendArgs, '--cfg-options', `trainCfg.maxIters=${iters}`]);
    const weights = join(runDir, 'latest.safetensors');
    const metricsFile = join(runDir, 'eval_metrics.json');
    runNpmScript('eval', ['--config', job.config, '--weights', weights, '--data-root', data, '--out', metricsFile, ...backendArgs], true);
    const vis = join(runDir, 'predictions');
    mkdirSync(vis, { recursive: true });
    const images = readdirSync(join(data, 'images', 'validation'))
      .sort()
      .slice(0, 4);
    for (const image of images) {
      const out = join(vis, image.replace(/\.jpg$/, job.name === 'segmentation' ? '_pred.png' : '_det.png'));
      runNpmScript(
        'infer',
        ['--config', job.config, '--weights', weights, '--input', join(data, 'images', 'validation', image), '--out', out, '--data-root', data, '--score-thr', '0.2', ...backendArgs],
        true,
      );
    }
    runNpmScript('plot-log', [runDir], true);
    const metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, number | null>;
    rows.push({ job, metrics, minutes: minutes(t0), files: [weights, join(runDir, 'curves.png'), vis] });
  }

  console.log(`\n[4/4] summary (${minutes(start)} min in total)\n`);
  console.log('| task | metrics | minutes |');
  console.log('| --- | --- | --- |');
  for (const r of rows) {
    const m = r.job.metrics.map((k) => `${k} ${r.metrics[k] === null || r.metrics[k] === undefined ? 'n/a' : (r.metrics[k] as number).toFixed(3)}`).join(', ');
    console.log(`| ${r.job.name} | ${m} | ${r.minutes} |`);
  }
  console.log('\nfiles:');
  for (const r of rows) {
    console.log(`  ${r.job.name}:`);
    console.log(`    weights      ${r.files[0]}`);
    console.log(`    loss curves  ${r.files[1]}`);
    console.log(`    predictions  ${r.files[2]}/ (index PNGs and overlays / boxes on validation images)`);
  }
  console.log(`  data          ${data}`);
  console.log('\nnext: npm run infer -- --config <config> --weights <weights> --input <your image>  (see README)');
}

runTool(main, USAGE);

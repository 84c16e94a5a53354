/**
 * Trains and evaluates the same task with several backbones and compares them.
 *
 *   npm run sweep -- --config F --backbones swin-mini,resnet18 [--iters N] [--work-dir D]
 *                    [--data-root R] [--metric K] [--backend B]
 *   npm run sweep -- --sweep configs/sweeps/F.ts
 *
 * A backbone name refers to `configs/_base_/backbones/<name>.ts`, whose default
 * export is the backbone entry. Each run replaces only `model.backbone`. The
 * comparison (task metric, parameters, training images/s, peak memory) is
 * printed and saved as `sweep.json`, `sweep.md` and `sweep.png` in the work dir.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/core/errors.js';
import type { RunSummary } from '../src/engine/runner.js';
import { writeBarChartsPng } from '../src/visualization/svg_chart.js';
import { flagNumber, flagString, parseArgs, runTool, usage, UsageError, type FlagSpec, runNpmScript } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  config: { kind: 'string', help: 'task config to train with each backbone' },
  backbones: { kind: 'string', help: 'comma-separated names of configs/_base_/backbones/<name>.ts' },
  sweep: { kind: 'string', help: 'a sweep file {config, backbones, iters?, metric?} instead of the flags' },
  iters: { kind: 'number', help: "training iterations per backbone (default: the config's)" },
  metric: { kind: 'string', help: 'metric to compare (default: mIoU, bbox_mAP_50 or accuracy/top1, whichever exists)' },
  'work-dir': { kind: 'string', help: 'default work_dirs/sweep_<config name>' },
  'data-root': { kind: 'string', help: "overrides the datasets' dataRoot" },
  backend: { kind: 'string', help: 'tensorflow | wasm | cpu' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage('npm run sweep -- --config F --backbones a,b [options]', FLAGS);

const BACKBONE_DIR = resolve('configs/_base_/backbones');
const PRIMARY = ['mIoU', 'bbox_mAP_50', 'accuracy/top1'];

/** One row of the comparison. */
export interface SweepRow {
  backbone: string;
  metric: string;
  value: number | null;
  parameters: number;
  trainImagesPerSecond: number | null;
  peakRssMiB: number;
  wasmHeapMiB: number | null;
  wallMinutes: number;
}

async function backboneEntry(name: string): Promise<unknown> {
  const file = join(BACKBONE_DIR, `${name}.ts`);
  if (!existsSync(file)) throw new ConfigError(`Unknown backbone preset '${name}': no ${file}`);
  return ((await import(pathToFileURL(file).href)) as { default: unknown }).default;
}

/** A sweep file's default export. */
export interface SweepFile {
  /** The task config every backbone trains with. */
  config: string;
  /** Names of `configs/_base_/backbones/<name>.ts`. */
  backbones: string[];
  /** Training iterations per backbone (default: the config's). */
  iters?: number;
  /** The compared metric (default: mIoU, bbox_mAP_50 or accuracy/top1, whichever exists). */
  metric?: string;
}

const SWEEP_KEYS = ['config', 'backbones', 'iters', 'metric'];

/** Checks a sweep file's export, naming the file and the bad key. */
export function readSweepFile(file: string, value: unknown): SweepFile {
  const fail = (what: string): never => {
    throw new ConfigError(`${file}: ${what} (expected {config: string, backbones: string[], iters?: number, metric?: string})`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('the default export is not an object');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!SWEEP_KEYS.includes(key)) fail(`unknown key '${key}'; valid keys: ${SWEEP_KEYS.join(', ')}`);
  if (typeof v.config !== 'string') fail("'config' must be a string");
  if (!Array.isArray(v.backbones) || v.backbones.length === 0 || !v.backbones.every((b) => typeof b === 'string')) {
    fail("'backbones' must be a non-empty list of names");
  }
  if (v.iters !== undefined && !(Number.isInteger(v.iters) && (v.iters as number) > 0)) fail("'iters' must be a positive integer");
  if (v.metric !== undefined && typeof v.metric !== 'string') fail("'metric' must be a string");
  return v as unknown as SweepFile;
}

function markdown(rows: SweepRow[]): string {
  const head = '| backbone | ' + rows[0].metric + ' | parameters | train img/s | peak RSS (MiB) | wasm heap (MiB) | wall (min) |';
  const sep = '|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.backbone} | ${r.value === null ? 'n/a' : r.value.toFixed(4)} | ${r.parameters.toLocaleString('en')} | ` +
      `${r.trainImagesPerSecond?.toFixed(1) ?? 'n/a'} | ${r.peakRssMiB.toFixed(0)} | ${r.wasmHeapMiB?.toFixed(0) ?? '-'} | ${r.wallMinutes.toFixed(1)} |`,
  );
  return [head, sep, ...body].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  let config = flagString(args, 'config');
  let backbones = flagString(args, 'backbones')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let iters = flagNumber(args, 'iters');
  let metricName = flagString(args, 'metric');
  const sweepFile = flagString(args, 'sweep');
  if (sweepFile !== undefined) {
    const sweep = readSweepFile(sweepFile, ((await import(pathToFileURL(resolve(sweepFile)).href)) as { default: unknown }).default);
    config = sweep.config;
    backbones = sweep.backbones;
    iters ??= sweep.iters;
    metricName ??= sweep.metric;
  }
  if (config === undefined || backbones === undefined || backbones.length === 0) throw new UsageError('give --config and --backbones, or --sweep');
  const workDir = flagString(args, 'work-dir') ?? join('work_dirs', `sweep_${basename(config, extname(config))}`);
  mkdirSync(workDir, { recursive: true });
  const common = [
    ...(flagString(args, 'data-root') !== undefined ? ['--data-root', flagString(args, 'data-root') as string] : []),
    ...(flagString(args, 'backend') !== undefined ? ['--backend', flagString(args, 'backend') as string] : []),
  ];
  const rows: SweepRow[] = [];
  for (const name of backbones) {
    const entry = JSON.stringify(await backboneEntry(name));
    const runDir = join(workDir, name);
    const overrides = [`model.backbone=${entry}`, ...(iters !== undefined ? [`trainCfg.maxIters=${iters}`, `trainCfg.valInterval=${iters}`] : [])];
    console.log(`\n=== ${name} ===`);
    runNpmScript('train', ['--config', config, '--work-dir', runDir, ...common, '--cfg-options', ...overrides]);
    const metricsFile = join(runDir, 'eval_metrics.json');
    runNpmScript('eval', ['--config', config, '--weights', join(runDir, 'latest.safetensors'), '--out', metricsFile, ...common, '--cfg-options', `model.backbone=${entry}`]);
    const summary = JSON.parse(readFileSync(join(runDir, 'run_summary.json'), 'utf8')) as RunSummary;
    const metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, number | null>;
    const key = metricName ?? PRIMARY.find((k) => k in metrics);
    if (key === undefined) throw new ConfigError(`No known metric among ${Object.keys(metrics).join(', ')}; pass --metric`);
    rows.push({
      backbone: name,
      metric: key,
      value: metrics[key] ?? null,
      parameters: summary.parameters,
      trainImagesPerSecond: summary.trainImagesPerSecond,
      peakRssMiB: summary.peakRssBytes / 2 ** 20,
      wasmHeapMiB: summary.wasmHeapBytes === null ? null : summary.wasmHeapBytes / 2 ** 20,
      wallMinutes: summary.wallSeconds / 60,
    });
  }
  const table = markdown(rows);
  console.log(`\n${table}`);
  writeFileSync(join(workDir, 'sweep.json'), JSON.stringify({ config, rows }, null, 2));
  writeFileSync(join(workDir, 'sweep.md'), `${table}\n`);
  await writeBarChartsPng(join(workDir, 'sweep.png'), [
    { title: rows[0].metric, bars: rows.map((r) => ({ label: r.backbone, value: r.value ?? 0 })) },
    { title: 'parameters (M)', bars: rows.map((r) => ({ label: r.backbone, value: r.parameters / 1e6 })) },
    { title: 'train img/s', bars: rows.map((r) => ({ label: r.backbone, value: r.trainImagesPerSecond ?? 0 })) },
    { title: 'peak RSS (MiB)', bars: rows.map((r) => ({ label: r.backbone, value: r.peakRssMiB })) },
  ]);
  console.log(`wrote ${join(workDir, 'sweep.md')}, sweep.json and sweep.png`);
}

runTool(main, USAGE);

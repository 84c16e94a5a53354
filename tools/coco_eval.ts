/**
 * COCO bbox or segm evaluation of a detection-results file, with the numbers of
 * pycocotools' COCOeval.
 *
 *   tsx tools/coco_eval.ts <gt.json> <results.json> [--iou-type bbox|segm] [--out metrics.json]
 *
 * Prints the 12 summary lines as pycocotools does and writes the metrics
 * (`bbox_mAP`, ..., `bbox_AR_l`, or `segm_mAP`, ... for `--iou-type segm`) as JSON to `--out`, by default
 * `<results>.metrics.json` beside the results file. Bad input prints the error
 * and exits with status 1.
 */
import * as fs from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateCoco } from '../src/metrics/coco/coco_eval.js';
import { cocoStatsToMetrics, formatCocoStats, type CocoBboxMetrics } from '../src/metrics/coco/format.js';
import { loadCocoGroundTruth, loadCocoResults } from '../src/metrics/coco/load_coco.js';

/** Usage text. */
export const USAGE = 'usage: tsx tools/coco_eval.ts <gt.json> <results.json> [--iou-type bbox|segm] [--out metrics.json]';

/** Parsed command line of the tool. */
export interface CocoEvalArgs {
  /** Ground-truth file. */
  gt: string;
  /** Results file. */
  results: string;
  /** Metrics output file. */
  out: string;
  /** `bbox` (default) or `segm`. */
  iouType: 'bbox' | 'segm';
}

/** Default metrics file: `<results without .json>.metrics.json` beside the results file. */
export function defaultMetricsPath(results: string): string {
  const dir = path.dirname(results);
  const base = path.basename(results).replace(/\.json$/i, '');
  return path.join(dir, `${base}.metrics.json`);
}

/** Parses `argv` (without node and script); accepts `--out value` and `--out=value`. Throws on bad input. */
export function parseCocoEvalArgs(argv: readonly string[]): CocoEvalArgs {
  const positional: string[] = [];
  let out: string | undefined;
  let iouType: 'bbox' | 'segm' = 'bbox';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--iou-type' || arg.startsWith('--iou-type=')) {
      const value = arg === '--iou-type' ? argv[++i] : arg.slice('--iou-type='.length);
      if (value !== 'bbox' && value !== 'segm') throw new Error(`--iou-type ${value ?? ''}: expected bbox or segm\n${USAGE}`);
      iouType = value;
    } else if (arg === '--out' || arg.startsWith('--out=')) {
      const value = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
      if (value === undefined || value === '') throw new Error(`--out needs a file name\n${USAGE}`);
      out = value;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option '${arg}'\n${USAGE}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 2) {
    throw new Error(`expected 2 files (ground truth and results), got ${positional.length}\n${USAGE}`);
  }
  const [gt, results] = positional;
  return { gt, results, out: out ?? defaultMetricsPath(results), iouType };
}

/**
 * Runs the tool on `argv` (without node and script), printing through `log`
 * (default `console.log`), and returns the metrics written (`null` after
 * printing the usage for `--help` / `-h`). Throws on bad arguments or input.
 */
export async function main(argv: readonly string[], log: (line: string) => void = console.log): Promise<CocoBboxMetrics | Record<string, number> | null> {
  if (argv.includes('--help') || argv.includes('-h')) {
    log(USAGE);
    return null;
  }
  const args = parseCocoEvalArgs(argv);
  const gt = await loadCocoGroundTruth(args.gt);
  const results = await loadCocoResults(args.results, gt);
  const evaluation = evaluateCoco(gt, results, {}, args.iouType);
  log(formatCocoStats(evaluation.stats));
  if (evaluation.ignoredDetections > 0) {
    log(`note: ${evaluation.ignoredDetections} detections of categories not in ${args.gt} were ignored`);
  }
  const boxMetrics = cocoStatsToMetrics(evaluation.stats);
  // segm metrics carry mmdet's `segm_` prefix instead of `bbox_`.
  const metrics = args.iouType === 'bbox' ? boxMetrics : Object.fromEntries(Object.entries(boxMetrics).map(([k, v]) => [k.replace(/^bbox_/, 'segm_'), v]));
  await writeFile(args.out, `${JSON.stringify(metrics, null, 2)}\n`);
  log(`metrics written to ${args.out}`);
  return metrics;
}

/** Whether this module is the entry point of the process. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    process.exitCode = 1;
  });
}

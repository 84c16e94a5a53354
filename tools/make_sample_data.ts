/**
 * Writes the synthetic sample datasets used by the quickstart, the learning
 * tests and CI.
 *
 *   tsx tools/make_sample_data.ts <dir> [--num-train N] [--num-val N] [--size S] [--seed S] [--shape-only] [--overlap] [--classification]
 *
 * Without `--classification`: the shapes dataset (ADE20K and COCO layouts,
 * defaults 120 train / 40 val scenes of 96 px; `--shape-only` draws shape colours
 * independently of the class instead of from per-class hue sectors; `--overlap` lets 2–5 shapes of
 * 1/6 to 1/2 of the image occlude each other, occluded ones annotated by RLE). With `--classification`: the
 * stripes ImageFolder set instead (counts are per class, defaults 60 / 30 of
 * 64 px).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeShapesDataset, type ShapesDatasetSummary } from '../src/datasets/sample/write_shapes_dataset.js';
import { writeStripesImageFolder, type StripesImageFolderSummary } from '../src/datasets/sample/stripes_dataset.js';

/** Parsed command line of the tool; unset numbers take the dataset's defaults. */
export interface SampleDataArgs {
  /** Output directory. */
  dir: string;
  /** `--num-train` (per class with `--classification`). */
  numTrain?: number;
  /** `--num-val` (per class with `--classification`). */
  numVal?: number;
  /** `--size`. */
  size?: number;
  /** `--seed`. Default `0`. */
  seed?: number;
  /** `--classification`: write the stripes ImageFolder set instead of the shapes set. */
  classification: boolean;
  /** `--shape-only`: shape colours independent of the class (harder; see the README). */
  shapeOnly: boolean;
  /** `--overlap`: overlapping shapes of 1/6 to 1/2 of the image (harder detection; issue 14). */
  overlap: boolean;
}

/** Usage text. */
export const USAGE = 'usage: tsx tools/make_sample_data.ts <dir> [--num-train N] [--num-val N] [--size S] [--seed S] [--shape-only] [--overlap] [--classification]';

const NUMERIC_FLAGS = { '--num-train': 'numTrain', '--num-val': 'numVal', '--size': 'size', '--seed': 'seed' } as const;

/** Parses `argv` (without node and script); accepts `--flag value` and `--flag=value`. Throws on bad input. */
export function parseSampleDataArgs(argv: readonly string[]): SampleDataArgs {
  const out: Omit<SampleDataArgs, 'dir'> & { dir?: string } = { classification: false, shapeOnly: false, overlap: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (flag === '--classification' || flag === '--shape-only' || flag === '--overlap') {
      if (eq >= 0) throw new Error(`${flag} takes no value\n${USAGE}`);
      if (flag === '--classification') out.classification = true;
      else if (flag === '--overlap') out.overlap = true;
      else out.shapeOnly = true;
    } else if (flag in NUMERIC_FLAGS) {
      const key = NUMERIC_FLAGS[flag as keyof typeof NUMERIC_FLAGS];
      const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      const value = Number(text);
      if (text === undefined || text === '' || !Number.isInteger(value) || value < 0) {
        throw new Error(`${flag} needs a non-negative integer, got ${text === undefined ? 'nothing' : `'${text}'`}\n${USAGE}`);
      }
      out[key] = value;
    } else if (flag.startsWith('-')) {
      throw new Error(`unknown option '${flag}'\n${USAGE}`);
    } else if (out.dir === undefined) {
      out.dir = arg;
    } else {
      throw new Error(`unexpected argument '${arg}' (output directory already '${out.dir}')\n${USAGE}`);
    }
  }
  if (out.dir === undefined) throw new Error(`missing output directory\n${USAGE}`);
  return { ...out, dir: out.dir };
}

/** Human-readable lines describing a shapes dataset. */
function describeShapes(s: ShapesDatasetSummary, seconds: number): string[] {
  const rel = (p: string): string => path.relative(s.root, p);
  const lines = [`shapes dataset (${s.size}x${s.size}, seed ${s.seed}) written to ${s.root} in ${seconds.toFixed(2)} s`];
  for (const [name, split] of [
    ['train', s.train],
    ['val', s.val],
  ] as const) {
    const perClass = Object.entries(split.objectsPerClass)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `  ${name}: ${split.numImages} images, ${split.numObjects} objects (${perClass})`,
      `    ADE20K: ${rel(split.adeImageDir)}/*.jpg + ${rel(split.adeAnnotationDir)}/*.png`,
      `    COCO:   ${rel(split.cocoImageDir)}/*.jpg + ${rel(split.cocoAnnotationFile)}`,
    );
  }
  lines.push(`  classes: ${s.classes.join(', ')}; COCO images ${s.hardLinked ? 'hard-linked' : 'copied'}`);
  return lines;
}

/** Human-readable lines describing a stripes ImageFolder set. */
function describeStripes(s: StripesImageFolderSummary, seconds: number): string[] {
  return [
    `stripes ImageFolder set written to ${s.root} in ${seconds.toFixed(2)} s`,
    `  train: ${s.numTrainPerClass} per class in ${s.trainDir}/{${s.classes.join(',')}}`,
    `  val:   ${s.numValPerClass} per class in ${s.valDir}/{${s.classes.join(',')}}`,
    `  ${s.numPng} PNG + ${s.numJpeg} JPEG files`,
  ];
}

/**
 * Runs the tool on `argv` (without node and script), printing through `log`
 * (default `console.log`), and returns what was written (`null` after
 * printing the usage for `--help` / `-h`). Throws on bad arguments.
 */
export async function main(argv: readonly string[], log: (line: string) => void = console.log): Promise<ShapesDatasetSummary | StripesImageFolderSummary | null> {
  if (argv.includes('--help') || argv.includes('-h')) {
    log(USAGE);
    return null;
  }
  const args = parseSampleDataArgs(argv);
  const t0 = performance.now();
  if (args.classification) {
    const summary = await writeStripesImageFolder(args.dir, {
      numTrainPerClass: args.numTrain,
      numValPerClass: args.numVal,
      size: args.size,
      seed: args.seed,
    });
    describeStripes(summary, (performance.now() - t0) / 1000).forEach((l) => log(l));
    return summary;
  }
  const summary = await writeShapesDataset(args.dir, { numTrain: args.numTrain, numVal: args.numVal, size: args.size, seed: args.seed, classColours: !args.shapeOnly, overlap: args.overlap });
  describeShapes(summary, (performance.now() - t0) / 1000).forEach((l) => log(l));
  return summary;
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
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}

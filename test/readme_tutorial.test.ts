/**
 * The README's segmentation tutorial, walked as a new user walks it: in a fresh
 * project directory (this checkout's package, tools and sources linked, its
 * `configs/` copied so the user's config goes next to the shipped ones), with a
 * dataset of the user's own (120x80 images, the class count of the tutorial's
 * config, the layout its block shows), the config file the tutorial prints, and
 * then every command of its `bash` block run through `npm run` exactly as
 * printed. The only addition is a short training length (`trainCfg.maxIters`),
 * so that the test stays quick. Everything is read from the README itself.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load_config.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { TRAIN_BACKEND } from './helpers.js';
import { readTutorial, type TutorialCommand } from './readme_tutorial.js';

const ROOT = resolve('.');
const HEADING = 'Segmentation training on your own ADE20K-layout data';
const tutorial = readTutorial(join(ROOT, 'README.md'), HEADING);

/** The user's images: another size than the 96x96 sample data. */
const WIDTH = 120;
const HEIGHT = 80;
/** Training length of the test's run (the tutorial's config trains 600 iterations). */
const TEST_ITERS = 2;
/** What the test adds to a tutorial command, by npm script: only a shorter run. */
const ADDED_ARGS: Record<string, string[]> = { train: ['--cfg-options', `trainCfg.maxIters=${TEST_ITERS}`] };

let project = '';
let classes: string[] = [];
/** Samples written per image folder of the layout. */
const written = new Map<string, number>();
/** The final validation metrics `train` printed (compared with `eval`'s). */
let trainMetrics: Record<string, number> | null = null;
let failedBefore: string | null = null;

/** The environment without the `npm_*` variables of an enclosing `npm test` (they would point npm at this checkout). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { npm_config_update_notifier: 'false', DENSEKIT_BACKEND: TRAIN_BACKEND };
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') && k !== 'DENSEKIT_BACKEND') env[k] = v;
  return env;
}

/** A new user's project directory: the package's files linked, `configs/` copied. */
function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'densekit-tutorial-'));
  for (const name of ['package.json', 'node_modules', 'src', 'tools', 'bin', 'tsconfig.json']) symlinkSync(join(ROOT, name), join(dir, name));
  cpSync(join(ROOT, 'configs'), join(dir, 'configs'), { recursive: true });
  return dir;
}

/** A small deterministic generator (LCG), so the user's dataset is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * One scene of the user's data: a textured background (class 0), a band along
 * the bottom (class 1) and a box for every further class, each class with its
 * own colour; the box outlines are 255 (ignored), as the tutorial allows.
 */
function scene(seed: number, numClasses: number): { rgb: Buffer; label: Buffer } {
  const rand = rng(seed);
  const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
  const label = Buffer.alloc(WIDTH * HEIGHT);
  const colours = Array.from({ length: numClasses }, (_, c) => [(70 * c + 40) % 256, (150 + 90 * c) % 256, (200 - 60 * c + 256) % 256]);
  const band = Math.floor(HEIGHT * (0.65 + 0.15 * rand()));
  const boxes = Array.from({ length: numClasses - 2 }, () => {
    const w = 20 + Math.floor(rand() * 30);
    const h = 12 + Math.floor(rand() * 20);
    return { x: Math.floor(rand() * (WIDTH - w)), y: Math.floor(rand() * (HEIGHT - h)), w, h };
  });
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const p = y * WIDTH + x;
      let c = numClasses > 1 && y >= band ? 1 : 0;
      let edge = false;
      boxes.forEach((b, i) => {
        if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) {
          c = i + 2;
          edge = x === b.x || y === b.y || x === b.x + b.w - 1 || y === b.y + b.h - 1;
        }
      });
      label[p] = edge ? 255 : c;
      for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.max(0, Math.min(255, colours[c][k] + Math.round((rand() - 0.5) * 40)));
    }
  }
  return { rgb, label };
}

function grayPng(data: Buffer): Buffer {
  const options = { width: WIDTH, height: HEIGHT, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false } as const;
  const png = new PNG(options);
  png.data = data;
  return PNG.sync.write(png, options);
}

async function writeJpeg(rgb: Buffer, file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await sharp(rgb, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 92 })
    .toFile(file);
}

/**
 * Writes the user's dataset where the tutorial's layout block puts it: every
 * layout line pairs an image folder glob with a label folder glob
 * (`my_data/images/training/*.jpg   my_data/annotations/training/*.png`).
 */
async function writeUserDataset(): Promise<void> {
  let seed = 1;
  for (const line of tutorial.layout) {
    const globs = line
      .trim()
      .split(/\s+/)
      .map((g) => /^(.+)\/\*(\.\w+)$/.exec(g));
    if (globs.length !== 2 || globs.some((g) => g === null)) throw new Error(`tutorial layout line '${line}' is not '<image dir>/*.ext <label dir>/*.ext'`);
    const [[, imgDir, imgExt], [, annDir, annExt]] = globs as RegExpExecArray[];
    const count = /train/.test(imgDir) ? 8 : 3;
    for (let i = 0; i < count; i++) {
      const { rgb, label } = scene(seed++, classes.length);
      await writeJpeg(rgb, join(project, imgDir, `scene_${i}${imgExt}`));
      mkdirSync(join(project, annDir), { recursive: true });
      writeFileSync(join(project, annDir, `scene_${i}${annExt}`), grayPng(label));
    }
    written.set(imgDir, count);
  }
}

function flag(cmd: TutorialCommand, name: string): string | undefined {
  const i = cmd.words.indexOf(name);
  return i >= 0 ? cmd.words[i + 1] : undefined;
}

/** The paths a tool reports as `wrote <path>`. */
function wrotePaths(stdout: string): string[] {
  return [...stdout.matchAll(/^wrote (\S+)$/gm)].map((m) => m[1]);
}

function readLabelPng(file: string): { width: number; height: number; values: Set<number> } {
  const png = PNG.sync.read(readFileSync(file));
  const values = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) values.add(png.data[i]);
  return { width: png.width, height: png.height, values };
}

/** What each tutorial command must have done, beyond exiting with 0, by npm script. */
const CHECKS: Record<string, (cmd: TutorialCommand, stdout: string) => void | Promise<void>> = {
  'print-config': (cmd, stdout) => {
    const resolved = JSON.parse(
      stdout
        .split('\n')
        .filter((l) => !l.startsWith('//') && !l.startsWith('>'))
        .join('\n'),
    ) as Record<string, { dataset: { classes: string[] } }>;
    for (const split of ['trainDataloader', 'valDataloader', 'testDataloader']) expect(resolved[split].dataset.classes, split).toEqual(classes);
    if (flag(cmd, '--data-root') !== undefined) {
      expect(stdout).toMatch(new RegExp(`^// trainDataloader: ${[...written.values()][0]} samples, ${classes.length} classes$`, 'm'));
    }
  },
  'browse-dataset': (_cmd, stdout) => {
    const m = /wrote (\d+) images with their train annotations to (\S+)/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const [, n, dir] = m as RegExpExecArray;
    expect(readdirSync(join(project, dir)).filter((f) => f.endsWith('.png'))).toHaveLength(Number(n));
    expect(Number(n)).toBeGreaterThan(0);
  },
  train: (_cmd, stdout) => {
    const weights = /^final weights: (\S+)$/m.exec(stdout)?.[1];
    expect(weights, stdout).toBeDefined();
    const workDir = dirname(join(project, weights as string));
    expect(readSafetensors(join(project, weights as string)).tensors.size).toBeGreaterThan(100);
    expect(existsSync(join(workDir, `iter_${TEST_ITERS}.ckpt.safetensors`))).toBe(true);
    const log = readFileSync(join(workDir, 'scalars.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { mode: string; iter: number; loss?: number });
    const train = log.filter((e) => e.mode === 'train');
    expect(train.length).toBeGreaterThan(0);
    expect(train.at(-1)?.iter).toBe(TEST_ITERS);
    expect(train.every((e) => Number.isFinite(e.loss))).toBe(true);
    trainMetrics = JSON.parse(/^final metrics: (.+)$/m.exec(stdout)?.[1] ?? 'null') as Record<string, number> | null;
    expect(Object.keys(trainMetrics ?? {})).toEqual(expect.arrayContaining(classes.map((c) => `IoU.${c}`)));
  },
  eval: (cmd) => {
    const out = flag(cmd, '--out');
    expect(out, 'the tutorial eval command writes its metrics with --out').toBeDefined();
    const metrics = JSON.parse(readFileSync(join(project, out as string), 'utf8')) as Record<string, number>;
    expect(
      Object.keys(metrics)
        .filter((k) => k.startsWith('IoU.'))
        .sort(),
    ).toEqual(classes.map((c) => `IoU.${c}`).sort());
    expect(metrics.mIoU).toBeGreaterThanOrEqual(0);
    expect(metrics.mIoU).toBeLessThanOrEqual(1);
    // The final weights on the same validation images: the numbers training reported at its end.
    if (flag(cmd, '--weights')?.endsWith('latest.safetensors') === true && trainMetrics !== null) {
      for (const k of ['mIoU', 'aAcc', 'mAcc']) expect(metrics[k], k).toBeCloseTo(trainMetrics[k], 6);
    }
  },
  infer: (_cmd, stdout) => {
    const files = wrotePaths(stdout);
    const labelMap = files.find((f) => f.endsWith('_pred.png'));
    expect(labelMap, stdout).toBeDefined();
    const { width, height, values } = readLabelPng(join(project, labelMap as string));
    expect([width, height]).toEqual([WIDTH, HEIGHT]);
    for (const v of values) expect(v).toBeLessThan(classes.length);
  },
  'plot-log': (_cmd, stdout) => {
    expect(
      wrotePaths(stdout).some((f) => f.endsWith('.png')),
      stdout,
    ).toBe(true);
  },
};

beforeAll(async () => {
  project = makeProject();
  expect(tutorial.files.length, 'the tutorial shows the config file to write').toBeGreaterThan(0);
  for (const file of tutorial.files) {
    mkdirSync(dirname(join(project, file.path)), { recursive: true });
    writeFileSync(join(project, file.path), file.content);
  }
  const config = await loadConfig(join(project, tutorial.files[0].path));
  expect(Array.isArray(config.classes), "the tutorial's config sets the top-level 'classes'").toBe(true);
  classes = config.classes as string[];
  await writeUserDataset();
  // The user's own photo for `infer --input`.
  for (const cmd of tutorial.commands) {
    const input = flag(cmd, '--input');
    if (input !== undefined && !existsSync(join(project, input))) await writeJpeg(scene(99, classes.length).rgb, join(project, input));
  }
});
afterAll(() => {
  if (project !== '') rmSync(project, { recursive: true, force: true });
});

describe(`README tutorial: ${HEADING}`, () => {
  it('has the commands a user needs (print-config, train, eval, infer), each an npm script of this package', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const used = tutorial.commands.map((c) => {
      expect(c.words.slice(0, 2), c.text).toEqual(['npm', 'run']);
      expect(Object.keys(scripts), c.text).toContain(c.words[2]);
      return c.words[2];
    });
    expect(used).toEqual(expect.arrayContaining(['print-config', 'train', 'eval', 'infer']));
    expect(classes.length).not.toBe(4); // another class count than the sample data
  });

  for (const cmd of tutorial.commands) {
    it(`runs: ${cmd.text}`, async () => {
      if (failedBefore !== null) throw new Error(`not run: the earlier tutorial command '${failedBefore}' failed`);
      const script = cmd.words[2];
      const words = [...cmd.words, ...(ADDED_ARGS[script] ?? [])];
      const r = spawnSync(words[0], words.slice(1), { cwd: project, encoding: 'utf8', env: userEnv() });
      const report = `'${words.join(' ')}' in ${project} exited with ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
      if (r.status !== 0) failedBefore = cmd.text;
      expect(r.status, report).toBe(0);
      for (const f of wrotePaths(r.stdout)) expect(existsSync(join(project, f)), `${cmd.text} reported writing ${f}`).toBe(true);
      try {
        await CHECKS[script]?.(cmd, r.stdout);
      } catch (err) {
        failedBefore = cmd.text;
        throw new Error(`${(err as Error).message}\n${report}`);
      }
    }, 240_000);
  }
});

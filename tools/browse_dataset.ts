/**
 * Writes images of a dataset with their annotations drawn, after the training
 * transforms (augmentation included), so a pipeline can be checked by eye.
 *
 *   npm run browse-dataset -- --config F [--split train|val|test] [--num N] [--out-dir D] [--data-root R]
 *
 * Segmentation: label maps blended in (ignored pixels grey); detection: boxes
 * with class names (crowd/ignore boxes dashed); classification: the class name
 * in the file name and drawn on the image.
 */
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ConfigError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { buildDataset } from '../src/engine/build.js';
import { mixSeed } from '../src/engine/data_loader.js';
import { isPlainObject } from '../src/registry/options.js';
import { blendInstanceMasks, blendLabelMap, denormalize, writeRgbPng } from '../src/visualization/draw.js';
import { detectionsSvg } from '../src/apis/infer_detection.js';
import { COMMON_FLAGS, flagNumber, flagString, loadToolConfig, parseArgs, runTool, setupTool, usage, type FlagSpec } from './lib/cli.js';

const FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  split: { kind: 'string', help: 'train (default), val or test: which data loader of the config' },
  num: { kind: 'number', help: 'number of samples (default 8)' },
  'out-dir': { kind: 'string', help: 'default work_dirs/browse_<config name>' },
  'data-root': { kind: 'string', help: "overrides the dataset's dataRoot" },
};
const USAGE = usage('npm run browse-dataset -- --config F [--split train] [--num 8]', FLAGS);

function escapeXml(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string);
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const { config, file } = await loadToolConfig(args);
  await setupTool(args, 'cpu', 'browse-dataset (it draws on cpu; --backend overrides)');
  const split = flagString(args, 'split') ?? 'train';
  const section = split === 'train' ? config.trainDataloader : split === 'val' ? config.valDataloader : config.testDataloader;
  if (section === null) throw new ConfigError(`${split}Dataloader: not in ${file}`);
  const dataset = buildDataset(section, `${split}Dataloader`, flagString(args, 'data-root'));
  const pipeline = isPlainObject(section.dataset) && Array.isArray(section.dataset.pipeline) ? section.dataset.pipeline : [];
  const norm = pipeline.find((t) => isPlainObject(t) && t.type === 'Normalize') as { mean?: number[]; std?: number[] } | undefined;
  const mean = norm === undefined ? null : (norm.mean ?? [123.675, 116.28, 103.53]);
  const std = norm === undefined ? null : (norm.std ?? [58.395, 57.12, 57.375]);
  const outDir = flagString(args, 'out-dir') ?? join('work_dirs', `browse_${basename(file, extname(file))}`);
  mkdirSync(outDir, { recursive: true });
  const n = Math.min(flagNumber(args, 'num') ?? 8, dataset.length);
  const names = dataset.classNames;
  for (let i = 0; i < n; i++) {
    const { img, sample } = await dataset.get(i, new Rng(mixSeed(config.randomness.seed, 0, i)));
    if (img === null) throw new ConfigError('the pipeline produced no image');
    const image = denormalize(img, mean, std);
    const stem = `${String(i).padStart(3, '0')}_${basename(sample.imgPath, extname(sample.imgPath))}`;
    let data = image.data;
    let svg: string | undefined;
    let suffix = '';
    if (sample.gtSemSeg !== undefined) data = blendLabelMap(image, sample.gtSemSeg, names.length);
    if (sample.gtInstances !== undefined) {
      const k = sample.gtInstances.labels.length;
      const masks = sample.gtInstances.masks;
      // masks are padded with the image (Pad), so they have the drawn image's size
      if (masks !== undefined) data = blendInstanceMasks({ ...image, data }, masks, sample.gtInstances.labels, names.length);
      svg = detectionsSvg({ kind: 'det', bboxes: sample.gtInstances.bboxes, labels: sample.gtInstances.labels, scores: new Float32Array(k).fill(1) }, image.width, image.height, names, 0, false);
    }
    if (sample.gtLabel !== undefined) {
      const name = names[sample.gtLabel] ?? String(sample.gtLabel);
      suffix = `_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const font = Math.max(9, Math.round(image.width / 10));
      svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}"><rect width="${image.width}" height="${font + 4}" fill="black" opacity="0.6"/><text x="2" y="${font}" font-size="${font}" font-family="sans-serif" fill="white">${escapeXml(name)}</text></svg>`;
    }
    const path = join(outDir, `${stem}${suffix}.png`);
    await writeRgbPng(path, data, image.width, image.height, svg);
  }
  console.log(`wrote ${n} images with their ${split} annotations to ${outDir}`);
}

runTool(main, USAGE);

/**
 * `VisualizationHook` (in the spirit of mmdet's DetVisualizationHook): every
 * `interval`-th evaluation, draws the predictions of the first `maxImages`
 * validation images onto the original images and writes them as PNGs to
 * `<outDir>/iter_<N>/<k>_<image stem>.png` (classes as a caption with the
 * ground truth, label maps blended in, boxes scored ≥ `scoreThr` with class and
 * score). Images are read from their files again (predictions are in the
 * original images' frames); in-memory samples without a file are skipped.
 */
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { RANGES } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import type { HookContext } from '../../registry/registries.js';
import { decodeImageFile } from '../../datasets/image_io.js';
import { drawPrediction } from '../../visualization/prediction_image.js';
import { writeRgbPng } from '../../visualization/draw.js';
import { PRIORITIES, type Hook, type HookRunner, type ValIterInfo } from './hook.js';

/** Options of {@link VisualizationHook}. */
export interface VisualizationHookOptions {
  /** Draw at every N-th evaluation. Default 1. */
  interval: number;
  /** Images drawn per evaluation (the first of the validation set). Default 4. */
  maxImages: number;
  /** Boxes scored below it are not drawn. Default 0.3. */
  scoreThr: number;
  /** Output directory; null = `<workDir>/vis`. Default null. */
  outDir: string | null;
}

/** Writes validation predictions as PNGs. Priority NORMAL. */
export class VisualizationHook implements Hook {
  readonly name = 'VisualizationHook';
  priority: number = PRIORITIES.NORMAL;
  private drawn = 0;
  private dir: string | null = null;
  /** Paths written by the last drawing evaluation. */
  readonly written: string[] = [];

  constructor(readonly options: VisualizationHookOptions) {}

  /** 1-based number of the evaluation at the runner's iteration (evaluations run every `valInterval` and at the end). */
  private static evaluationNumber(runner: HookRunner): number {
    const n = Math.floor(runner.iter / runner.valInterval);
    return runner.iter % runner.valInterval === 0 ? n : n + 1;
  }

  beforeValEpoch(runner: HookRunner): void {
    this.drawn = 0;
    this.dir = null;
    if (VisualizationHook.evaluationNumber(runner) % this.options.interval !== 0) return;
    this.dir = join(this.options.outDir ?? join(runner.workDir, 'vis'), `iter_${runner.iter}`);
    mkdirSync(this.dir, { recursive: true });
    this.written.length = 0;
  }

  async afterValIter(runner: HookRunner, info: ValIterInfo): Promise<void> {
    if (this.dir === null) return;
    const names = runner.valLoader?.dataset.classNames ?? [];
    for (let i = 0; i < info.predictions.length && this.drawn < this.options.maxImages; i++) {
      const sample = info.batch.samples[i];
      if (sample === undefined || sample.imgPath === '') continue;
      const image = await decodeImageFile(sample.imgPath);
      const { data, svg } = drawPrediction(image, info.predictions[i], sample, names, this.options.scoreThr);
      const path = join(this.dir, `${String(this.drawn).padStart(3, '0')}_${basename(sample.imgPath, extname(sample.imgPath))}.png`);
      await writeRgbPng(path, data, image.width, image.height, svg);
      this.written.push(path);
      this.drawn++;
    }
  }

  afterValEpoch(runner: HookRunner): void {
    if (this.dir !== null && this.drawn > 0) runner.progress.message(`VisualizationHook: wrote ${this.drawn} prediction image(s) to ${this.dir}`);
  }
}

/** Registry entry of {@link VisualizationHook}. */
export const visualizationHookSpec: ComponentSpec<VisualizationHookOptions, Hook, HookContext> = {
  name: 'VisualizationHook',
  description: 'writes validation predictions drawn on their images as PNGs every N evaluations',
  defaults: { interval: 1, maxImages: 4, scoreThr: 0.3, outDir: null },
  kinds: { outDir: ['string', 'null'] },
  ranges: { interval: RANGES.positiveInt, maxImages: RANGES.positiveInt, scoreThr: RANGES.ratio },
  docs: {
    interval: 'draw at every N-th evaluation',
    maxImages: 'images drawn per evaluation',
    scoreThr: 'boxes scored below it are not drawn',
    outDir: 'output directory (default <workDir>/vis)',
  },
  build: (options) => new VisualizationHook(options),
};

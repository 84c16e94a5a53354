/**
 * `npm run infer` for detectors: the image with its boxes drawn (class name and
 * score), and the detections as a COCO results JSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { tf } from '../core/tf.js';
import type { RootConfig } from '../config/schema.js';
import { isPlainObject } from '../registry/options.js';
import { SingleStageDetector } from '../models/one_stage_detector.js';
import type { DetPrediction } from '../structures/prediction.js';
import type { CocoDetection as CocoResult } from '../metrics/coco/coco_types.js';
import { detectionsToCoco } from '../evaluation/coco_metric.js';
import { blendInstanceMasks, writeRgbPng } from '../visualization/draw.js';
import { preprocessImage } from './inputs.js';
import type { InferRequest } from './infer_task.js';

/** Default drawing threshold: boxes below it are written to the JSON but not drawn (mmdet's `pred_score_thr` default). */
export const DRAW_SCORE_THR = 0.3;

/** What the detector's classes are called and which COCO ids they have, when the config's dataset tells. */
export interface DetectionMeta {
  /** Name of each contiguous label, or null when unknown. */
  classNames: string[] | null;
  /** COCO category id of each label, or null when unknown. */
  catIds: number[] | null;
  /** `file_name` → image id of the annotation file, when one was read. */
  imageIds: Map<string, number>;
  /** The annotation file read, if any. */
  annFile: string | null;
}

/**
 * Class names and category ids from the annotation file of the config's test (or val)
 * dataset when it is a readable COCO file (categories sorted by id, as CocoDetection numbers
 * its labels), else from the dataset's `classes` option, else unknown.
 */
export function detectionMeta(config: RootConfig): DetectionMeta {
  const empty: DetectionMeta = { classNames: null, catIds: null, imageIds: new Map(), annFile: null };
  for (const section of [config.testDataloader, config.valDataloader]) {
    const ds = section?.dataset;
    if (!isPlainObject(ds)) continue;
    if (Array.isArray(ds.classes)) return { ...empty, classNames: ds.classes.map(String) };
    if (typeof ds.dataRoot !== 'string' || typeof ds.annFile !== 'string') continue;
    const annFile = resolve(ds.dataRoot, ds.annFile);
    if (!existsSync(annFile)) continue;
    try {
      const json = JSON.parse(readFileSync(annFile, 'utf8')) as {
        categories?: Array<{ id: number; name?: string }>;
        images?: Array<{ id: number; file_name?: string }>;
      };
      const cats = [...(json.categories ?? [])].sort((a, b) => a.id - b.id);
      const imageIds = new Map<string, number>();
      for (const im of json.images ?? []) if (typeof im.file_name === 'string') imageIds.set(basename(im.file_name), im.id);
      return { classNames: cats.map((c) => c.name ?? `category_${c.id}`), catIds: cats.map((c) => c.id), imageIds, annFile };
    } catch {
      continue;
    }
  }
  return empty;
}

/** The output paths: `out` (default `<input stem>_det.png` beside the input) and the JSON beside it. */
export function detectionOutputPaths(input: string, out: string | undefined): { image: string; json: string } {
  const image = out ?? join(dirname(input), `${basename(input, extname(input))}_det.png`);
  const ext = extname(image);
  const json = `${ext === '' ? image : image.slice(0, -ext.length)}.json`;
  return { image, json: json === image ? `${image}.json` : json };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4', '#469990'];

/** An SVG of `w × h` with the boxes scored ≥ `thr`, each tagged `name score` (or `name` without `showScores`, e.g. for ground truth). */
export function detectionsSvg(pred: DetPrediction, w: number, h: number, names: readonly string[] | null, thr = DRAW_SCORE_THR, showScores = true): string {
  const font = Math.max(10, Math.round(Math.min(w, h) / 40));
  const line = Math.max(1, Math.round(Math.min(w, h) / 300));
  const parts: string[] = [];
  for (let i = 0; i < pred.scores.length; i++) {
    if (pred.scores[i] < thr) continue;
    const [x1, y1, x2, y2] = pred.bboxes.subarray(4 * i, 4 * i + 4);
    const label = pred.labels[i];
    const color = PALETTE[label % PALETTE.length];
    const name = names?.[label] ?? `class ${label}`;
    const text = showScores ? `${name} ${pred.scores[i].toFixed(2)}` : name;
    const tw = Math.ceil(text.length * font * 0.6) + 4;
    const ty = y1 - font - 2 >= 0 ? y1 - font - 2 : y1;
    // The tag starts at the box's left edge, moved left where it would leave the image.
    const tx = Math.max(0, Math.min(x1, w - tw));
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${color}" stroke-width="${line}"/>`,
      `<rect x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw}" height="${font + 2}" fill="${color}"/>`,
      `<text x="${(tx + 2).toFixed(1)}" y="${(ty + font - 1).toFixed(1)}" font-family="sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(text)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
}

/** What {@link runDetection} produced. */
export interface DetectionInferResult {
  /** The detections in original image pixels. */
  prediction: DetPrediction;
  /** The COCO results written. */
  results: CocoResult[];
  /** The drawn image. */
  imagePath: string;
  /** The results JSON. */
  jsonPath: string;
  /** Boxes drawn (score ≥ the request's `scoreThr`, default {@link DRAW_SCORE_THR}). */
  drawn: number;
}

/**
 * Runs a detector on an image file (the config's test pipeline), draws the boxes scored
 * ≥ `scoreThr` (default {@link DRAW_SCORE_THR}) with class names and scores onto the (EXIF-oriented) image, writes it
 * to `out` (default `<input stem>_det.png` beside the input) and every detection as COCO results
 * `[{image_id, category_id, bbox: [x, y, w, h], score}]` to the same path with `.json`.
 *
 * Category ids and the image id come from the annotation file of the config's test dataset when
 * it is readable (the image's `file_name` there); otherwise `category_id` is the contiguous label
 * and `image_id` the file stem if it is a number, else 0.
 */
export async function runDetection({ model, config, input, out, scoreThr = DRAW_SCORE_THR }: InferRequest): Promise<DetectionInferResult> {
  if (!(model instanceof SingleStageDetector)) throw new Error(`inferDetection: ${model.constructor.name} is not a detector`);
  const { input: images, sample } = await preprocessImage(input, config);
  let prediction: DetPrediction;
  try {
    [prediction] = await model.predict({ inputs: images, samples: [sample] });
  } finally {
    tf.dispose(images);
  }
  const meta = detectionMeta(config);
  const stem = basename(input, extname(input));
  const imageId = meta.imageIds.get(basename(input)) ?? (/^\d+$/.test(stem) ? Number(stem) : 0);
  const catIds = meta.catIds ?? Array.from({ length: model.bboxHead.numClasses }, (_, i) => i);
  const results = detectionsToCoco(prediction, imageId, catIds);

  const { image: imagePath, json: jsonPath } = detectionOutputPaths(input, out);
  const [h, w] = sample.oriShape;
  const svg = detectionsSvg(prediction, w, h, meta.classNames, scoreThr);
  const masks = prediction.masks;
  if (masks === undefined) {
    await sharp(input)
      .rotate()
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
      .toFile(imagePath);
  } else {
    // instance masks scored >= scoreThr, blended under the boxes
    const { data, info } = await sharp(input).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width, channels: 3 };
    const keep = Array.from(prediction.scores, (s) => s >= scoreThr);
    const blended = blendInstanceMasks(image, masks, prediction.labels, meta.classNames?.length ?? model.bboxHead.numClasses, 0.5, keep);
    await writeRgbPng(imagePath, blended, info.width, info.height, svg);
  }
  writeFileSync(jsonPath, JSON.stringify(results));
  let drawn = 0;
  for (const s of prediction.scores) if (s >= scoreThr) drawn++;
  return { prediction, results, imagePath, jsonPath, drawn };
}

/** The detection writer of `npm run infer` (see {@link runDetection}); prints the paths. */
export async function inferDetection(request: InferRequest): Promise<void> {
  const r = await runDetection(request);
  console.log(`wrote ${r.imagePath} (${r.drawn} of ${r.results.length} boxes drawn, score >= ${request.scoreThr ?? DRAW_SCORE_THR})`);
  console.log(`wrote ${r.jsonPath} (${r.results.length} detections, COCO results format)`);
}

/**
 * A prediction drawn onto its image (uint8 RGB, HWC, the original image's
 * frame): a classifier's class and score (and the ground truth) as a caption,
 * a segmentor's label map blended in, a detector's boxes with class and score.
 * Returns the pixels and an SVG overlay for {@link writeRgbPng}.
 */
import type { HostImage } from '../datasets/image.js';
import type { DataSample } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';
import { blendLabelMap, segPalette } from './overlay.js';

/** Pixels and an overlay to write. */
export interface DrawnPrediction {
  /** `[H·W·3]` RGB. */
  data: Uint8Array;
  /** SVG of the image's size drawn on top, if any. */
  svg?: string;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function hex(palette: Uint8Array, label: number): string {
  const c = [0, 1, 2].map((k) => (palette[label * 3 + k] ?? 128).toString(16).padStart(2, '0'));
  return `#${c.join('')}`;
}

/** A caption bar at the top of the image. */
function captionSvg(text: string, w: number, h: number): string {
  const font = Math.max(9, Math.round(Math.min(w, 4 * h) / 20));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${font + 4}" fill="black" opacity="0.6"/>` +
    `<text x="2" y="${font}" font-size="${font}" font-family="sans-serif" fill="white">${escapeXml(text)}</text></svg>`
  );
}

/**
 * Draws `prediction` on `image`.
 * @param classNames names of the classes (index → name).
 * @param scoreThr boxes scored below it are not drawn. Default 0.3.
 */
export function drawPrediction(image: HostImage & { data: Uint8Array }, prediction: Prediction, sample: DataSample | null, classNames: readonly string[], scoreThr = 0.3): DrawnPrediction {
  const { width: w, height: h } = image;
  const name = (label: number): string => classNames[label] ?? `class ${label}`;
  if (prediction.kind === 'class') {
    const gt = sample?.gtLabel;
    const text = `${name(prediction.label)} ${(prediction.scores[prediction.label] ?? 0).toFixed(2)}${gt === undefined ? '' : ` (gt ${name(gt)})`}`;
    return { data: image.data, svg: captionSvg(text, w, h) };
  }
  if (prediction.kind === 'seg') return { data: blendLabelMap(image, prediction.labelMap, classNames.length) };
  const palette = segPalette(Math.max(classNames.length + 1, 2));
  const font = Math.max(9, Math.round(Math.min(w, h) / 30));
  const parts: string[] = [];
  for (let i = 0; i < prediction.scores.length; i++) {
    if (prediction.scores[i] < scoreThr) continue;
    const [x1, y1, x2, y2] = prediction.bboxes.subarray(4 * i, 4 * i + 4);
    const color = hex(palette, prediction.labels[i] + 1);
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${color}" stroke-width="1"/>`,
      `<text x="${x1.toFixed(1)}" y="${Math.max(font, y1 - 2).toFixed(1)}" font-family="sans-serif" font-size="${font}" fill="${color}">${escapeXml(`${name(prediction.labels[i])} ${prediction.scores[i].toFixed(2)}`)}</text>`,
    );
  }
  return { data: image.data, svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>` };
}

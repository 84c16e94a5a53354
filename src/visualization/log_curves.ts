/** Loss, learning-rate and metric curves of a run, from its JSONL log. */
import { join } from 'node:path';
import { readJsonlLog, type TrainLogRecord, type ValLogRecord } from '../structures/train_log.js';
import { DataError } from '../core/errors.js';
import { writeLinePanelsPng, type LinePanel } from './svg_chart.js';

/** Metric keys plotted by default: the headline metric of each task. */
const HEADLINE = /^(accuracy\/top\d+|mIoU|mAcc|aAcc|bbox_mAP(_50|_75)?)$/;

/** Builds the panels: loss terms, lr, and the headline validation metrics. */
export function logPanels(workDir: string): LinePanel[] {
  const records = readJsonlLog(workDir);
  if (records.length === 0) throw new DataError(`No training log (scalars.jsonl) in ${workDir}`);
  const train = records.filter((r): r is TrainLogRecord => r.mode === 'train');
  const val = records.filter((r): r is ValLogRecord => r.mode === 'val');
  const lossNames = [...new Set(train.flatMap((r) => Object.keys(r.losses)))];
  const loss: LinePanel = {
    title: 'loss',
    xLabel: 'iteration',
    series: [
      { name: 'total', points: train.map((r) => [r.iter, r.loss]) },
      ...(lossNames.length > 1 ? lossNames.map((n) => ({ name: n, points: train.map((r) => [r.iter, r.losses[n]] as [number, number]) })) : []),
    ],
  };
  const lr: LinePanel = { title: 'learning rate', xLabel: 'iteration', logY: true, series: [{ name: 'lr', points: train.map((r) => [r.iter, r.lr]) }] };
  const metricNames = [...new Set(val.flatMap((r) => Object.keys(r.metrics)))].filter((k) => HEADLINE.test(k));
  const metrics: LinePanel = {
    title: 'validation',
    xLabel: 'iteration',
    series: metricNames.map((n) => ({ name: n, points: val.map((r) => [r.iter, r.metrics[n] ?? Number.NaN] as [number, number]) })),
  };
  return [loss, lr, metrics];
}

/** Writes `<workDir>/curves.png` (or `out`) and returns its path. */
export async function plotLog(workDir: string, out?: string): Promise<string> {
  const path = out ?? join(workDir, 'curves.png');
  await writeLinePanelsPng(path, logPanels(workDir));
  return path;
}

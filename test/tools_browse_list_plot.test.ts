/**
 * The user-facing helper tools: `npm run list`, `npm run plot-log` and `npm run browse-dataset`,
 * run as processes as a user would.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logPanels } from '../src/visualization/log_curves.js';
import { writeShapesDataset } from '../src/datasets/sample/write_shapes_dataset.js';
import { runToolProcess, type ToolRun } from './helpers.js';

let root = '';

function tool(name: string, args: string[]): ToolRun {
  return runToolProcess(name, args, 'cpu');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'densekit-tools-'));
  await writeShapesDataset(join(root, 'shapes'), { numTrain: 4, numVal: 2, seed: 5 });
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('npm run list', () => {
  it('lists every registered backbone with its options and defaults (JSON)', () => {
    const r = tool('list_components', ['--registry', 'backbones', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as { backbones: Record<string, { options: Record<string, { default: unknown }> }> };
    expect(Object.keys(listed.backbones).sort()).toEqual(['HybridViT', 'ResNet', 'SwinTransformer', 'VisionTransformer']);
    expect(listed.backbones.SwinTransformer.options.windowSize.default).toBe(7);
    expect(listed.backbones.ResNet.options.frozenStages.default).toBe(-1);
  });

  it('rejects an unknown registry', () => {
    const r = tool('list_components', ['--registry', 'backbone']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown registry 'backbone'/);
  });
});

describe('npm run plot-log', () => {
  it('plots the loss terms, lr and headline metrics of a JSONL log', async () => {
    const dir = join(root, 'run');
    const lines = [10, 20, 30].map((iter) =>
      JSON.stringify({ mode: 'train', iter, epoch: 0, lr: 1e-3 / iter, loss: 1 / iter, losses: { 'decode.loss_ce': 0.7 / iter, 'aux.loss_ce': 0.3 / iter }, imagesPerSecond: 5, dataTime: 0, time: 1 }),
    );
    lines.push(JSON.stringify({ mode: 'val', iter: 30, epoch: 0, metrics: { mIoU: 0.5, aAcc: 0.9, 'IoU.background': 0.8 } }));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scalars.jsonl'), `${lines.join('\n')}\n`);
    const [loss, lr, val] = logPanels(dir);
    expect(loss.series.map((s) => s.name)).toEqual(['total', 'decode.loss_ce', 'aux.loss_ce']);
    expect(loss.series[0].points).toEqual([
      [10, 0.1],
      [20, 0.05],
      [30, 1 / 30],
    ]);
    expect(lr.series[0].points[2]).toEqual([30, 1e-3 / 30]);
    // Per-class values are left out; the headline metrics stay.
    expect(val.series.map((s) => s.name).sort()).toEqual(['aAcc', 'mIoU']);
    const r = tool('plot_log', [dir]);
    expect(r.status, r.stderr).toBe(0);
    const meta = await sharp(join(dir, 'curves.png')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(600);
  });

  it('names the work dir when it has no log', () => {
    const r = tool('plot_log', [join(root, 'shapes')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`No training log (scalars.jsonl) in ${join(root, 'shapes')}`);
  });
});

describe('npm run browse-dataset', () => {
  it('writes the training samples after the pipeline with their label maps blended in', async () => {
    const out = join(root, 'browse_seg');
    const r = tool('browse_dataset', ['--config', 'configs/segmentation/swin-mini_upernet_ade.ts', '--data-root', join(root, 'shapes'), '--out-dir', out, '--num', '3']);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['000_train_000000.png', '001_train_000001.png', '002_train_000002.png']);
    // The drawing differs from the plain JPEG where the labels are blended in.
    const drawn = await sharp(join(out, files[0])).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const plain = await sharp(join(root, 'shapes', 'images', 'training', 'train_000000.jpg'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([drawn.info.width, drawn.info.height]).toEqual([plain.info.width, plain.info.height]);
    let changed = 0;
    for (let i = 0; i < plain.data.length; i++) if (Math.abs(drawn.data[i] - plain.data[i]) > 30) changed++;
    expect(changed).toBeGreaterThan(300);
  });

  it('draws the ground-truth boxes of a detection config', async () => {
    const out = join(root, 'browse_det');
    const r = tool('browse_dataset', ['--config', 'configs/detection/swin-mini_fcos_coco.ts', '--data-root', join(root, 'shapes'), '--out-dir', out, '--num', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out)).toHaveLength(2);
    expect(r.stdout).toMatch(/wrote 2 images with their train annotations/);
  });
});

/**
 * `npm run sweep` end to end on a few generated scenes: two backbones, 32 iterations each (the mini schedule warms up for 30);
 * and a bad sweep file. (The trained numbers are not the point here; the README records a real sweep.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShapesDataset } from '../src/datasets/sample/write_shapes_dataset.js';
import { runToolProcess, type ToolRun } from './helpers.js';

let root = '';

function sweep(args: string[]): ToolRun {
  return runToolProcess('sweep', args, 'wasm');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'densekit-sweep-'));
  await writeShapesDataset(join(root, 'shapes'), { numTrain: 8, numVal: 4, seed: 3 });
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('npm run sweep', () => {
  it('rejects a sweep file with an unknown key, naming the file and the key', () => {
    const file = join(root, 'bad_sweep.mjs');
    writeFileSync(file, "export default { config: 'configs/segmentation/swin-mini_upernet_ade.ts', backbone: ['swin-mini'] };\n");
    const r = sweep(['--sweep', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/unknown key 'backbone'; valid keys: config, backbones, iters, metric/);
  });

  it('trains and evaluates each backbone on the same task and writes the table, JSON and chart', () => {
    const file = join(root, 'sweep.mjs');
    writeFileSync(file, "export default { config: 'configs/segmentation/swin-mini_upernet_ade.ts', backbones: ['swin-mini', 'vit-mini'], iters: 32 };\n");
    const out = join(root, 'out');
    const r = sweep(['--sweep', file, '--data-root', join(root, 'shapes'), '--work-dir', out]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as {
      rows: Array<{ backbone: string; metric: string; value: number; parameters: number; trainImagesPerSecond: number; peakRssMiB: number }>;
    };
    expect(result.rows.map((row) => row.backbone)).toEqual(['swin-mini', 'vit-mini']);
    for (const row of result.rows) {
      expect(row.metric).toBe('mIoU');
      expect(row.value).toBeGreaterThanOrEqual(0);
      expect(row.value).toBeLessThanOrEqual(1);
      expect(row.trainImagesPerSecond).toBeGreaterThan(0);
      expect(row.peakRssMiB).toBeGreaterThan(0);
      // Each row's metric is the one its own evaluation wrote.
      const evaluated = JSON.parse(readFileSync(join(out, row.backbone, 'eval_metrics.json'), 'utf8')) as { mIoU: number };
      expect(row.value).toBe(evaluated.mIoU);
    }
    // The two runs really used different backbones: the whole-model parameter counts differ.
    expect(result.rows[0].parameters).toBe(2_515_958);
    expect(result.rows[1].parameters).not.toBe(result.rows[0].parameters);
    const table = readFileSync(join(out, 'sweep.md'), 'utf8');
    expect(table).toMatch(/^\| backbone \| mIoU \| parameters \|/);
    expect(table).toContain('| swin-mini |');
    expect(table).toContain('| vit-mini |');
    const png = readFileSync(join(out, 'sweep.png'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(statSync(join(out, 'sweep.png')).size).toBeGreaterThan(5000);
    expect(existsSync(join(out, 'swin-mini', 'latest.safetensors'))).toBe(true);
  }, 300_000);
});

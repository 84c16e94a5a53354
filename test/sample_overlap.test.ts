/**
 * The `--overlap` shapes set (issue 14): occluding shapes of 1/6 to 1/2 of the image whose
 * COCO instance masks are their visible pixels, loaded by CocoDetection withMask.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/registry/builtins.js';
import { DATASETS } from '../src/registry/registries.js';
import { deriveSeed } from '../src/datasets/sample/prng.js';
import { MIN_VISIBLE, renderShapesScene } from '../src/datasets/sample/shapes_scene.js';
import { writeShapesDataset, type CocoInstances } from '../src/datasets/sample/write_shapes_dataset.js';
import { rleFromPolygon } from '../src/structures/mask/polygon.js';
import { rleDecodeRowMajor } from '../src/structures/mask/rle.js';
import { main } from '../tools/make_sample_data.js';
import { Rng } from '../src/core/rng.js';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { buildDataset, buildMetric } from '../src/engine/build.js';
import type { CocoMetric } from '../src/evaluation/coco_metric.js';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'overlap-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('renderShapesScene overlap', () => {
  it('draws 2-5 shapes of 1/6 to 1/2 of the image that occlude each other, each at least 40 % visible', () => {
    const size = 96;
    let occluded = 0;
    let objects = 0;
    for (let seed = 0; seed < 20; seed++) {
      const scene = renderShapesScene({ size, seed, overlap: true });
      expect(scene.objects.length).toBeGreaterThanOrEqual(2);
      expect(scene.objects.length).toBeLessThanOrEqual(5);
      scene.objects.forEach((o, i) => {
        objects++;
        if (o.occluded) occluded++;
        // own (whole-shape) pixels from the polygon: extent within the size range
        const own = rleDecodeRowMajor(rleFromPolygon(o.polygon, size, size));
        const ownCount = own.reduce((a, b) => a + b, 0);
        let visible = 0;
        let x0 = size;
        let y0 = size;
        let x1 = -1;
        let y1 = -1;
        scene.instanceMap.forEach((v, p) => {
          if (v !== i + 1) return;
          visible++;
          const x = p % size;
          const y = (p - x) / size;
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
        });
        expect(o.area).toBe(visible);
        expect(o.bbox).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
        // the polygon raster approximates the shape's own pixels; allow its error
        expect(visible).toBeGreaterThanOrEqual(0.9 * MIN_VISIBLE * ownCount);
        const xs = o.polygon.filter((_, k) => k % 2 === 0);
        const ys = o.polygon.filter((_, k) => k % 2 === 1);
        const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
        expect(extent).toBeGreaterThanOrEqual(size / 6 - 1.5);
        expect(extent).toBeLessThanOrEqual(size / 2 + 1.5);
      });
    }
    // overlaps are common, not an accident
    expect(occluded / objects).toBeGreaterThan(0.2);
  });

  it('leaves the default (non-overlapping) scenes as they were: no occlusion, 1-3 shapes', () => {
    for (let seed = 0; seed < 10; seed++) {
      const scene = renderShapesScene({ seed });
      expect(scene.objects.every((o) => !o.occluded)).toBe(true);
      expect(scene.objects.length).toBeLessThanOrEqual(3);
    }
  });
});

describe('make-sample-data --overlap', () => {
  it('writes COCO masks (polygons, RLE for occluded objects) that CocoDetection withMask loads as the visible pixels', async () => {
    const root = path.join(tmp, 'shapes-overlap');
    const lines: string[] = [];
    await main([root, '--overlap', '--num-train', '6', '--num-val', '2', '--size', '64', '--seed', '2'], (l) => lines.push(l));
    const coco = JSON.parse(fs.readFileSync(path.join(root, 'annotations', 'instances_train2017.json'), 'utf8')) as CocoInstances;
    const rles = coco.annotations.filter((a) => !Array.isArray(a.segmentation));
    expect(rles.length).toBeGreaterThan(0);
    const ds = DATASETS.build({ type: 'CocoDetection', annFile: 'annotations/instances_train2017.json', imgDir: 'train2017', withMask: true, pipeline: [] }, { dataRoot: root }, 'dataset');
    expect(ds.length).toBe(6);
    const again = await writeShapesDataset(path.join(tmp, 'again'), { numTrain: 6, numVal: 0, size: 64, seed: 2, overlap: true });
    expect(again.train.numObjects).toBe(coco.annotations.length);
    for (let i = 0; i < ds.length; i++) {
      const s = ds.sampleInfo(i);
      const masks = s.gtInstances?.masks;
      if (masks === undefined) throw new Error('no masks');
      const anns = coco.annotations.filter((a) => a.image_id === s.imgId);
      expect(masks.count).toBe(anns.length);
      const scene = renderShapesScene({ size: 64, seed: deriveTrainSeed(i), overlap: true });
      anns.forEach((a, k) => {
        const m = masks.data.subarray(k * 64 * 64, (k + 1) * 64 * 64);
        let inter = 0;
        let union = 0;
        for (let p = 0; p < m.length; p++) {
          const vis = scene.instanceMap[p] === k + 1;
          if (vis && m[p] === 1) inter++;
          if (vis || m[p] === 1) union++;
        }
        // RLE masks are the visible pixels exactly; polygons of unoccluded shapes approximate them
        if (!Array.isArray(a.segmentation)) expect(inter).toBe(union);
        else expect(inter / union).toBeGreaterThan(0.85);
      });
    }
  });
});

function deriveTrainSeed(i: number): number {
  return deriveSeed(2, 'train', i);
}

describe('instance-segmentation dataset configs', () => {
  it('shapes_coco_96_instance.ts and coco_instance.ts validate; the shapes one yields masks aligned with the padded image and a bbox+segm metric', async () => {
    const base = new URL('../configs/_base_/', import.meta.url).pathname;
    const cfgFile = path.join(tmp, 'instance_cfg.ts');
    const write = (ds: string): void =>
      fs.writeFileSync(cfgFile, `export default { _base_: ['${base}default_runtime.ts', '${base}models/fcos_swin-t_fpn.ts', '${base}datasets/${ds}', '${base}schedules/shapes_det_mini.ts'] };\n`);
    write('coco_instance.ts');
    const coco = validateConfig(await loadConfig(cfgFile), cfgFile);
    expect((coco.trainDataloader?.dataset as { withMask?: boolean }).withMask).toBe(true);
    expect(coco.valEvaluator).toMatchObject({ type: 'CocoMetric', metric: ['bbox', 'segm'] });
    write('shapes_coco_96_instance.ts');
    const config = validateConfig(await loadConfig(cfgFile), cfgFile);
    const section = config.trainDataloader;
    if (section === null || section === undefined) throw new Error('no trainDataloader');
    // written by the make-sample-data --overlap test above (tests of a file run in order)
    const root = path.join(tmp, 'shapes-overlap');
    const ds = buildDataset(section, 'trainDataloader', root);
    const r = await ds.get(0, new Rng(1));
    const masks = r.sample.gtInstances?.masks;
    expect(masks?.count).toBe(r.sample.gtInstances?.labels.length);
    expect([masks?.height, masks?.width]).toEqual([r.img?.height, r.img?.width]);
    const val = config.valDataloader;
    if (val === null || val === undefined) throw new Error('no valDataloader');
    const metric = buildMetric(config.valEvaluator ?? null, buildDataset(val, 'valDataloader', root), 'valEvaluator') as CocoMetric;
    expect(metric.iouTypes).toEqual(['bbox', 'segm']);
  });
});

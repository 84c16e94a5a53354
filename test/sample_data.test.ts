import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderShapesScene } from '../src/datasets/sample/shapes_scene.js';
import { renderStripesImage, STRIPE_CLASSES, writeStripesImageFolder } from '../src/datasets/sample/stripes_dataset.js';
import { writeShapesDataset, type CocoInstances, type ShapesDatasetSummary } from '../src/datasets/sample/write_shapes_dataset.js';
import { main, parseSampleDataArgs } from '../tools/make_sample_data.js';

let tmp = '';
let shapesRoot = '';
let summary: ShapesDatasetSummary;

const SPLITS = [
  { ade: 'training', coco: 'train2017', count: 120 },
  { ade: 'validation', coco: 'val2017', count: 40 },
] as const;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sample-data-'));
  shapesRoot = path.join(tmp, 'shapes');
  summary = await writeShapesDataset(shapesRoot);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Sorted file names in `dir` with extension `ext`. */
function list(dir: string, ext: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort();
}

/** Decodes a label PNG: header fields plus one value per pixel. */
function readLabelPng(file: string): { colorType: number; depth: number; width: number; height: number; values: Uint8Array; ihdr: [number, number] } {
  const bytes = fs.readFileSync(file);
  const png = PNG.sync.read(bytes);
  const values = new Uint8Array(png.width * png.height);
  let grey = true;
  for (let i = 0; i < values.length; i++) {
    // pngjs expands gray to RGBA; all three colour channels must carry the same value.
    grey &&= png.data[4 * i + 1] === png.data[4 * i] && png.data[4 * i + 2] === png.data[4 * i];
    values[i] = png.data[4 * i]!;
  }
  expect(grey).toBe(true);
  // IHDR: bytes 24 (bit depth) and 25 (colour type) of the file.
  return { colorType: png.colorType, depth: png.depth, width: png.width, height: png.height, values, ihdr: [bytes[24]!, bytes[25]!] };
}

function readCoco(split: 'train2017' | 'val2017', root = shapesRoot): CocoInstances {
  return JSON.parse(fs.readFileSync(path.join(root, 'annotations', `instances_${split}.json`), 'utf8')) as CocoInstances;
}

interface Component {
  label: number;
  bbox: [number, number, number, number];
  area: number;
}

/** 8-connected components of equal non-zero labels. */
function components(labels: Uint8Array, width: number, height: number): Component[] {
  const seen = new Uint8Array(labels.length);
  const out: Component[] = [];
  for (let start = 0; start < labels.length; start++) {
    const label = labels[start]!;
    if (label === 0 || seen[start]) continue;
    let [x0, y0, x1, y1, area] = [width, height, -1, -1, 0];
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      area++;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          const q = ny * width + nx;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height || seen[q] || labels[q] !== label) continue;
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    out.push({ label, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], area });
  }
  return out;
}

function boxesIntersect(a: readonly number[], b: readonly number[]): boolean {
  return a[0]! < b[0]! + b[2]! && b[0]! < a[0]! + a[2]! && a[1]! < b[1]! + b[3]! && b[1]! < a[1]! + a[3]!;
}

describe('writeShapesDataset', () => {
  it('writes the 160-scene set and reports it', () => {
    expect(summary.train.numImages).toBe(120);
    expect(summary.val.numImages).toBe(40);
    expect(summary.classes).toEqual(['background', 'rectangle', 'ellipse', 'triangle']);
    expect(summary.train.numObjects).toBe(readCoco('train2017').annotations.length);
  });

  it('has the right file counts in both layouts', () => {
    for (const s of SPLITS) {
      const images = list(path.join(shapesRoot, 'images', s.ade), '.jpg');
      const labels = list(path.join(shapesRoot, 'annotations', s.ade), '.png');
      const cocoImages = list(path.join(shapesRoot, s.coco), '.jpg');
      expect(images).toHaveLength(s.count);
      expect(labels).toHaveLength(s.count);
      expect(cocoImages).toHaveLength(s.count);
      expect(labels.map((f) => f.replace(/\.png$/, ''))).toEqual(images.map((f) => f.replace(/\.jpg$/, '')));
      const coco = readCoco(s.coco);
      expect(coco.images).toHaveLength(s.count);
      expect(coco.images.map((im) => im.file_name).sort()).toEqual(cocoImages);
    }
  });

  it('writes 8-bit grayscale label PNGs with values in {0,1,2,3} and the size of their JPEG', async () => {
    for (const s of SPLITS) {
      for (const f of list(path.join(shapesRoot, 'annotations', s.ade), '.png')) {
        const label = readLabelPng(path.join(shapesRoot, 'annotations', s.ade, f));
        expect(label.ihdr).toEqual([8, 0]);
        expect([label.colorType, label.depth]).toEqual([0, 8]);
        expect(label.values.every((v) => v <= 3)).toBe(true);
        const jpg = await sharp(path.join(shapesRoot, 'images', s.ade, f.replace(/\.png$/, '.jpg'))).metadata();
        expect(jpg.format).toBe('jpeg');
        expect([jpg.width, jpg.height, jpg.channels]).toEqual([label.width, label.height, 3]);
      }
    }
    const meta = await sharp(path.join(shapesRoot, 'annotations', 'training', 'train_000000.png')).metadata();
    expect(meta.channels).toBe(1);
  });

  it('has COCO annotations whose boxes and areas match the label maps exactly', () => {
    for (const s of SPLITS) {
      const coco = readCoco(s.coco);
      expect(coco.categories.map((c) => [c.id, c.name])).toEqual([
        [1, 'rectangle'],
        [2, 'ellipse'],
        [3, 'triangle'],
      ]);
      expect(new Set(coco.annotations.map((a) => a.id)).size).toBe(coco.annotations.length);
      for (const image of coco.images) {
        const anns = coco.annotations.filter((a) => a.image_id === image.id);
        expect(anns.length).toBeGreaterThanOrEqual(1);
        expect(anns.length).toBeLessThanOrEqual(3);
        const label = readLabelPng(path.join(shapesRoot, 'annotations', s.ade, image.file_name.replace(/\.jpg$/, '.png')));
        expect([label.width, label.height]).toEqual([image.width, image.height]);
        const { width, values } = label;
        for (const a of anns) {
          expect([1, 2, 3]).toContain(a.category_id);
          expect(a.iscrowd).toBe(0);
          const polygon = (a.segmentation as number[][])[0]!;
          expect(a.segmentation).toHaveLength(1);
          expect(polygon.length).toBe({ 1: 8, 2: 32, 3: 6 }[a.category_id]);
          expect(polygon.every((v) => v >= 0 && v <= image.width)).toBe(true);
          const [bx, by, bw, bh] = a.bbox;
          expect(bx >= 0 && by >= 0 && bx + bw <= image.width && by + bh <= image.height).toBe(true);
          // The brief's check, where no other same-class box shares pixels with this one.
          const clash = anns.some((b) => b !== a && b.category_id === a.category_id && boxesIntersect(a.bbox, b.bbox));
          if (!clash) {
            let inside = 0;
            for (let y = by; y < by + bh; y++) for (let x = bx; x < bx + bw; x++) if (values[y * width + x] === a.category_id) inside++;
            expect(inside).toBe(a.area);
          }
        }
        // Every labelled pixel belongs to exactly one annotation: one connected component per
        // object, with the same class, the same tight box and the same pixel count.
        const comps = components(values, label.width, label.height);
        const key = (c: { label?: number; category_id?: number; bbox: number[]; area: number }): string => `${c.label ?? c.category_id}:${c.bbox.join(',')}:${c.area}`;
        expect(comps.map(key).sort()).toEqual(anns.map(key).sort());
        for (const cat of [1, 2, 3]) {
          const total = values.reduce((n, v) => n + (v === cat ? 1 : 0), 0);
          expect(total).toBe(anns.filter((a) => a.category_id === cat).reduce((n, a) => n + a.area, 0));
        }
      }
    }
  });

  it('shows the same scenes in the ADE20K and COCO layouts', () => {
    for (const s of SPLITS) {
      for (const f of list(path.join(shapesRoot, 'images', s.ade), '.jpg')) {
        const ade = fs.readFileSync(path.join(shapesRoot, 'images', s.ade, f));
        const coco = fs.readFileSync(path.join(shapesRoot, s.coco, f));
        expect(coco.equals(ade)).toBe(true);
      }
    }
  });

  it('draws shapes that stand out from the background in the JPEGs', async () => {
    const coco = readCoco('val2017');
    for (const image of coco.images.slice(0, 10)) {
      const { data } = await sharp(path.join(shapesRoot, 'val2017', image.file_name))
        .raw()
        .toBuffer({ resolveWithObject: true });
      const label = readLabelPng(path.join(shapesRoot, 'annotations', 'validation', image.file_name.replace(/\.jpg$/, '.png')));
      for (const a of coco.annotations.filter((x) => x.image_id === image.id)) {
        // Mean colour inside the object vs. a 3-pixel-wide background ring around its box.
        const inner = [0, 0, 0];
        const ring = [0, 0, 0];
        let nIn = 0;
        let nRing = 0;
        const [bx, by, bw, bh] = a.bbox;
        for (let y = Math.max(0, by - 3); y < Math.min(image.height, by + bh + 3); y++) {
          for (let x = Math.max(0, bx - 3); x < Math.min(image.width, bx + bw + 3); x++) {
            const p = y * image.width + x;
            const inBox = x >= bx && x < bx + bw && y >= by && y < by + bh;
            const target = label.values[p] === a.category_id && inBox ? inner : !inBox && label.values[p] === 0 ? ring : null;
            if (!target) continue;
            for (let c = 0; c < 3; c++) target[c] += data[3 * p + c]!;
            if (target === inner) nIn++;
            else nRing++;
          }
        }
        const dist = Math.hypot(...inner.map((v, c) => v / nIn - ring[c]! / nRing));
        expect(dist).toBeGreaterThan(20);
      }
    }
  });

  it('is deterministic in the seed', async () => {
    const write = (dir: string, seed: number): Promise<ShapesDatasetSummary> => writeShapesDataset(path.join(tmp, dir), { numTrain: 6, numVal: 3, seed });
    await write('a', 7);
    await write('b', 7);
    await write('c', 8);
    const files = (root: string): Buffer[] => [
      fs.readFileSync(path.join(root, 'annotations', 'instances_train2017.json')),
      fs.readFileSync(path.join(root, 'annotations', 'instances_val2017.json')),
      ...['training', 'validation'].flatMap((s) => list(path.join(root, 'annotations', s), '.png').map((f) => fs.readFileSync(path.join(root, 'annotations', s, f)))),
      ...['training', 'validation'].flatMap((s) => list(path.join(root, 'images', s), '.jpg').map((f) => fs.readFileSync(path.join(root, 'images', s, f)))),
    ];
    const [a, b, c] = ['a', 'b', 'c'].map((d) => files(path.join(tmp, d)));
    expect(a!.length).toBe(2 + 9 + 9);
    a!.forEach((buf, i) => expect(buf.equals(b![i]!)).toBe(true));
    const same = a!.filter((buf, i) => buf.equals(c![i]!)).length;
    expect(same).toBe(0);
    expect(renderShapesScene({ seed: 3 }).rgb).toEqual(renderShapesScene({ seed: 3 }).rgb);
    expect(renderShapesScene({ seed: 3 }).labelMap).not.toEqual(renderShapesScene({ seed: 4 }).labelMap);
  });

  it('renders scenes that use all classes, 1-3 objects and non-touching shapes', () => {
    const counts = [0, 0, 0, 0];
    for (let seed = 0; seed < 200; seed++) {
      const scene = renderShapesScene({ seed });
      expect(scene.objects.length).toBeGreaterThanOrEqual(1);
      expect(scene.objects.length).toBeLessThanOrEqual(3);
      for (const o of scene.objects) counts[o.label]++;
      // Different instances never touch (8-neighbourhood).
      const { width, height, instanceMap } = scene;
      let touching = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const id = instanceMap[y * width + x]!;
          if (!id) continue;
          for (const [dx, dy] of [
            [1, 0],
            [0, 1],
            [1, 1],
            [-1, 1],
          ] as const) {
            const nx = x + dx;
            const ny = y + dy;
            if (nx < 0 || nx >= width || ny >= height) continue;
            const other = instanceMap[ny * width + nx]!;
            if (other !== 0 && other !== id) touching++;
          }
        }
      }
      expect(touching).toBe(0);
    }
    for (const label of [1, 2, 3]) expect(counts[label]).toBeGreaterThan(80);
  });

  it('colours each class from its hue sector by default, and independently of the class with classColours off', () => {
    /** Hue in degrees of the mean colour of an object's pixels (shading and noise average out). */
    const meanHue = (rgb: Uint8Array, map: Uint8Array, id: number): number => {
      const sum = [0, 0, 0];
      let n = 0;
      for (let p = 0; p < map.length; p++) {
        if (map[p] !== id) continue;
        for (let c = 0; c < 3; c++) sum[c]! += rgb[p * 3 + c]!;
        n++;
      }
      const [r, g, b] = sum.map((v) => v / n) as [number, number, number];
      return ((Math.atan2(Math.sqrt(3) * (g - b), 2 * r - g - b) * 180) / Math.PI + 360) % 360;
    };
    const hueDistance = (a: number, b: number): number => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));
    let inSector = 0;
    let inSectorShapeOnly = 0;
    let total = 0;
    for (let seed = 0; seed < 60; seed++) {
      for (const [classColours, scene] of [true, false].map((c) => [c, renderShapesScene({ seed, classColours: c })] as const)) {
        scene.objects.forEach((o, i) => {
          const near = hueDistance(meanHue(scene.rgb, scene.instanceMap, i + 1), (o.label - 1) * 120) <= 45;
          if (classColours) {
            total++;
            if (near) inSector++;
          } else if (near) inSectorShapeOnly++;
        });
      }
    }
    // Sectors are ±35° wide; anti-aliased edges and shading move the mean a little.
    expect(inSector / total).toBeGreaterThan(0.95);
    // Without class colours about a quarter (90° of 360°) land there by chance.
    expect(inSectorShapeOnly / total).toBeLessThan(0.5);
  });
});

/** Directional energy of a 3×3 box-blurred image: squared differences down columns and along rows. */
function directionalEnergy(rgb: Uint8Array, size: number): { down: number; across: number } {
  const blurred = new Float64Array(rgb.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= size || xx >= size) continue;
            sum += rgb[(yy * size + xx) * 3 + c]!;
            n++;
          }
        }
        blurred[(y * size + x) * 3 + c] = sum / n;
      }
    }
  }
  let down = 0;
  let across = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const o = (y * size + x) * 3 + c;
        down += (blurred[o + 3 * size]! - blurred[o]!) ** 2;
        across += (blurred[o + 3]! - blurred[o]!) ** 2;
      }
    }
  }
  return { down, across };
}

describe('writeStripesImageFolder', () => {
  let root = '';
  beforeAll(async () => {
    root = path.join(tmp, 'stripes');
    await writeStripesImageFolder(root);
  });

  it('writes 3 class folders per split with the right counts, mixing PNG and JPEG', () => {
    for (const [split, count] of [
      ['train', 60],
      ['val', 30],
    ] as const) {
      expect(fs.readdirSync(path.join(root, split)).sort()).toEqual([...STRIPE_CLASSES].sort());
      for (const cls of STRIPE_CLASSES) {
        const files = fs.readdirSync(path.join(root, split, cls));
        expect(files).toHaveLength(count);
        expect(files.filter((f) => f.endsWith('.png')).length).toBe(count / 2);
        expect(files.filter((f) => f.endsWith('.jpg')).length).toBe(count / 2);
      }
    }
  });

  it('varies along columns for horizontal stripes and along rows for vertical ones', async () => {
    const ratios: Record<string, number[]> = { horizontal: [], vertical: [], rings: [] };
    for (const split of ['train', 'val']) {
      for (const cls of STRIPE_CLASSES) {
        for (const f of fs.readdirSync(path.join(root, split, cls))) {
          const { data, info } = await sharp(path.join(root, split, cls, f))
            .removeAlpha()
            .raw()
            .toBuffer({ resolveWithObject: true });
          expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
          const e = directionalEnergy(new Uint8Array(data), 64);
          ratios[cls]!.push(e.down / e.across);
        }
      }
    }
    expect(Math.min(...ratios.horizontal!)).toBeGreaterThan(5);
    expect(Math.max(...ratios.vertical!)).toBeLessThan(1 / 5);
    for (const r of ratios.rings!) expect(r > 0.5 && r < 2).toBe(true);
  });

  it('is deterministic and does not encode the class in colour', () => {
    expect(renderStripesImage('rings', { seed: 5 })).toEqual(renderStripesImage('rings', { seed: 5 }));
    expect(renderStripesImage('rings', { seed: 5 })).not.toEqual(renderStripesImage('rings', { seed: 6 }));
    const meanColour = (cls: (typeof STRIPE_CLASSES)[number]): number[] => {
      const m = [0, 0, 0];
      for (let seed = 0; seed < 60; seed++) {
        const rgb = renderStripesImage(cls, { seed: 1000 + seed });
        for (let i = 0; i < rgb.length; i++) m[i % 3]! += rgb[i]! / (rgb.length / 3) / 60;
      }
      return m;
    };
    const means = STRIPE_CLASSES.map(meanColour);
    // Per-class mean colours stay near mid-grey and close to each other.
    for (const m of means) for (const v of m) expect(Math.abs(v - 127.5)).toBeLessThan(25);
  });
});

describe('tools/make_sample_data', () => {
  it('parses its arguments', () => {
    expect(parseSampleDataArgs(['out', '--num-train', '5', '--num-val=2', '--size', '64', '--seed', '3'])).toEqual({
      dir: 'out',
      numTrain: 5,
      numVal: 2,
      size: 64,
      seed: 3,
      classification: false,
      shapeOnly: false,
      overlap: false,
    });
    expect(parseSampleDataArgs(['x', '--shape-only']).shapeOnly).toBe(true);
    expect(parseSampleDataArgs(['x', '--overlap']).overlap).toBe(true);
    expect(parseSampleDataArgs(['--classification', 'x']).classification).toBe(true);
    expect(() => parseSampleDataArgs([])).toThrow(/missing output directory/);
    expect(() => parseSampleDataArgs(['x', '--size', 'big'])).toThrow(/--size needs a non-negative integer/);
    expect(() => parseSampleDataArgs(['x', '--bogus'])).toThrow(/unknown option '--bogus'/);
  });

  it('writes either dataset and prints what it wrote', async () => {
    const lines: string[] = [];
    await main([path.join(tmp, 'cli'), '--num-train', '4', '--num-val', '2', '--size', '64'], (l) => lines.push(l));
    expect(list(path.join(tmp, 'cli', 'images', 'training'), '.jpg')).toHaveLength(4);
    expect(list(path.join(tmp, 'cli', 'val2017'), '.jpg')).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/train: 4 images/);
    lines.length = 0;
    await main([path.join(tmp, 'cli_cls'), '--classification', '--num-train', '2', '--num-val', '1'], (l) => lines.push(l));
    expect(fs.readdirSync(path.join(tmp, 'cli_cls', 'val', 'rings'))).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/2 per class/);
  });
});

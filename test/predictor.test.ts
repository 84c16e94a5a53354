/** The programmatic API in Node: predict on pixels/tensors/files, no tensor leak, clear errors on bad input. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf, initModel, createPredictor, decodeImageFile } from '../src/index.js';

const DIR = 'test/fixtures/browser';
const config = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${DIR}/${name}.config.json`, 'utf8')) as Record<string, unknown>;

describe('Predictor', () => {
  it('gives the same segmentation for a file, its bytes, its pixels (RGB and RGBA) and a tensor, without leaking tensors', async () => {
    const model = await initModel(config('seg'), { weights: `${DIR}/seg.safetensors`, backend: 'cpu', log: null });
    const fromFile = await model.predict(`${DIR}/image.png`);
    const before = tf.memory().numTensors;
    const fromBytes = await model.predict(readFileSync(`${DIR}/image.png`));
    const px = await decodeImageFile(`${DIR}/image.png`);
    const rgba = new Uint8ClampedArray(px.width * px.height * 4);
    for (let i = 0; i < px.width * px.height; i++) rgba.set([px.data[3 * i], px.data[3 * i + 1], px.data[3 * i + 2], 255], 4 * i);
    const fromRgba = await model.predict({ data: rgba, width: px.width, height: px.height });
    const t = tf.tensor3d(Float32Array.from(px.data), [px.height, px.width, 3]);
    const fromTensor = await model.predict(t);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (fromFile.task !== 'segmentation') throw new Error('expected segmentation');
    for (const r of [fromBytes, fromRgba, fromTensor]) {
      if (r.task !== 'segmentation') throw new Error('expected segmentation');
      expect(Array.from(r.labelMap.data)).toEqual(Array.from(fromFile.labelMap.data));
    }
    expect(fromFile.classNames).toEqual(['background', 'rectangle', 'ellipse', 'triangle']);
    model.dispose();
  });

  it('classification: logits, softmax scores and top-5 agree', async () => {
    const { predictor } = createPredictor(config('cls'), { weights: readFileSync(`${DIR}/cls.safetensors`) });
    const r = await predictor.predict(await decodeImageFile(`${DIR}/image.png`));
    if (r.task !== 'classification') throw new Error('expected classification');
    expect(r.logits.length).toBe(3);
    expect(r.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.top5[0].label).toBe(r.label);
    expect(r.logits[r.label]).toBe(Math.max(...r.logits));
    predictor.dispose();
  });

  it('bad input gets a clear error', async () => {
    const { predictor } = createPredictor(config('cls'), { weights: readFileSync(`${DIR}/cls.safetensors`) });
    await expect(predictor.predict({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow(/10 bytes do not make a 4×4 RGB/);
    await expect(predictor.predict(tf.zeros([4, 4]) as unknown as tf.Tensor3D)).rejects.toThrow(/expected a \[H, W, 3\] RGB tensor, got shape \[4, 4\]/);
    predictor.dispose();
    expect(() => createPredictor({ _base_: ['x.ts'], model: {} })).toThrow(/has _base_/);
    expect(() => createPredictor(config('cls'), { weights: new Uint8Array([1, 2, 3]), weightsName: 'w.safetensors' })).toThrow(/w\.safetensors/);
  });
});

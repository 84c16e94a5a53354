import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { pasteMasks } from '../src/heads/detection/roi/paste_masks.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/roi_align/paste_mask.safetensors', import.meta.url).pathname;

describe.each(TEST_BACKENDS)('pasteMasks equals mmdet _do_paste_mask on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('boxes larger and smaller than the mask, partly outside, at the edge, of zero width: within 1e-5', () => {
    const [h, w] = fixture(fx, 'img_size').dataSync();
    const before = tf.memory().numTensors;
    const out = pasteMasks(fixture(fx, 'masks') as tf.Tensor3D, fixture(fx, 'boxes').dataSync() as Float32Array, h, w);
    expectClose(out, fixture(fx, 'pasted'), 1e-5, 'pasted masks');
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names mismatched inputs', () => {
    const m = tf.zeros([2, 4, 4]) as tf.Tensor3D;
    expect(() => pasteMasks(m, new Float32Array(4), 10, 10)).toThrow(/2 masks but 1 boxes/);
    expect(() => pasteMasks(m, new Float32Array(8), 0, 10)).toThrow(/image size must be positive integers, got 0×10/);
    m.dispose();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { maskTargets } from '../src/heads/detection/roi/mask_targets.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/roi_align/mask_target.safetensors', import.meta.url).pathname;

describe.each(TEST_BACKENDS)('maskTargets equals mmdet mask_target_single on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('crops, resizes and binarises the assigned gt masks exactly', () => {
    const gm = fixture(fx, 'gt_masks');
    const [count, height, width] = gm.shape;
    const masks = { data: Uint8Array.from(gm.dataSync()), count, height, width };
    const proposals = fixture(fx, 'proposals').dataSync() as Float32Array;
    const assigned = Int32Array.from(fixture(fx, 'assigned').dataSync());
    const before = tf.memory().numTensors;
    const t = maskTargets(proposals, assigned, masks);
    expectClose(t, fixture(fx, 'targets'), 0, 'mask targets');
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => maskTargets(proposals.subarray(0, 4), Int32Array.from([5]), masks)).toThrow(/RoI 0 is assigned gt 5, but the image has 3 masks/);
  });
});

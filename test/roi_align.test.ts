import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { roiAlign } from '../src/nn/functional/roi_align.js';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/roi_align/roi_align.safetensors', import.meta.url).pathname;

interface CaseSettings {
  output_size: [number, number];
  spatial_scale: number;
  sampling_ratio: number;
  aligned: boolean;
}

const CASES = JSON.parse(readSafetensors(FIXTURE).metadata.cases) as Record<string, CaseSettings>;

describe.each(TEST_BACKENDS)('roiAlign equals torchvision.ops.roi_align on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it.each(Object.keys(CASES))('%s: output and gradient of the features within 1e-5', (name) => {
    const s = CASES[name];
    const opts = { outputSize: s.output_size, spatialScale: s.spatial_scale, samplingRatio: s.sampling_ratio, aligned: s.aligned };
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = nhwc(fixture(fx, `${name}.input`));
      const rois = fixture(fx, `${name}.rois`) as tf.Tensor2D;
      const r = nhwc(fixture(fx, `${name}.loss_weight`));
      const y = roiAlign(x, rois, opts);
      expectClose(y, nhwc(fixture(fx, `${name}.output`)), 1e-5, `${name} output`);
      const dx = tf.grad((f: tf.Tensor) =>
        roiAlign(f as tf.Tensor4D, rois, opts)
          .mul(r)
          .sum(),
      )(x);
      expectClose(dx, nhwc(fixture(fx, `${name}.grad.input`)), 1e-5, `${name} d/dfeatures`);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('covers aligned and unaligned, fixed and adaptive sampling', () => {
    const settings = Object.values(CASES);
    expect(settings.some((s) => s.aligned) && settings.some((s) => !s.aligned)).toBe(true);
    expect(settings.some((s) => s.sampling_ratio <= 0) && settings.some((s) => s.sampling_ratio > 0)).toBe(true);
  });

  it('returns [0, outH, outW, C] for no RoIs', () => {
    const y = roiAlign(tf.zeros([1, 4, 4, 3]), tf.zeros([0, 5]), { outputSize: [2, 3] });
    expect(y.shape).toEqual([0, 2, 3, 3]);
    y.dispose();
  });

  it('names the bad value for a bad batch index or rois shape', () => {
    tf.tidy(() => {
      const f = tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;
      expect(() => roiAlign(f, tf.tensor2d([[2, 0, 0, 1, 1]]), { outputSize: 2 })).toThrow(/roi 0 has batch index 2; expected an integer in \[0, 1\]/);
      expect(() => roiAlign(f, tf.zeros([3, 4]) as tf.Tensor2D, { outputSize: 2 })).toThrow(/rois must be \[K, 5\].*got shape \[3,4\]/);
      expect(() => roiAlign(f, tf.zeros([1, 5]) as tf.Tensor2D, { outputSize: 0 })).toThrow(/outputSize must be positive integers/);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { SingleRoIExtractor } from '../src/heads/detection/roi/single_roi_extractor.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/roi_align/roi_extractor.safetensors', import.meta.url).pathname;

describe.each(TEST_BACKENDS)('SingleRoIExtractor equals mmdet (re-implementation on torchvision roi_align) on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('maps RoIs to the levels mmdet picks (every level used)', () => {
    const ex = new SingleRoIExtractor();
    const levels = ex.mapRoiLevels(fixture(fx, 'rois').dataSync(), 4);
    expect([...levels]).toEqual([...fixture(fx, 'levels').dataSync()]);
    expect(new Set(levels).size).toBe(4);
  });

  it('pools in RoI order and back-propagates into every level within 1e-5, without leaking', () => {
    const ex = new SingleRoIExtractor();
    const feats = [0, 1, 2, 3].map((i) => nhwc(fixture(fx, `feat${i}`)));
    const rois = fixture(fx, 'rois') as tf.Tensor2D;
    const r = nhwc(fixture(fx, 'loss_weight'));
    for (let step = 0; step < 2; step++) {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        expectClose(ex.extract(feats, rois), nhwc(fixture(fx, 'output')), 1e-5, 'pooled features');
        const grads = tf.grads((...fs: tf.Tensor[]) =>
          ex
            .extract(fs as tf.Tensor4D[], rois)
            .mul(r)
            .sum(),
        )(feats);
        grads.forEach((g, i) => expectClose(g, nhwc(fixture(fx, `grad.feat${i}`)), 1e-5, `d/dfeat${i}`));
      });
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose(feats);
  });

  it('names what is wrong with bad options or too few levels', () => {
    expect(() => new SingleRoIExtractor({ featmapStrides: [] })).toThrow(/featmapStrides must be positive/);
    expect(() => new SingleRoIExtractor({ finestScale: 0 })).toThrow(/finestScale must be > 0, got 0/);
    tf.tidy(() => {
      const ex = new SingleRoIExtractor();
      expect(() => ex.extract([tf.zeros([1, 4, 4, 1]) as tf.Tensor4D], tf.zeros([1, 5]) as tf.Tensor2D)).toThrow(/1 feature levels given, featmapStrides expects 4/);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import '../src/registry/builtins.js';
import { MODELS, BACKBONES } from '../src/registry/registries.js';
import type { ImageClassifier } from '../src/models/image_classifier.js';
import { loadWeightsInto, readWeights } from '../src/checkpoint/weights.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const dir = new URL('./fixtures/swin/', import.meta.url).pathname;
const SMALL = { type: 'SwinTransformer', arch: null, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 1, 2, 2], windowSize: 7 };

function smallClassifier(): ImageClassifier {
  return MODELS.build({ type: 'ImageClassifier', backbone: { ...SMALL, outIndices: [3] }, head: { type: 'LinearClsHead', numClasses: 5 } }, { numClasses: null }, 'model') as ImageClassifier;
}

describe.each(TEST_BACKENDS)('converted checkpoints reproduce torchvision on %s', (backend) => {
  let io: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    io = loadFixture(`${dir}swin_small_io.safetensors`);
  });
  afterAll(() => tf.dispose([...io.values()]));

  for (const [layout, file] of [
    ['swin-torchvision', 'swin_small_tv.pth'],
    ['swin-official', 'swin_small_official.pth'],
  ] as const) {
    it(`${layout}: classifier logits at 60x84 and 56x56, strict load`, () => {
      const model = smallClassifier();
      const report = loadWeightsInto(model, `${dir}${file}`);
      expect(report.conversion?.layout).toBe(layout);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      model.eval();
      for (const tag of ['60x84', '56x56']) {
        const logits = model.forward(nhwc(fixture(io, `${tag}.input`)));
        expectClose(logits, fixture(io, `${tag}.logits`), 1e-4, `${layout} ${tag} logits`);
        logits.dispose();
      }
      model.dispose();
    });
  }

  for (const file of ['swin_small_tv.pth', 'swin_small_official.pth', 'swin_small_mmdet.pth']) {
    it(`${file}: every stage output at 60x84 (not a multiple of the window)`, () => {
      const backbone = BACKBONES.build({ ...SMALL, outIndices: [0, 1, 2, 3] }, {}, 'backbone');
      const { state } = readWeights(`${dir}${file}`);
      const tensors = new Map<string, tf.Tensor>();
      for (const [k, v] of state) {
        if (k.startsWith('backbone.')) tensors.set(k.slice('backbone.'.length), tf.tensor(v.data as Float32Array, v.shape));
      }
      const report = backbone.loadStateDict(tensors, { strict: false });
      // Classification checkpoints have only the final norm; the other output norms keep identity init.
      expect(report.unexpected).toEqual([]);
      for (const m of report.missing) expect(m).toMatch(/^norm[012]\./);
      backbone.eval();
      const outs = backbone.forward(nhwc(fixture(io, '60x84.input')));
      expect(outs.map((o) => o.shape)).toEqual([
        [2, 15, 21, 8],
        [2, 8, 11, 16],
        [2, 4, 6, 32],
        [2, 2, 3, 64],
      ]);
      outs.forEach((o, i) => expectClose(o, fixture(io, `60x84.stage${i + 1}`), 1e-4, `stage${i + 1}`));
      tf.dispose([...outs, ...tensors.values()]);
      backbone.dispose();
    });
  }
});

/**
 * `CrossEntropyLoss` label smoothing against torch's `F.cross_entropy(...,
 * label_smoothing=ε)` (fixtures by test/fixtures/augment/make_label_smoothing_fixtures.py):
 * the mean loss and its gradient with respect to the logits, with and without ignored labels.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { CrossEntropyLoss } from '../src/losses/cross_entropy_loss.js';
import '../src/registry/builtins.js';
import { LOSSES } from '../src/registry/registries.js';
import { expectClose, useBackend } from './helpers.js';

interface Case {
  name: string;
  eps: number;
  logits: number[][];
  labels: number[];
  ignoreIndex: number | null;
  loss: number;
  grad: number[][];
}
const CASES = JSON.parse(readFileSync(new URL('./fixtures/augment/label_smoothing.json', import.meta.url), 'utf8')) as Case[];

beforeAll(async () => {
  await useBackend('cpu');
});

describe('CrossEntropyLoss labelSmoothing equals torch label_smoothing', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const ce = new CrossEntropyLoss({ lossWeight: 1, labelSmoothing: c.eps, classWeight: null, lossName: 'loss_ce' });
      const before = tf.memory().numTensors;
      const logits = tf.tensor2d(c.logits);
      const labels = tf.tensor1d(c.labels, 'int32');
      const call = c.ignoreIndex === null ? {} : { ignoreIndex: c.ignoreIndex };
      const loss = ce.forward(logits, labels, call);
      expect(Math.abs(loss.dataSync()[0] - c.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.loss)));
      const g = tf.grad((x: tf.Tensor) => ce.forward(x, labels, call))(logits);
      const want = tf.tensor2d(c.grad);
      expectClose(g, want, 1e-6, `${c.name} gradient`);
      tf.dispose([loss, g, want, logits, labels]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
  it('is built from a config with labelSmoothing', () => {
    const ce = LOSSES.build({ type: 'CrossEntropyLoss', labelSmoothing: 0.1 }, {}, 'head.loss') as CrossEntropyLoss;
    expect(ce.options.labelSmoothing).toBe(0.1);
  });
});

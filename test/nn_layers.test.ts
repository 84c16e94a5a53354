import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { Linear } from '../src/nn/layers/linear.js';
import { Conv2d } from '../src/nn/layers/conv2d.js';
import { LayerNorm } from '../src/nn/layers/layer_norm.js';
import { GELU } from '../src/nn/layers/activation.js';
import { Dropout, DropPath } from '../src/nn/layers/dropout.js';
import type { Module } from '../src/nn/module.js';
import { setGlobalSeed } from '../src/core/rng.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/nn/nn_layers.safetensors', import.meta.url).pathname;

/** Loads the case's parameters, runs forward and backward of sum(out·R), compares with PyTorch. */
function checkCase(fx: Map<string, tf.Tensor>, name: string, module: Module & { forward(x: tf.Tensor): tf.Tensor }, layout: 'plain' | 'nchw'): void {
  const state = new Map<string, tf.Tensor>();
  for (const p of ['weight', 'bias']) if (fx.has(`${name}.${p}`)) state.set(p, fixture(fx, `${name}.${p}`));
  module.loadStateDict(state);
  const toOurs = (t: tf.Tensor): tf.Tensor => (layout === 'nchw' ? nhwc(t) : t);
  const x = toOurs(fixture(fx, `${name}.input`));
  const r = toOurs(fixture(fx, `${name}.loss_weight`));
  const vars = [...module.trainableVariables().entries()];
  const { value, grads } =
    vars.length > 0
      ? tf.variableGrads(
          () => module.forward(x).mul(r).sum() as tf.Scalar,
          vars.map(([, v]) => v),
        )
      : { value: tf.scalar(0), grads: {} as Record<string, tf.Tensor> };
  const out = module.forward(x);
  expectClose(out, toOurs(fixture(fx, `${name}.output`)), 1e-4, `${name} output`);
  const dx = tf.grad((input: tf.Tensor) => module.forward(input).mul(r).sum())(x);
  expectClose(dx, toOurs(fixture(fx, `${name}.grad.input`)), 1e-4, `${name} d/dinput`);
  for (const [pname, v] of vars) {
    expectClose(grads[v.name], fixture(fx, `${name}.grad.${pname}`), 1e-3, `${name} d/d${pname}`);
  }
  tf.dispose([value, out, dx, ...Object.values(grads)]);
}

describe.each(TEST_BACKENDS)('layers match PyTorch on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('Linear with bias on a rank-3 input', () => checkCase(fx, 'linear', new Linear(7, 5), 'plain'));
  it('Linear without bias', () => checkCase(fx, 'linear_nobias', new Linear(6, 9, { bias: false }), 'plain'));

  const convs: Array<[string, number, number, number | [number, number], object]> = [
    ['conv_k3s1p1', 3, 8, 3, { padding: 1 }],
    ['conv_k3s2p1_odd', 4, 6, 3, { stride: 2, padding: 1 }],
    ['conv_k7s2p3_stem', 3, 5, 7, { stride: 2, padding: 3 }],
    ['conv_k3d2p2', 4, 4, 3, { padding: 2, dilation: 2 }],
    ['conv_k1', 6, 3, 1, {}],
    ['conv_k4s4', 3, 8, 4, { stride: 4 }],
    ['conv_k3x5p1x2', 2, 3, [3, 5], { padding: [1, 2] }],
  ];
  for (const [name, cin, cout, k, opts] of convs) {
    it(`Conv2d ${name}`, () => checkCase(fx, name, new Conv2d(cin, cout, k, opts), 'nchw'));
  }

  it('LayerNorm eps 1e-5', () => checkCase(fx, 'layernorm', new LayerNorm(12), 'plain'));
  it('LayerNorm eps 1e-6', () => checkCase(fx, 'layernorm_eps1e-6', new LayerNorm(12, 1e-6), 'plain'));
  it('exact GELU', () => checkCase(fx, 'gelu', new GELU(), 'plain'));
});

describe('Dropout and DropPath', () => {
  beforeAll(async () => useBackend('cpu'));

  it('are the identity in eval mode', () => {
    const x = tf.randomNormal([4, 3, 5]);
    for (const m of [new Dropout(0.5), new DropPath(0.5)]) {
      m.eval();
      expect(m.forward(x)).toBe(x);
    }
    x.dispose();
  });

  it('Dropout zeroes elements at rate p and scales the rest by 1/(1-p)', () => {
    setGlobalSeed(1);
    const x = tf.ones([200, 100]);
    const y = new Dropout(0.3).forward(x);
    const v = y.dataSync();
    const zeros = v.filter((e) => e === 0).length / v.length;
    expect(zeros).toBeGreaterThan(0.27);
    expect(zeros).toBeLessThan(0.33);
    for (const e of v) if (e !== 0) expect(e).toBeCloseTo(1 / 0.7, 5);
    tf.dispose([x, y]);
  });

  it('DropPath drops whole samples and scales kept ones by 1/(1-p)', () => {
    setGlobalSeed(2);
    const x = tf.ones([400, 3, 4]);
    const y = new DropPath(0.25).forward(x);
    const per = y.reshape([400, 12]).arraySync() as number[][];
    let dropped = 0;
    for (const row of per) {
      const first = row[0];
      expect(row.every((e) => e === first)).toBe(true);
      if (first === 0) dropped++;
      else expect(first).toBeCloseTo(1 / 0.75, 5);
    }
    expect(dropped / 400).toBeGreaterThan(0.19);
    expect(dropped / 400).toBeLessThan(0.31);
    tf.dispose([x, y]);
  });

  it('same seed gives the same mask', () => {
    const x = tf.ones([50, 8]);
    setGlobalSeed(7);
    const a = new Dropout(0.5).forward(x).dataSync().slice();
    setGlobalSeed(7);
    const b = new Dropout(0.5).forward(x).dataSync().slice();
    expect(Array.from(a)).toEqual(Array.from(b));
    x.dispose();
  });
});

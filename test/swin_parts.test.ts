import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import type { Module } from '../src/nn/module.js';
import { WindowAttention } from '../src/backbones/swin/window_attention.js';
import { SwinBlock, type SwinBlockOptions } from '../src/backbones/swin/swin_block.js';
import { PatchMerging } from '../src/backbones/swin/patch_merging.js';
import { PatchEmbed } from '../src/backbones/swin/patch_embed.js';
import { TEST_BACKENDS, expectClose, fixture, loadFixture, nhwc, useBackend } from './helpers.js';

const FIXTURE = new URL('./fixtures/swin/parts.safetensors', import.meta.url).pathname;

/** Loads every fixture tensor under `prefix.` into `module` (strict). */
function loadPrefixed(module: Module, fx: Map<string, tf.Tensor>, prefix: string): void {
  const state = new Map<string, tf.Tensor>();
  for (const key of module.stateDict().keys()) state.set(key, fixture(fx, `${prefix}.${key}`));
  module.loadStateDict(state);
}

const blockOptions = (shiftSize: number): SwinBlockOptions => ({
  dim: 16,
  numHeads: 2,
  windowSize: 4,
  shiftSize,
  mlpRatio: 4,
  qkvBias: true,
  qkScale: null,
  dropRate: 0,
  attnDropRate: 0,
  dropPath: 0,
});

describe.each(TEST_BACKENDS)('Swin parts match torchvision on %s', (backend) => {
  let fx: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await useBackend(backend);
    fx = loadFixture(FIXTURE);
  });
  afterAll(() => tf.dispose([...fx.values()]));

  it('window attention with relative position bias, without and with mask', () => {
    const attn = new WindowAttention({ dim: 16, windowSize: 4, numHeads: 2 });
    loadPrefixed(attn, fx, 'wattn');
    attn.eval();
    const x = fixture(fx, 'wattn.input') as tf.Tensor3D;
    expectClose(attn.forward(x, null), fixture(fx, 'wattn.nomask.output'), 1e-4, 'no mask');
    expectClose(attn.forward(x, fixture(fx, 'wattn.mask') as tf.Tensor3D), fixture(fx, 'wattn.mask.output'), 1e-4, 'mask');
  });

  for (const [tag, shift] of [
    ['unshifted', 0],
    ['shifted', 2],
    ['shift_w_only', 2],
  ] as const) {
    it(`shifted-window attention branch (${tag}: pad, roll, region mask, reverse, crop)`, () => {
      const block = new SwinBlock(blockOptions(shift));
      block.eval();
      loadPrefixed(block.attn, fx, `swa.${tag}.attn`);
      const y = block.shiftedWindowAttention(fixture(fx, `swa.${tag}.input`) as tf.Tensor4D);
      expectClose(y, fixture(fx, `swa.${tag}.output`), 1e-4, tag);
    });
  }

  for (const tag of ['unshifted', 'shifted'] as const) {
    it(`Swin block (${tag}): output and every gradient`, () => {
      const block = new SwinBlock(blockOptions(tag === 'shifted' ? 2 : 0));
      loadPrefixed(block, fx, `block.${tag}`);
      block.eval();
      const x = fixture(fx, `block.${tag}.input`) as tf.Tensor4D;
      const r = fixture(fx, `block.${tag}.loss_weight`);
      expectClose(block.forward(x), fixture(fx, `block.${tag}.output`), 1e-4, 'output');
      const dx = tf.grad((input: tf.Tensor) =>
        block
          .forward(input as tf.Tensor4D)
          .mul(r)
          .sum(),
      )(x);
      expectClose(dx, fixture(fx, `block.${tag}.grad.input`), 1e-3, 'd/dinput');
      const vars = [...block.trainableVariables().entries()];
      const { grads } = tf.variableGrads(
        () => block.forward(x).mul(r).sum() as tf.Scalar,
        vars.map(([, v]) => v),
      );
      expect(vars.length).toBe(13);
      for (const [name, v] of vars) expectClose(grads[v.name], fixture(fx, `block.${tag}.grad.${name}`), 2e-3, `d/d${name}`);
    });
  }

  it('patch merging on an odd-sized map', () => {
    const merge = new PatchMerging(6);
    loadPrefixed(merge, fx, 'merge');
    expectClose(merge.forward(fixture(fx, 'merge.input') as tf.Tensor4D), fixture(fx, 'merge.output'), 1e-4, 'merge');
  });

  it('patch embedding zero-pads 30x43 to 32x44', () => {
    const embed = new PatchEmbed(3, 8, 4, true);
    loadPrefixed(embed, fx, 'embed');
    const y = embed.forward(nhwc(fixture(fx, 'embed.input')));
    expect(y.shape).toEqual([2, 8, 11, 8]);
    expectClose(y, fixture(fx, 'embed.output'), 1e-4, 'embed');
  });
});

import { describe, expect, it } from 'vitest';
import { tf } from '../src/core/tf.js';
import { selectBackend } from '../src/core/backend.js';

describe('selectBackend', () => {
  it('activates wasm when requested', async () => {
    const name = await selectBackend({ requested: 'wasm', log: null });
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
  it('rejects an unknown backend with the list of known ones', async () => {
    await expect(selectBackend({ requested: 'webgpu', log: null })).rejects.toThrow(/Unknown backend 'webgpu'.*tensorflow, wasm, cpu/);
  });
});

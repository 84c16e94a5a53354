/** Shared by the timm augmentation tests: the fixtures and a player of timm's recorded draws. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { readSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/checkpoint/host_tensor.js';
import type { AugmentDraws } from '../src/datasets/transforms/augment_draws.js';

export const AUGMENT_DIR = new URL('./fixtures/augment/', import.meta.url).pathname;

/** One draw timm made, as `make_randaugment_fixtures.py` records it. */
export type Draw =
  | ['random', number]
  | ['gauss', number, number, number]
  | ['uniform', number, number, number]
  | ['randint', number, number, number]
  | ['choice', number, number]
  | ['npchoice', number[], number]
  | ['normal', number[], number[]]
  | ['zeros', number[]];

/** The fixture tensors of `randaugment.safetensors`, by name. */
export function loadAugmentTensors(): Map<string, HostTensor> {
  return readSafetensors(`${AUGMENT_DIR}randaugment.safetensors`).tensors;
}

/** The case list of `randaugment.json`. */
export function loadAugmentMeta<T>(): T {
  return JSON.parse(readFileSync(`${AUGMENT_DIR}randaugment.json`, 'utf8')) as T;
}

/** Plays back recorded draws, checking each is asked for in timm's order, with timm's arguments. */
export function replay(draws: Draw[]): AugmentDraws & { left(): number } {
  let i = 0;
  const next = <K extends Draw[0]>(kind: K): Extract<Draw, [K, ...unknown[]]> => {
    const d = draws[i++];
    if (d === undefined || d[0] !== kind) throw new Error(`draw ${i - 1}: asked for ${kind}, timm drew ${d?.[0] ?? 'nothing'}`);
    return d as Extract<Draw, [K, ...unknown[]]>;
  };
  const close = (a: number, b: number, what: string): void => {
    expect(Math.abs(a - b), `${what}: ${a} vs timm's ${b}`).toBeLessThan(1e-12);
  };
  return {
    random: () => next('random')[1],
    gauss: (mu, sigma) => {
      const d = next('gauss');
      close(mu, d[2], 'gauss mu');
      close(sigma, d[3], 'gauss sigma');
      return d[1];
    },
    uniform: (a, b) => {
      const d = next('uniform');
      close(a, d[2], 'uniform a');
      close(b, d[3], 'uniform b');
      return d[1];
    },
    randint: (a, b) => {
      const d = next('randint');
      expect([a, b]).toEqual([d[2], d[3]]);
      return d[1];
    },
    choice: (n) => {
      const d = next('choice');
      expect(n).toBe(d[2]);
      return d[1];
    },
    chooseWithReplacement: (n, k) => {
      const d = next('npchoice');
      expect([n, k]).toEqual([d[2], d[1].length]);
      return d[1];
    },
    normals: (k) => {
      const d = next('normal');
      expect(k).toBe(d[1].length);
      return Float32Array.from(d[1]);
    },
    left: () => draws.length - i,
  };
}

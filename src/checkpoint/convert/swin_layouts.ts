/**
 * Swin Transformer checkpoint layouts → our names (`backbone.*`, `head.fc.*`).
 *
 * - official Microsoft (`patch_embed.proj`, `layers.i.blocks.j`, `layers.i.downsample`, `norm`, `head`);
 * - torchvision (`features.0.0/0.2`, `features.{2i+1}.j`, `features.{2i+2}`, `mlp.0/mlp.3`, `norm`, `head`);
 * - mmdetection / mmsegmentation / mmpretrain (`backbone.stages.i.blocks.j.attn.w_msa`,
 *   `ffn.layers.0.0/1`, `norm{i}`, patch merging in nn.Unfold channel order, reordered here).
 *
 * Derived buffers (`relative_position_index`, `attn_mask`) are dropped: the model
 * rebuilds them.
 */
import type { HostTensor } from '../host_tensor.js';
import { permuteHost, reshapeHost, takeRowsHost } from './host_ops.js';
import { mapStateDict, stripPrefix, type KeyMapping, type LayoutConverter } from './layout.js';

const DERIVED = /(^|\.)(relative_position_index|attn_mask)$/;

const DERIVED_DROP: KeyMapping = { drop: 'derived buffer, rebuilt by the model' };

/** Number of stages, from the largest stage index found by `pattern` (group 1). */
function countStages(keys: readonly string[], pattern: RegExp): number {
  let max = -1;
  for (const k of keys) {
    const m = pattern.exec(k);
    if (m !== null) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** `[1, C, H, W]` (official detection repo) → `[1, H·W, C]`; other layouts unchanged. */
function absPosEmbed(t: HostTensor): HostTensor {
  if (t.shape.length !== 4) return t;
  const [, c, h, w] = t.shape;
  return reshapeHost(permuteHost(t, [0, 2, 3, 1]), [1, h * w, c]);
}

/** Official Microsoft Swin layout. */
export const swinOfficialLayout: LayoutConverter = {
  name: 'swin-official',
  description: 'official Microsoft Swin Transformer checkpoint',
  detect: (keys) => keys.some((k) => /^(module\.)?layers\.0\.blocks\.0\.attn\.qkv\.weight$/.test(k)),
  convert(state) {
    const keys = [...state.keys()];
    const stages = countStages(keys.map(stripPrefix(keys, ['module.'])), /^layers\.(\d+)\./);
    return mapStateDict(this.name, state, (key, value) => {
      if (DERIVED.test(key)) return DERIVED_DROP;
      if (key.startsWith('patch_embed.') || key.startsWith('layers.')) return { to: `backbone.${key}` };
      if (key === 'absolute_pos_embed') return { to: 'backbone.absolute_pos_embed', tensor: absPosEmbed(value) };
      if (key.startsWith('norm.')) return { to: `backbone.norm${stages - 1}.${key.slice(5)}` };
      if (key.startsWith('head.')) return { to: `head.fc.${key.slice(5)}` };
      return null;
    });
  },
};

const TV_BLOCK_RENAMES: Array<[string, string]> = [
  ['mlp.0.', 'mlp.fc1.'],
  ['mlp.3.', 'mlp.fc2.'],
];

/** torchvision `swin_t/s/b` layout. */
export const swinTorchvisionLayout: LayoutConverter = {
  name: 'swin-torchvision',
  description: 'torchvision Swin Transformer (swin_t / swin_s / swin_b) state dict',
  detect: (keys) => keys.some((k) => /^(module\.)?features\.1\.0\.attn\.qkv\.weight$/.test(k)),
  convert(state) {
    const keys = [...state.keys()];
    const stages = countStages(keys.map(stripPrefix(keys, ['module.'])), /^features\.(\d+)\./) / 2;
    return mapStateDict(this.name, state, (key) => {
      if (DERIVED.test(key)) return DERIVED_DROP;
      const target = torchvisionTarget(key, stages);
      return target === null ? null : { to: target };
    });
  },
};

/** Our name for a torchvision Swin key (without `module.`), or null for keys outside the model. */
function torchvisionTarget(key: string, stages: number): string | null {
  const feat = /^features\.(\d+)\.(.*)$/.exec(key);
  if (feat === null) {
    if (key.startsWith('norm.')) return `backbone.norm${stages - 1}.${key.slice(5)}`;
    if (key.startsWith('head.')) return `head.fc.${key.slice(5)}`;
    return null;
  }
  const idx = Number(feat[1]);
  const rest = feat[2];
  if (idx === 0) {
    if (rest.startsWith('0.')) return `backbone.patch_embed.proj.${rest.slice(2)}`;
    if (rest.startsWith('2.')) return `backbone.patch_embed.norm.${rest.slice(2)}`;
    return null;
  }
  if (idx % 2 === 0) return `backbone.layers.${(idx - 2) / 2}.downsample.${rest}`;
  const block = /^(\d+)\.(.*)$/.exec(rest);
  if (block === null) return null;
  let tail = block[2];
  for (const [from, to] of TV_BLOCK_RENAMES) if (tail.startsWith(from)) tail = to + tail.slice(from.length);
  return `backbone.layers.${(idx - 1) / 2}.blocks.${block[1]}.${tail}`;
}

/** Unfold-order blocks `k = 2·kh + kw` → official blocks `b = 2·kw + kh`: the permutation [0, 2, 1, 3]. */
const UNFOLD_TO_OFFICIAL = [0, 2, 1, 3];

/** mmdet merging reduction weight `[2C, 4C]` (channel index `c·4 + k`) → official order (`b·C + c`). */
export function unfoldReductionToOfficial(w: HostTensor): HostTensor {
  const [out, inC] = w.shape;
  const c = inC / 4;
  const blocks = permuteHost(reshapeHost(w, [out, c, 4]), [2, 0, 1]); // [4 (k), out, C]
  return reshapeHost(permuteHost(takeRowsHost(blocks, UNFOLD_TO_OFFICIAL), [1, 0, 2]), [out, inC]); // [out, 4·C]
}

/** mmdet merging norm parameter `[4C]` in unfold order → official order. */
export function unfoldNormToOfficial(v: HostTensor): HostTensor {
  const c = v.shape[0] / 4;
  const blocks = permuteHost(reshapeHost(v, [c, 4]), [1, 0]); // [4 (k), C]
  return reshapeHost(takeRowsHost(blocks, UNFOLD_TO_OFFICIAL), [4 * c]);
}

/** mmdetection / mmsegmentation / mmpretrain Swin layout. */
export const swinMmdetLayout: LayoutConverter = {
  name: 'swin-mmdet',
  description: 'mmdetection / mmsegmentation / mmpretrain Swin Transformer checkpoint',
  detect: (keys) => keys.some((k) => /(^|\.)stages\.0\.blocks\.0\.attn\.w_msa\.qkv\.weight$/.test(k)),
  convert(state) {
    return mapStateDict(this.name, state, (stripped, value) => {
      const key = stripped.replace(/^(module\.)?(backbone\.)?/, '');
      if (!/^(patch_embed\.|stages\.|norm\d+\.|absolute_pos_embed$)/.test(key)) return null;
      if (DERIVED.test(key)) return DERIVED_DROP;
      const target = key.replace(/^patch_embed\.projection\./, 'patch_embed.proj.');
      const stage = /^stages\.(\d+)\.(.*)$/.exec(target);
      if (stage !== null) {
        const rest = stage[2].replace('.attn.w_msa.', '.attn.').replace('.ffn.layers.0.0.', '.mlp.fc1.').replace('.ffn.layers.1.', '.mlp.fc2.');
        let tensor = value;
        if (rest.startsWith('downsample.reduction.')) tensor = unfoldReductionToOfficial(value);
        else if (rest.startsWith('downsample.norm.')) tensor = unfoldNormToOfficial(value);
        return { to: `backbone.layers.${stage[1]}.${rest}`, tensor };
      }
      if (target === 'absolute_pos_embed') return { to: 'backbone.absolute_pos_embed', tensor: absPosEmbed(value) };
      return { to: `backbone.${target}` };
    });
  },
};

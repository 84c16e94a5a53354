/** The layer-wise lr decay rule of mmpretrain's Swin, for {@link SwinTransformer.layerIdOf}. */
import { ConfigError } from '../../core/errors.js';
import type { LayerId } from '../../nn/layer_id.js';

/**
 * Layer id of a parameter of a Swin Transformer for layer-wise lr decay, after
 * mmpretrain's `SwinTransformer.get_layer_depth`, on this framework's names
 * (`<prefix>layers.{i}.blocks.{j}`, `<prefix>layers.{i}.downsample`). With
 * `numLayers = Σ depths`:
 *
 * - `patch_embed.*` → 0;
 * - `absolute_pos_embed` → 0 (default; mmpretrain's Swin has no rule for it and
 *   gives it `numLayers + 1`: pass `absPosEmbedAtStem: false` to match);
 * - block j of stage i → `1 + Σ depths[:i] + j`;
 * - `layers.{i}.downsample.*` → `Σ depths[:i+1]`, i.e. the id of stage i's last
 *   block (mmpretrain: `reduction`/`norm` of the downsample → `sum(depths[:i+1])`);
 * - anything else (out norms `norm{i}`, necks, heads, names without `prefix`) → `numLayers + 1`.
 *
 * @param prefix the backbone's name prefix. Default `'backbone.'`.
 */
export function swinLayerId(name: string, depths: readonly number[], options: { prefix?: string; absPosEmbedAtStem?: boolean } = {}): LayerId {
  const prefix = options.prefix ?? 'backbone.';
  const absAtStem = options.absPosEmbedAtStem ?? true;
  const numLayers = depths.reduce((a, b) => a + b, 0);
  const top = { layerId: numLayers + 1, numLayers };
  if (!name.startsWith(prefix)) return top;
  const rest = name.slice(prefix.length);
  if (rest.startsWith('patch_embed.')) return { layerId: 0, numLayers };
  if (rest === 'absolute_pos_embed') return absAtStem ? { layerId: 0, numLayers } : top;
  const parts = rest.split('.');
  if (parts[0] === 'layers' && parts.length >= 3) {
    const stage = Number(parts[1]);
    if (!Number.isInteger(stage) || stage < 0 || stage >= depths.length) {
      throw new ConfigError(`swinLayerId: '${name}' names stage ${parts[1]}, but depths has ${depths.length} stages`);
    }
    const before = depths.slice(0, stage).reduce((a, b) => a + b, 0);
    if (parts[2] === 'downsample') return { layerId: before + depths[stage], numLayers };
    if (parts[2] === 'blocks' && parts.length >= 4) {
      const block = Number(parts[3]);
      if (!Number.isInteger(block) || block < 0 || block >= depths[stage]) {
        throw new ConfigError(`swinLayerId: '${name}' names block ${parts[3]}, but stage ${stage} has ${depths[stage]} blocks`);
      }
      return { layerId: before + block + 1, numLayers };
    }
  }
  return top;
}

/**
 * Vision Transformer checkpoint layouts → our names.
 *
 * 'vit-timm': timm's `VisionTransformer` / `VisionTransformerDistilled` state
 * dicts and the official DeiT checkpoints (`{'model': ...}`, unwrapped by the
 * reader; same names as timm, DeiT having been written on timm):
 *
 * | checkpoint                                   | ours                              |
 * |----------------------------------------------|-----------------------------------|
 * | `patch_embed.proj.*`, `cls_token`, `dist_token`, `pos_embed`, `blocks.*`, `norm.*` | `backbone.<same>` |
 * | `head.*`                                     | `head.fc.*`                       |
 * | `head_dist.*` (DeiT ⚗)                       | `head.head_dist.*`                |
 * | `fc_norm.*` (timm 'avg'-pooled models)       | `head.fc_norm.*`                  |
 *
 * A leading `module.` (DataParallel) is stripped. Other keys (e.g. `norm_pre`,
 * `reg_token` of variants we do not implement) are kept under their own names,
 * so a strict load reports them.
 */
import { mapStateDict, type LayoutConverter } from './layout.js';

const BACKBONE_KEY = /^(patch_embed\.|blocks\.|norm\.|cls_token$|dist_token$|pos_embed$)/;

/** timm / DeiT ViT layout. */
export const vitTimmLayout: LayoutConverter = {
  name: 'vit-timm',
  description: 'timm VisionTransformer / DeiT checkpoint (blocks.i.attn.qkv, cls_token, pos_embed, head, head_dist)',
  detect: (keys) => keys.some((k) => /^(module\.)?blocks\.0\.attn\.qkv\.weight$/.test(k)) && keys.some((k) => /^(module\.)?(pos_embed|cls_token)$/.test(k)),
  convert(state) {
    return mapStateDict(this.name, state, (key) => {
      if (BACKBONE_KEY.test(key)) return { to: `backbone.${key}` };
      if (key.startsWith('head.')) return { to: `head.fc.${key.slice('head.'.length)}` };
      if (key.startsWith('head_dist.')) return { to: `head.head_dist.${key.slice('head_dist.'.length)}` };
      if (key.startsWith('fc_norm.')) return { to: `head.fc_norm.${key.slice('fc_norm.'.length)}` };
      return null;
    });
  },
};

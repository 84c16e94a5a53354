/**
 * Architecture presets of the Vision Transformer (Dosovitskiy et al. 2021) and
 * DeiT (Touvron et al. 2021), all at patch 16 (the backbone's default `patchSize`)
 * and 224×224 (`imgSize`).
 *
 * DeiT-Ti/S/B have exactly the architectures of ViT-Ti/S/B (same embedding
 * width, depth and heads); they differ in the training recipe and, optionally,
 * the distillation token (`distToken: true`, DeiT's "⚗" models), which is an
 * option of the backbone rather than of the preset.
 *
 * Parameter counts with a 1000-class head (see the tests): ViT-Ti/16 = DeiT-Ti
 * 5,717,416; ViT-S/16 = DeiT-S 22,050,664; ViT-B/16 = DeiT-B 86,567,656.
 */
export const VIT_ARCHS = {
  'vit-tiny': { embedDim: 192, depth: 12, numHeads: 3 },
  'vit-small': { embedDim: 384, depth: 12, numHeads: 6 },
  'vit-base': { embedDim: 768, depth: 12, numHeads: 12 },
  'deit-tiny': { embedDim: 192, depth: 12, numHeads: 3 },
  'deit-small': { embedDim: 384, depth: 12, numHeads: 6 },
  'deit-base': { embedDim: 768, depth: 12, numHeads: 12 },
} as const;

/** Name of a ViT / DeiT preset. */
export type VitArchName = keyof typeof VIT_ARCHS;

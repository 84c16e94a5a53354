/** Architecture presets of the Swin Transformer (Liu et al. 2021, Table 1). */
export const SWIN_ARCHS = {
  /** Swin-T: 28M parameters with the ImageNet head. */
  tiny: { embedDim: 96, depths: [2, 2, 6, 2], numHeads: [3, 6, 12, 24] },
  /** Swin-S: 50M. */
  small: { embedDim: 96, depths: [2, 2, 18, 2], numHeads: [3, 6, 12, 24] },
  /** Swin-B: 88M. */
  base: { embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32] },
  /** Swin-L: 197M. */
  large: { embedDim: 192, depths: [2, 2, 18, 2], numHeads: [6, 12, 24, 48] },
} as const;

/** Name of a Swin preset. */
export type SwinArchName = keyof typeof SWIN_ARCHS;

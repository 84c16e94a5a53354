/**
 * A small ViT (patch 16, so a 6x6 token grid at 96x96; embed 64, depth 4, 4 heads) with
 * ViTDet's simple feature pyramid from the stride-16 map: strides 4, 8, 16, 32, as the
 * Swin and ResNet backbones, so the same FPN / UperNet / FCOS / RetinaNet configs apply.
 * Used by `npm run sweep` and the `vit-mini_*` configs.
 */
export default { type: 'VisionTransformer', arch: null, embedDim: 64, depth: 4, numHeads: 4, patchSize: 16, imgSize: 96, dropPathRate: 0.1, outputMode: 'pyramid' };

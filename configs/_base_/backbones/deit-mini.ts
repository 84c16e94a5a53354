/**
 * vit-mini with DeiT's distillation token (the pyramid is built from the patch tokens only);
 * strides 4, 8, 16, 32. Used by `npm run sweep` and the `deit-mini_*` configs.
 */
export default { type: 'VisionTransformer', arch: null, embedDim: 64, depth: 4, numHeads: 4, patchSize: 16, imgSize: 96, distToken: true, dropPathRate: 0.1, outputMode: 'pyramid' };

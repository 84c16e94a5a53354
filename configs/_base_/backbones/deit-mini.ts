/** vit-mini with DeiT's distillation token (the pyramid uses the patch tokens), for `npm run sweep`. */
export default { type: 'VisionTransformer', arch: null, embedDim: 64, depth: 4, numHeads: 4, patchSize: 8, imgSize: 96, distToken: true, dropPathRate: 0.1, outputMode: 'pyramid' };

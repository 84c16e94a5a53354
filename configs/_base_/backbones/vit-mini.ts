/** A small ViT (patch 8) with ViTDet's simple feature pyramid (strides 4–32), for `npm run sweep`. */
export default { type: 'VisionTransformer', arch: null, embedDim: 64, depth: 4, numHeads: 4, patchSize: 8, imgSize: 96, dropPathRate: 0.1, outputMode: 'pyramid' };

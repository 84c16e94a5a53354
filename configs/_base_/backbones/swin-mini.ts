/** The small Swin of the mini configs (4 stages, strides 4–32), for `npm run sweep`. */
export default { type: 'SwinTransformer', arch: null, embedDim: 32, depths: [2, 2, 2, 2], numHeads: [1, 2, 4, 8], windowSize: 6, dropPathRate: 0.1 };

/**
 * A small Vision Transformer classifier sized for a 2-core CPU: the data, schedule
 * and optimizer of swin-mini_imagefolder.ts with a ViT backbone: patch 8 (an 8x8
 * grid of patch tokens + the class token), embed 64, depth 4, 4 heads. Default
 * data: the generated stripes set
 * (`npm run make-sample-data -- data/stripes --classification`).
 */
export default {
  _base_: ['./swin-mini_imagefolder.ts'],
  model: {
    backbone: {
      _delete_: true,
      type: 'VisionTransformer',
      arch: null,
      embedDim: 64,
      depth: 4,
      numHeads: 4,
      patchSize: 8,
      imgSize: 64,
      dropPathRate: 0.1,
      outputMode: 'tokens',
    },
    head: { _delete_: true, type: 'VisionTransformerClsHead', pool: 'cls', loss: { type: 'CrossEntropyLoss', labelSmoothing: 0.1 } },
  },
  optimWrapper: {
    paramwiseCfg: { customKeys: { _delete_: true, cls_token: { decayMult: 0.0 }, pos_embed: { decayMult: 0.0 } } },
  },
};

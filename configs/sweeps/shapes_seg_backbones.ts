/**
 * The README's backbone sweep: the mini UperNet on the shapes data with each backbone
 * family, 200 iterations each.
 *
 *   npm run make-sample-data -- data/shapes
 *   npm run sweep -- --sweep configs/sweeps/shapes_seg_backbones.ts
 */
export default {
  config: 'configs/segmentation/swin-mini_upernet_ade.ts',
  backbones: ['swin-mini', 'resnet18', 'vit-mini', 'deit-mini', 'hybrid-mini'],
  iters: 200,
};

// Training from code with your own registered component (the README's example; type-checked by `npm test`).
import { BACKBONES, train, type Backbone } from '../src/index.js';

export async function example(): Promise<void> {
  BACKBONES.register({
    name: 'SmallResNet', // usable as `type` in any config from now on
    description: 'ResNet-18 with all four stages as outputs',
    defaults: { frozenStages: -1 },
    build: (o, context, path) => BACKBONES.build({ type: 'ResNet', depth: 18, outIndices: [0, 1, 2, 3], frozenStages: o.frozenStages }, context, path) as Backbone,
  });
  const result = await train('configs/segmentation/swin-mini_upernet_ade.ts', {
    cfgOptions: ['model.backbone={"_delete_":true,"type":"SmallResNet"}', 'trainCfg.maxIters=100'],
    workDir: 'work_dirs/my_resnet', dataRoot: 'data/shapes',
  });
  console.log(result.metrics, result.weightsPath);
}

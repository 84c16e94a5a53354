/**
 * Issue 13.5: numbers of every component are range-checked at load time (heads,
 * ResNet and ViT backbones, losses, transforms), so `print-config` refuses what
 * would crash or silently misbehave in `train`, naming the key path and the range.
 * (The root sections, Swin, FPN, CrossEntropyLoss and the optimizers: `test/config_validation.test.ts`.)
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load_config.js';
import { validateConfig } from '../src/config/schema.js';
import { registerBuiltins } from '../src/registry/builtins.js';

registerBuiltins();

const SEG = 'configs/segmentation/swin-mini_upernet_ade.ts';
const SEMFPN = 'configs/segmentation/swin-mini_semfpn_ade.ts';
const RESNET_SEG = 'configs/segmentation/resnet18_upernet_ade.ts';
const VIT_SEG = 'configs/segmentation/vit-mini_upernet_ade.ts';
const HYBRID_SEG = 'configs/segmentation/hybrid-mini_upernet_ade.ts';
const FCOS = 'configs/detection/swin-mini_fcos_coco.ts';
const RETINA = 'configs/detection/swin-mini_retinanet_coco.ts';
const CLS = 'configs/classification/swin-mini_imagefolder.ts';

async function validate(config: string, option: string): Promise<void> {
  validateConfig(await loadConfig(config, { cfgOptions: [option] }), config);
}

describe('load-time ranges of component options', () => {
  it.each([
    [SEG, 'model.decodeHead.dropoutRatio=2', /Option model\.decodeHead\.dropoutRatio of UPerHead: expected a number in \[0, 1\], got 2/],
    [SEG, 'model.decodeHead.channels=0', /Option model\.decodeHead\.channels of UPerHead: expected an integer ≥ 1, got 0/],
    [SEG, 'model.decodeHead.poolScales=[1,2,0]', /Option model\.decodeHead\.poolScales\.2 of UPerHead: expected an integer ≥ 1, got 0/],
    [SEG, 'model.auxiliaryHead.numConvs=-1', /Option model\.auxiliaryHead\.numConvs of FCNHead: expected an integer ≥ 0, got -1/],
    [SEG, 'model.auxiliaryHead.kernelSize=2.5', /Option model\.auxiliaryHead\.kernelSize of FCNHead: expected an integer ≥ 1, got 2\.5/],
    [SEMFPN, 'model.decodeHead.dropoutRatio=-0.1', /Option model\.decodeHead\.dropoutRatio of FPNHead: expected a number in \[0, 1\], got -0\.1/],
    [RESNET_SEG, 'model.backbone.depth=20', /Option model\.backbone\.depth of ResNet: expected one of 18, 34, 50, 101, 152, got 20/],
    [RESNET_SEG, 'model.backbone.frozenStages=5', /Option model\.backbone\.frozenStages of ResNet: expected an integer in \[-1, 4\], got 5/],
    [RESNET_SEG, 'model.backbone.outIndices=[0,4]', /Option model\.backbone\.outIndices\.1 of ResNet: expected an integer in \[0, 3\], got 4/],
    [VIT_SEG, 'model.backbone.dropPathRate=1.2', /Option model\.backbone\.dropPathRate of VisionTransformer: expected a number in \[0, 1\], got 1\.2/],
    [VIT_SEG, 'model.backbone.patchSize=0', /Option model\.backbone\.patchSize of VisionTransformer: expected an integer ≥ 1, got 0/],
    [FCOS, 'model.bboxHead.stackedConvs=-2', /Option model\.bboxHead\.stackedConvs of FCOSHead: expected an integer ≥ 0, got -2/],
    [FCOS, 'model.bboxHead.lossCls.alpha=1.5', /Option model\.bboxHead\.lossCls\.alpha of FocalLoss: expected a number in \[0, 1\], got 1\.5/],
    [FCOS, 'model.bboxHead.lossBbox.lossWeight=-1', /Option model\.bboxHead\.lossBbox\.lossWeight of GIoULoss: expected a number ≥ 0, got -1/],
    [RETINA, 'model.bboxHead.featChannels=0', /Option model\.bboxHead\.featChannels of RetinaHead: expected an integer ≥ 1, got 0/],
    [CLS, 'model.head.dropout=1.5', /Option model\.head\.dropout of LinearClsHead: expected a number in \[0, 1\], got 1\.5/],
    [SEG, 'model.testCfg.mode=slid', /Option model\.testCfg\.mode of .*expected one of "whole", "slide", got "slid"/],
    [SEG, 'model.testCfg.stride=[0,48]', /Option model\.testCfg\.stride\.0 of .*expected an integer ≥ 1, got 0/],
    [HYBRID_SEG, 'model.backbone.vit.dropPathRate=2', /Option model\.backbone\.vit\.dropPathRate of HybridViT\.vit: expected a number in \[0, 1\], got 2/],
    [HYBRID_SEG, 'model.backbone.cnn.frozenStages=7', /Option model\.backbone\.cnn\.frozenStages of HybridViT\.cnn: expected an integer in \[-1, 4\], got 7/],
    [HYBRID_SEG, 'model.backbone.cnnStages=5', /Option model\.backbone\.cnnStages of HybridViT: expected an integer in \[1, 4\], got 5/],
    [SEG, 'valDataloader.dataset.pipeline.2.std=[58,0,57]', /Option valDataloader\.dataset\.pipeline\.2\.std\.1 of Normalize: expected a number > 0, got 0/],
    [SEMFPN, 'trainDataloader.dataset.pipeline.2.ratioRange=[0,1.5]', /Option trainDataloader\.dataset\.pipeline\.2\.ratioRange\.0 of RandomResize: expected a number > 0, got 0/],
    [SEG, 'valEvaluator.ignoreIndex=2.5', /Option valEvaluator\.ignoreIndex of IoUMetric: expected an integer, got 2\.5/],
    [CLS, 'valEvaluator.topk=[1,0]', /Option valEvaluator\.topk\.1 of Accuracy: expected an integer ≥ 1, got 0/],
    [SEG, 'trainDataloader.dataset.pipeline.2.prob=1.5', /Option trainDataloader\.dataset\.pipeline\.2\.prob of RandomFlip: expected a number in \[0, 1\], got 1\.5/],
  ])('%s with %s', async (config, option, message) => {
    await expect(validate(config, option)).rejects.toThrow(message);
  });

  it('every shipped model config still validates', async () => {
    for (const config of [SEG, SEMFPN, RESNET_SEG, VIT_SEG, HYBRID_SEG, FCOS, RETINA, CLS]) {
      await expect(validate(config, 'randomness.seed=1'), config).resolves.toBeUndefined();
    }
  });
});

import type { ComponentSpec } from '../../registry/registry.js';
import type { BackboneContext } from '../../registry/registries.js';
import { validateOptions, type OptionsSchema } from '../../registry/options.js';
import { resNetSpec } from '../resnet/spec.js';
import { visionTransformerSpec } from '../vit/spec.js';
import { HYBRID_DEFAULTS, HybridViT, type HybridViTOptions } from './hybrid_vit.js';

/** Registry entry of {@link HybridViT}. */
export const hybridViTSpec: ComponentSpec<HybridViTOptions, HybridViT, BackboneContext> = {
  name: 'HybridViT',
  description: 'ResNet stages → tokens of a ViT encoder (R50+ViT-B/16 design); multiscale stage1..stage4, featmap or tokens',
  defaults: HYBRID_DEFAULTS,
  ranges: { cnnStages: { integer: true, min: 1, max: 4 } },
  // The parts' options are checked at load time against their own schemas (and again when built).
  sections: { cnn: resNetSpec as unknown as OptionsSchema<object>, vit: visionTransformerSpec as unknown as OptionsSchema<object> },
  docs: {
    cnn: 'ResNet options (depth, baseChannels, frozenStages, normEval, ...)',
    cnnStages: 'ResNet stages before the transformer (3: stride-16 tokens)',
    vit: 'VisionTransformer options (arch, embedDim, depth, numHeads, imgSize, dropPathRate, classToken, ...); patch size is 1',
    outputMode: "'multiscale' (strides 4, 8, 16, 32), 'featmap' (stride 16) or 'tokens' (classification)",
    outIndices: "outputs of 'multiscale' mode",
  },
  // The nested CNN and transformer options are checked against their own schemas, so a
  // misspelled key there is named with its path like anywhere else.
  build: (options, _context, path) =>
    new HybridViT({
      ...options,
      cnn: validateOptions(resNetSpec, options.cnn, 'ResNet', `${path}.cnn`),
      vit: validateOptions(visionTransformerSpec, options.vit, 'VisionTransformer', `${path}.vit`),
    }),
};

import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Backbone, type FeatureSpec } from '../backbone.js';
import { RESNET_DEFAULTS, ResNet, type ResNetOptions } from '../resnet/resnet.js';
import { VIT_DEFAULTS, VisionTransformer, type VisionTransformerOptions } from '../vit/vision_transformer.js';
import type { LayerId } from '../../nn/layer_id.js';

/** Options of {@link HybridViT}. */
export interface HybridViTOptions {
  /** The CNN (a ResNet): its stages up to `cnnStages` run; default ResNet-50. Keys as ResNet's options. */
  cnn: Partial<ResNetOptions>;
  /** ResNet stages feeding the transformer: 3 → stride-16 tokens (the R50+ViT-B/16 design). Default 3. */
  cnnStages: number;
  /**
   * The transformer on the CNN map (patch size 1 over the stride-16 map, as the
   * hybrid of the ViT paper). Keys as VisionTransformer's options; `imgSize` is
   * the image size of its position grid (divided by the CNN stride here). Default ViT-B.
   */
  vit: Partial<VisionTransformerOptions>;
  /**
   * 'multiscale': `stage1`..`stage4` at strides 4, 8, 16, 32 — the CNN's early
   * stages, the transformer's map, and a 2×2 max-pool of it — for FPN/UperNet/RetinaNet/FCOS;
   * 'featmap': only the transformer's stride-16 map; 'tokens': tokens for a ViT classification head.
   * Default 'multiscale'.
   */
  outputMode: string;
  /** Outputs returned in 'multiscale' mode (0..3). Default [0, 1, 2, 3]. */
  outIndices: number[];
}

/** Defaults of {@link HybridViTOptions}. */
export const HYBRID_DEFAULTS: HybridViTOptions = {
  cnn: { depth: 50 },
  cnnStages: 3,
  vit: { arch: 'vit-base' },
  outputMode: 'multiscale',
  outIndices: [0, 1, 2, 3],
};

/**
 * A hybrid CNN + Transformer backbone (Dosovitskiy et al. 2021, "R50+ViT-B/16"):
 * a ResNet computes a stride-16 map whose positions are the tokens of a ViT
 * encoder (patch size 1, class token, learned position embedding).
 *
 * Parameters: `cnn.*` (torchvision ResNet names) and `vit.*` (timm ViT names).
 * The original R50+ViT uses a BiT ResNet-v2 (GroupNorm, weight-standardised
 * convs) and stages [3, 4, 9]; this one uses torchvision's ResNet stages, so
 * ImageNet ResNet and ViT weights load into its parts but timm's hybrid
 * checkpoints do not.
 */
export class HybridViT extends Backbone {
  readonly outputSpecs: FeatureSpec[];
  readonly cnn: ResNet;
  readonly vit: VisionTransformer;
  readonly cnnStride: number;
  readonly mode: 'multiscale' | 'featmap' | 'tokens';

  constructor(readonly options: HybridViTOptions) {
    super();
    const k = options.cnnStages;
    if (!Number.isInteger(k) || k < 1 || k > 4) throw new ConfigError(`HybridViT: cnnStages must be 1..4, got ${k}`);
    if (!['multiscale', 'featmap', 'tokens'].includes(options.outputMode)) {
      throw new ConfigError(`HybridViT: outputMode must be 'multiscale', 'featmap' or 'tokens', got '${options.outputMode}'`);
    }
    this.mode = options.outputMode as HybridViT['mode'];
    this.cnn = this.addModule('cnn', new ResNet({ ...RESNET_DEFAULTS, ...options.cnn, numStages: k, outIndices: Array.from({ length: k }, (_, i) => i) }));
    const last = this.cnn.outputSpecs[k - 1];
    this.cnnStride = last.stride;
    const imgSize = options.vit.imgSize ?? VIT_DEFAULTS.imgSize;
    const grid = (Array.isArray(imgSize) ? imgSize : [imgSize, imgSize]).map((s) => Math.max(1, Math.floor(s / this.cnnStride)));
    this.vit = this.addModule(
      'vit',
      new VisionTransformer({
        ...VIT_DEFAULTS,
        ...options.vit,
        inChannels: last.channels,
        patchSize: 1,
        imgSize: grid,
        outputMode: this.mode === 'tokens' ? 'tokens' : 'featmap',
        outIndices: [-1],
      }),
    );
    const vitSpec = this.vit.outputSpecs[0];
    if (this.mode !== 'multiscale') {
      this.outputSpecs = [{ ...vitSpec, stride: this.cnnStride }];
    } else {
      if (k !== 3) throw new ConfigError(`HybridViT: 'multiscale' needs cnnStages 3 (a stride-16 transformer map), got ${k}`);
      const all: FeatureSpec[] = [
        { name: 'stage1', channels: this.cnn.outputSpecs[0].channels, stride: 4 },
        { name: 'stage2', channels: this.cnn.outputSpecs[1].channels, stride: 8 },
        { name: 'stage3', channels: vitSpec.channels, stride: 16 },
        { name: 'stage4', channels: vitSpec.channels, stride: 32 },
      ];
      for (const i of options.outIndices) {
        if (!Number.isInteger(i) || i < 0 || i > 3) throw new ConfigError(`HybridViT: outIndices entry ${i} is not in 0..3`);
      }
      this.outputSpecs = [...new Set(options.outIndices)].sort().map((i) => all[i]);
    }
  }

  /** `[B, H, W, 3]` → the declared outputs. */
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const cnnOuts = this.cnn.forward(images); // strides 4, 8, 16 (for 3 stages)
      const [vitMap] = this.vit.forward(cnnOuts[cnnOuts.length - 1]);
      if (this.mode !== 'multiscale') return [vitMap];
      const pooled = tf.maxPool(vitMap, 2, 2, 'same'); // stride 32, ⌈h/2⌉ × ⌈w/2⌉
      const all = [cnnOuts[0], cnnOuts[1], vitMap, pooled];
      return this.outputSpecs.map((s) => all[Number(s.name.slice(5)) - 1]);
    });
  }

  /** The transformer's layer ids, shifted under `vit.`; the CNN counts as the stem (layer 0). */
  override layerIdOf(paramName: string): LayerId {
    const numLayers = this.vit.options.depth;
    if (paramName.startsWith('backbone.cnn.')) return { layerId: 0, numLayers };
    if (paramName.startsWith('backbone.vit.')) return this.vit.layerIdOf(`backbone.${paramName.slice('backbone.vit.'.length)}`);
    return { layerId: numLayers + 1, numLayers };
  }
}

/**
 * The Pooling Pyramid Module of PSPNet / UPerNet (mmseg `PPM`,
 * `mmseg/models/decode_heads/psp_head.py`).
 */
import { tf } from '../../core/tf.js';
import { Module, ModuleList } from '../../nn/module.js';
import { ConvModule, type ActCfg, type NormCfg } from '../../nn/layers/conv_module.js';
import { adaptiveAvgPool2d, resizeBilinear } from '../../nn/functional/resize.js';

/** `nn.AdaptiveAvgPool2d(outSize)` as a module (no parameters). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outSize: number) {
    super();
  }

  /** `[B, H, W, C]` → `[B, outSize, outSize, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return adaptiveAvgPool2d(x, this.outSize);
  }
}

/** One pyramid branch: `0` adaptive average pooling, `1` a 1×1 ConvModule (mmseg's `nn.Sequential`). */
export class PPMBranch extends Module {
  /** Pooling to `scale × scale`. */
  readonly pool: AdaptiveAvgPool2d;
  /** 1×1 conv `inChannels → channels`. */
  readonly conv: ConvModule;

  constructor(scale: number, inChannels: number, channels: number, normCfg: NormCfg | null, actCfg: ActCfg | null) {
    super();
    this.pool = this.addModule('0', new AdaptiveAvgPool2d(scale));
    this.conv = this.addModule('1', new ConvModule(inChannels, channels, 1, { normCfg, actCfg }));
  }

  /** `[B, H, W, inChannels]` → `[B, scale, scale, channels]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.conv.forward(this.pool.forward(x)));
  }
}

/**
 * Pooling Pyramid Module: for each scale s, adaptive average pooling to s×s, a 1×1
 * ConvModule, and bilinear upsampling back to the input size.
 *
 * State-dict names: `{i}.1.conv.weight`, `{i}.1.bn.*` (branch i, as mmseg).
 */
export class PPM extends ModuleList<PPMBranch> {
  constructor(
    readonly poolScales: readonly number[],
    inChannels: number,
    channels: number,
    normCfg: NormCfg | null,
    actCfg: ActCfg | null,
    readonly alignCorners: boolean,
  ) {
    super(poolScales.map((s) => new PPMBranch(s, inChannels, channels, normCfg, actCfg)));
  }

  /** `x` `[B, H, W, inChannels]` → one `[B, H, W, channels]` map per scale. */
  forward(x: tf.Tensor4D): tf.Tensor4D[] {
    const size: [number, number] = [x.shape[1], x.shape[2]];
    return tf.tidy(() => this.items.map((branch) => resizeBilinear(branch.forward(x), size, this.alignCorners)));
  }
}

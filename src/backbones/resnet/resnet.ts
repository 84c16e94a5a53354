import { tf } from '../../core/tf.js';
import { withExplicitPadding } from '../../nn/functional/explicit_padding.js';
import { ConfigError } from '../../core/errors.js';
import { ModuleList } from '../../nn/module.js';
import type { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batch_norm.js';
import { Backbone, type FeatureSpec } from '../backbone.js';
import { BasicBlock } from './basic_block.js';
import { Bottleneck } from './bottleneck.js';
import { Downsample, resnetConv, type ResBlock } from './common.js';

/** Block type and blocks per stage of each depth (torchvision's `resnet18` … `resnet152`). */
export const RESNET_ARCHS = {
  18: { block: 'basic', stageBlocks: [2, 2, 2, 2] },
  34: { block: 'basic', stageBlocks: [3, 4, 6, 3] },
  50: { block: 'bottleneck', stageBlocks: [3, 4, 6, 3] },
  101: { block: 'bottleneck', stageBlocks: [3, 4, 23, 3] },
  152: { block: 'bottleneck', stageBlocks: [3, 8, 36, 3] },
} as const;

/** A depth of {@link RESNET_ARCHS}. */
export type ResNetDepth = keyof typeof RESNET_ARCHS;

/**
 * Options of {@link ResNet}, mirroring mmdetection's `ResNet` (camelCase names:
 * `frozen_stages` → `frozenStages`, `norm_eval` → `normEval`, ...).
 */
export interface ResNetOptions {
  /** 18 | 34 | 50 | 101 | 152. Required. */
  depth: number | null;
  /** Input channels. Default 3. */
  inChannels: number;
  /** Channels of the stem (`conv1`); null means `baseChannels` (torchvision: 64). Default null. */
  stemChannels: number | null;
  /** `planes` of stage 1, doubled per stage (torchvision: 64). Default 64. */
  baseChannels: number;
  /** Stages (0-based) whose outputs are returned, in stage order (as mmdet). Default [0, 1, 2, 3]. */
  outIndices: number[];
  /** Stages built (mmdet's `num_stages`, 1..4); later stages do not exist. Default 4. */
  numStages: number;
  /** Freeze the stem `conv1`/`bn1` (0) and `layer1..k` (k ≥ 1); -1 freezes nothing. Default -1. */
  frozenStages: number;
  /** Keep every BatchNorm in eval mode (running statistics, no update) during training (mmdet's `norm_eval`). Default false. */
  normEval: boolean;
  /** Zero the scale of the last BatchNorm of each residual branch, so blocks start as identities. Default false. */
  zeroInitResidual: boolean;
  /** Activation checkpointing per block in training (mmdet's `with_cp`): a block keeps no intermediates in forward and recomputes them in backward; saves memory, costs a second forward of each block. Default false. */
  withCp: boolean;
}

/** Defaults of {@link ResNetOptions}. */
export const RESNET_DEFAULTS: ResNetOptions = {
  depth: null,
  inChannels: 3,
  stemChannels: null,
  baseChannels: 64,
  outIndices: [0, 1, 2, 3],
  numStages: 4,
  frozenStages: -1,
  normEval: false,
  zeroInitResidual: false,
  withCp: false,
};

/** {@link ResNetOptions} after checking: the depth known, the stem width resolved. */
export type ResolvedResNetOptions = ResNetOptions & { depth: ResNetDepth; stemChannels: number };

/**
 * torchvision's ResNet (He et al. 2016, "v1.5": the stride of a Bottleneck on its 3×3 conv)
 * as a backbone, NHWC, without the classifier (`avgpool`/`fc`: a classification head's job).
 *
 * Stem: `conv1` 7×7 stride 2 → `bn1` → ReLU → 3×3 max pool stride 2 (padding 1); then
 * `layer1` … `layer4` with strides 1, 2, 2, 2. State-dict names are torchvision's:
 * `conv1`, `bn1`, `layer{i}.{j}.conv1/bn1/conv2/bn2[/conv3/bn3]`, `layer{i}.0.downsample.0/1`,
 * so torchvision, mmdetection, mmsegmentation and mmpretrain (`backbone.` prefix) checkpoints
 * load directly.
 *
 * Outputs `stage{i+1}` for each i in `outIndices`: `[B, ⌈H/s⌉, ⌈W/s⌉, C_i]`, s = 4·2^i,
 * C_i = baseChannels·2^i·expansion (64/128/256/512 for BasicBlock, 256 … 2048 for Bottleneck).
 *
 * Initialisation as torchvision: convolutions Kaiming normal (`fan_out`, ReLU), BatchNorm 1 / 0,
 * and with `zeroInitResidual` the last BatchNorm scale of every block 0.
 */
export class ResNet extends Backbone {
  readonly outputSpecs: FeatureSpec[];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Array<ModuleList<ResBlock>>;
  readonly options: ResolvedResNetOptions;

  constructor(options: Partial<ResNetOptions> = {}) {
    super();
    const o = resolveResNetOptions({ ...RESNET_DEFAULTS, ...options });
    this.options = o;
    const arch = RESNET_ARCHS[o.depth];
    const Block = arch.block === 'basic' ? BasicBlock : Bottleneck;
    const expansion = Block.expansion;

    this.conv1 = this.addModule('conv1', resnetConv(o.inChannels, o.stemChannels, 7, 2, 3));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(o.stemChannels));
    let inplanes = o.stemChannels;
    this.layers = arch.stageBlocks.slice(0, o.numStages).map((blocks, i) => {
      const planes = o.baseChannels * 2 ** i;
      const stride = i === 0 ? 1 : 2;
      const list: ResBlock[] = [];
      for (let j = 0; j < blocks; j++) {
        const s = j === 0 ? stride : 1;
        const downsample = j === 0 && (s !== 1 || inplanes !== planes * expansion) ? new Downsample(inplanes, planes * expansion, s) : null;
        list.push(new Block(inplanes, planes, s, downsample, o.withCp));
        inplanes = planes * expansion;
      }
      if (o.zeroInitResidual) for (const block of list) block.zeroInitLastNorm();
      return this.addModule(`layer${i + 1}`, new ModuleList(list));
    });
    this.outputSpecs = o.outIndices.map((i) => ({
      name: `stage${i + 1}`,
      channels: o.baseChannels * 2 ** i * expansion,
      stride: 4 * 2 ** i,
    }));
    this.applyFrozenStages();
  }

  /** Freezes the stem and `layer1..frozenStages`, as mmdetection's `_freeze_stages`. */
  private applyFrozenStages(): void {
    const k = this.options.frozenStages;
    if (k < 0) return;
    this.conv1.freeze();
    this.bn1.freeze();
    for (let i = 0; i < Math.min(k, this.layers.length); i++) this.layers[i].freeze();
  }

  /** Training mode; with `normEval`, every BatchNorm stays in eval mode (mmdet's `norm_eval`). */
  override train(mode = true): this {
    super.train(mode);
    if (mode && this.options.normEval) {
      for (const [, m] of this.namedModules()) if (m instanceof BatchNorm2d) m.training = false;
    }
    return this;
  }

  /** `[B, H, W, inChannels]` → one NHWC map per output spec. */
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      let x = tf.relu(this.bn1.forward(this.conv1.forward(images))); // [B, H/2, W/2, stem]
      const pooled = withExplicitPadding(
        x,
        [
          [1, 1],
          [1, 1],
        ],
        -Infinity,
      );
      x = tf.maxPool(pooled.input, 3, 2, pooled.pad); // [B, H/4, W/4, stem]
      const outs: tf.Tensor4D[] = [];
      const outIndices = this.options.outIndices; // sorted
      const last = outIndices[outIndices.length - 1];
      for (let i = 0; i <= last; i++) {
        for (const block of this.layers[i].items) x = block.forward(x);
        if (outIndices.includes(i)) outs.push(x);
      }
      return outs;
    });
  }
}

/** Checks the options and resolves the stem width. */
export function resolveResNetOptions(o: ResNetOptions): ResolvedResNetOptions {
  if (o.depth === null) {
    throw new ConfigError(`ResNet: set depth (one of ${Object.keys(RESNET_ARCHS).join(', ')})`);
  }
  if (!(o.depth in RESNET_ARCHS)) {
    throw new ConfigError(`ResNet: invalid depth ${o.depth}; expected one of ${Object.keys(RESNET_ARCHS).join(', ')}`);
  }
  const positive = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`ResNet: ${name} must be a positive integer, got ${v}`);
  };
  positive('inChannels', o.inChannels);
  positive('baseChannels', o.baseChannels);
  const stemChannels = o.stemChannels ?? o.baseChannels;
  positive('stemChannels', stemChannels);
  if (!Number.isInteger(o.numStages) || o.numStages < 1 || o.numStages > 4) {
    throw new ConfigError(`ResNet: numStages must be 1..4, got ${o.numStages}`);
  }
  if (o.outIndices.length === 0) throw new ConfigError('ResNet: outIndices is empty');
  const seen = new Set<number>();
  for (const i of o.outIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= o.numStages) {
      throw new ConfigError(`ResNet: outIndices entry ${i} is not a stage index in [0, ${o.numStages - 1}]`);
    }
    if (seen.has(i)) throw new ConfigError(`ResNet: outIndices entry ${i} is repeated`);
    seen.add(i);
  }
  if (!Number.isInteger(o.frozenStages) || o.frozenStages < -1 || o.frozenStages > 4) {
    throw new ConfigError(`ResNet: frozenStages ${o.frozenStages} is outside [-1, 4]`);
  }
  if (typeof o.withCp !== 'boolean') throw new ConfigError(`ResNet: withCp must be true or false, got ${JSON.stringify(o.withCp)}`);
  return { ...o, depth: o.depth as ResNetDepth, stemChannels, outIndices: [...o.outIndices].sort((a, b) => a - b) };
}

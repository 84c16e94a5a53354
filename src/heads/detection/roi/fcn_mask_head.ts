/**
 * mmdetection 3.x's `FCNMaskHead` (mmdet/models/roi_heads/mask_heads/fcn_mask_head.py), the mask
 * head of Mask R-CNN, over NHWC RoI features: `numConvs` 3×3 ConvModules with ReLU
 * (`convs.{i}.conv`), a 2×2 stride-2 transposed convolution with ReLU (`upsample`) and a 1×1
 * convolution to one logit map per class (`conv_logits`): `[R, 14, 14, 256]` → `[R, 28, 28, K]`.
 *
 * torchvision's `MaskRCNNHeads` + `MaskRCNNPredictor` is the same network (`mask_head.{i}.0`,
 * `mask_predictor.conv5_mask`, `mask_predictor.mask_fcn_logits`, with a background map the
 * converter drops).
 */
import { tf } from '../../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../../core/errors.js';
import { Module, ModuleList } from '../../../nn/module.js';
import { Conv2d } from '../../../nn/layers/conv2d.js';
import { ConvModule, initConv } from '../../../nn/layers/conv_module.js';
import { ConvTranspose2x2 } from '../../../nn/layers/conv_transpose2x2.js';
import { kaimingNormal, zeros } from '../../../nn/init.js';
import type { ComponentSpec } from '../../../registry/registry.js';
import type { HeadContext } from '../../../registry/registries.js';
import type { BitmapMasks } from '../../../structures/data_sample.js';
import { resolveHeadNumClasses } from '../../num_classes.js';
import { withConfigPath } from '../dense_head.js';
import { pasteMasks } from './paste_masks.js';

/** Everything {@link FCNMaskHead} is built from. */
export interface FCNMaskHeadInit {
  /** 3×3 convolutions before the upsampling. Default 4. */
  numConvs: number;
  /** Side of the pooled RoI features. Default 14. */
  roiFeatSize: number;
  /** Channels of the pooled features. Default 256. */
  inChannels: number;
  /** Channels of the convolutions and of the upsampling. Default 256. */
  convOutChannels: number;
  /** Foreground classes `K`. */
  numClasses: number;
  /** One mask for all classes. Default false. */
  classAgnostic: boolean;
  /** Multiplier of `loss_mask`. Default 1. */
  lossWeight: number;
}

/** The Mask R-CNN mask head. */
export class FCNMaskHead extends Module {
  readonly roiFeatSize: number;
  readonly inChannels: number;
  readonly numClasses: number;
  readonly classAgnostic: boolean;
  readonly lossWeight: number;
  readonly convs: ModuleList<ConvModule>;
  readonly upsample: ConvTranspose2x2;
  readonly convLogits: Conv2d;

  constructor(init: FCNMaskHeadInit) {
    super();
    this.roiFeatSize = init.roiFeatSize;
    this.inChannels = init.inChannels;
    this.numClasses = init.numClasses;
    this.classAgnostic = init.classAgnostic;
    this.lossWeight = init.lossWeight;
    this.convs = this.addModule('convs', new ModuleList<ConvModule>());
    let ch = init.inChannels;
    for (let i = 0; i < init.numConvs; i++) {
      this.convs.push(new ConvModule(ch, init.convOutChannels, 3, { padding: 1 }));
      ch = init.convOutChannels;
    }
    this.upsample = this.addModule('upsample', new ConvTranspose2x2(ch, init.convOutChannels));
    this.convLogits = this.addModule('conv_logits', new Conv2d(init.convOutChannels, init.classAgnostic ? 1 : init.numClasses, 1));
    // mmdet's init_weights: Kaiming-normal (fan_out, ReLU) upsample and conv_logits, zero biases.
    const w = kaimingNormal(this.upsample.weight.shape, { mode: 'fan_out', nonlinearity: 'relu' });
    this.upsample.weight.variable.assign(w);
    w.dispose();
    if (this.upsample.bias !== null) {
      const b = zeros(this.upsample.bias.shape);
      this.upsample.bias.variable.assign(b);
      b.dispose();
    }
    initConv(this.convLogits, 'kaiming');
  }

  /** Mask maps per RoI: `numClasses`, or 1 when class-agnostic. */
  get outChannels(): number {
    return this.classAgnostic ? 1 : this.numClasses;
  }

  /** `[R, S, S, C]` pooled features → `[R, 2S, 2S, K]` mask logits. */
  forward(roiFeats: tf.Tensor4D): tf.Tensor4D {
    const [, h, w, c] = roiFeats.shape;
    if (h !== this.roiFeatSize || w !== this.roiFeatSize || c !== this.inChannels) {
      throw new ShapeError(`FCNMaskHead: expected RoI features [R, ${this.roiFeatSize}, ${this.roiFeatSize}, ${this.inChannels}], got ${formatShape(roiFeats.shape)}`);
    }
    return tf.tidy(() => {
      let x = roiFeats;
      for (const conv of this.convs.items) x = conv.forward(x);
      return this.convLogits.forward(tf.relu(this.upsample.forward(x)));
    });
  }

  /**
   * The logit map of each RoI's class.
   * @param logits `[R, M, M, K]`.
   * @param labels `[R]` classes `0 … K−1`.
   * @returns `[R, M, M]`.
   */
  selectClass(logits: tf.Tensor4D, labels: Int32Array): tf.Tensor3D {
    const [r, mh, mw, k] = logits.shape;
    if (labels.length !== r) throw new ShapeError(`FCNMaskHead: ${r} mask predictions but ${labels.length} labels`);
    if (r === 0) return tf.zeros([0, mh, mw]);
    return tf.tidy(() => {
      const index = Int32Array.from(labels, (l, i) => i * k + (this.classAgnostic ? 0 : l));
      const flat = logits.transpose([0, 3, 1, 2]).reshape([r * k, mh, mw]); // [R·K, M, M]
      return tf.gather(flat, tf.tensor1d(index, 'int32')) as tf.Tensor3D;
    });
  }

  /**
   * mmdet's `loss_mask` (`CrossEntropyLoss(use_mask=True)`) = torchvision's `maskrcnn_loss`: binary
   * cross-entropy with logits of each positive RoI's gt-class map against its target, averaged over
   * all pixels, times `lossWeight`; 0 (still connected to the logits) without positives.
   * @param logits `[P, M, M, K]`; @param labels `[P]`; @param targets `[P, M, M]` in [0, 1].
   */
  loss(logits: tf.Tensor4D, labels: Int32Array, targets: tf.Tensor3D): tf.Scalar {
    return tf.tidy(() => {
      if (labels.length === 0) return logits.sum().mul(0) as tf.Scalar;
      const x = this.selectClass(logits, labels);
      if (x.shape.join() !== targets.shape.join()) {
        throw new ShapeError(`FCNMaskHead.loss: predictions ${formatShape(x.shape)} but targets ${formatShape(targets.shape)}`);
      }
      // max(x, 0) − x·t + log(1 + exp(−|x|)), the stable form of PyTorch's binary_cross_entropy_with_logits
      const bce = tf
        .relu(x)
        .sub(x.mul(targets))
        .add(tf.log1p(tf.exp(tf.abs(x).neg())));
      return bce.mean().mul(this.lossWeight) as tf.Scalar;
    });
  }

  /**
   * Test-time masks (mmdet's `_predict_by_feat_single`): the sigmoid of each box's class map,
   * pasted into the output frame ({@link pasteMasks}) and thresholded.
   * @param logits `[D, M, M, K]`.
   * @param labels `[D]`.
   * @param boxes `[D·4]` in the output frame.
   * @param outShape `[h, w]` of the output frame.
   * @param threshold binary threshold (mmdet's `mask_thr_binary`, 0.5).
   */
  async predictMasks(logits: tf.Tensor4D, labels: Int32Array, boxes: Float32Array, outShape: readonly [number, number], threshold: number): Promise<BitmapMasks> {
    const [h, w] = outShape;
    const d = labels.length;
    const binary = tf.tidy(() => pasteMasks(tf.sigmoid(this.selectClass(logits, labels)) as tf.Tensor3D, boxes, h, w).greaterEqual(threshold));
    try {
      const bits = (await binary.data()) as Uint8Array;
      return { data: Uint8Array.from(bits), count: d, height: h, width: w };
    } finally {
      binary.dispose();
    }
  }
}

/** Options of {@link FCNMaskHead}'s spec: mmdet's names in camelCase. */
export interface FCNMaskHeadOptions {
  /** Default 4. */
  numConvs: number;
  /** Default 14. */
  roiFeatSize: number;
  /** Null takes the inputs'. Default null. */
  inChannels: number | null;
  /** Only 3 (mmdet's default). Default 3. */
  convKernelSize: number;
  /** Default 256. */
  convOutChannels: number;
  /** Only `{type: 'deconv', scaleFactor: 2}`. */
  upsampleCfg: { type: string; scaleFactor: number };
  /** Null takes the dataset's. Default null. */
  numClasses: number | null;
  /** Default false. */
  classAgnostic: boolean;
  /** Multiplier of the binary cross-entropy `loss_mask`. Default 1. */
  lossMaskWeight: number;
}

/** Registry entry of {@link FCNMaskHead}. */
export const fcnMaskHeadSpec: ComponentSpec<FCNMaskHeadOptions, FCNMaskHead, HeadContext> = {
  name: 'FCNMaskHead',
  description: 'Mask R-CNN mask head (mmdet 3.x): 4 conv3x3 + deconv 2x + conv1x1, per-class mask logits, BCE loss',
  defaults: {
    numConvs: 4,
    roiFeatSize: 14,
    inChannels: null,
    convKernelSize: 3,
    convOutChannels: 256,
    upsampleCfg: { type: 'deconv', scaleFactor: 2 },
    numClasses: null,
    classAgnostic: false,
    lossMaskWeight: 1,
  },
  kinds: { inChannels: ['number', 'null'], numClasses: ['number', 'null'] },
  sections: { upsampleCfg: { defaults: { type: 'deconv', scaleFactor: 2 } } },
  ranges: { numConvs: { integer: true, min: 0 }, roiFeatSize: { integer: true, min: 1 }, convOutChannels: { integer: true, min: 1 }, lossMaskWeight: { min: 0 } },
  docs: {
    numConvs: '3x3 convolutions before the upsampling',
    roiFeatSize: 'pooled feature side (the mask RoI extractor output size)',
    inChannels: 'pooled feature channels (null: the inputs)',
    convKernelSize: 'kernel of the convolutions (only 3)',
    convOutChannels: 'channels of the convolutions and the upsampling',
    upsampleCfg: "{type: 'deconv', scaleFactor: 2} (the only one supported)",
    numClasses: 'foreground classes (null: from the dataset)',
    classAgnostic: 'one mask for all classes',
    lossMaskWeight: "multiplier of loss_mask (mmdet's CrossEntropyLoss(use_mask=True) loss_weight)",
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    const inChannels = options.inChannels ?? context.inputs[0]?.channels;
    if (inChannels === undefined || !(Number.isInteger(inChannels) && inChannels > 0)) {
      throw new ConfigError(`${path}.inChannels: expected a positive integer (or null with input feature specs), got ${String(inChannels)}`);
    }
    if (options.convKernelSize !== 3) throw new ConfigError(`${path}.convKernelSize: only 3 is supported, got ${options.convKernelSize}`);
    if (options.upsampleCfg.type !== 'deconv' || options.upsampleCfg.scaleFactor !== 2) {
      throw new ConfigError(`${path}.upsampleCfg: only {type: 'deconv', scaleFactor: 2} is supported, got ${JSON.stringify(options.upsampleCfg)}`);
    }
    return withConfigPath(
      path,
      () =>
        new FCNMaskHead({
          numConvs: options.numConvs,
          roiFeatSize: options.roiFeatSize,
          inChannels,
          convOutChannels: options.convOutChannels,
          numClasses,
          classAgnostic: options.classAgnostic,
          lossWeight: options.lossMaskWeight,
        }),
    );
  },
};

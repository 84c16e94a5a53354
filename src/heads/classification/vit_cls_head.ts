import { tf } from '../../core/tf.js';
import { ConfigError, ShapeError, formatShape } from '../../core/errors.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { LayerNorm } from '../../nn/layers/layer_norm.js';
import { Dropout } from '../../nn/layers/dropout.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { VIT_LN_EPS } from '../../backbones/vit/block.js';
import { initVitLinears, tokenLayoutOf, type TokenLayout } from '../../backbones/vit/vision_transformer.js';
import { RANGES, type ComponentConfig } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { LOSSES, type HeadContext } from '../../registry/registries.js';
import { asLogitLoss, type LogitLoss } from '../../losses/loss.js';
import type { ClsHead } from './cls_head.js';
import { resolveHeadNumClasses } from '../num_classes.js';

/** Options of {@link VisionTransformerClsHead}. */
export interface VisionTransformerClsHeadOptions {
  /** Number of classes; null takes it from the dataset. Default null. */
  numClasses: number | null;
  /** Name of the input feature (a backbone output); null takes the last one. Default null. */
  inFeature: string | null;
  /** 'cls': the class token (timm's `global_pool='token'`); 'mean': the mean of the patch tokens (`'avg'`). Default 'cls'. */
  pool: string;
  /** LayerNorm after pooling (timm's `fc_norm`, used with 'mean' pooling and a backbone without `finalNorm`). Default false. */
  fcNorm: boolean;
  /** Dropout before the classifier(s) (timm's `head_drop`). Default 0. */
  dropout: number;
  /** Classification loss. Default `{type: 'CrossEntropyLoss'}`. */
  loss: ComponentConfig;
}

/** Logits of the class and distillation heads (see {@link VisionTransformerClsHead.forwardTrain}). */
export interface DistilledLogits {
  /** `[B, numClasses]` from the class token (or the pooled patch tokens). */
  cls: tf.Tensor2D;
  /** `[B, numClasses]` from the distillation token; null without one. */
  dist: tf.Tensor2D | null;
}

/**
 * The classification head of ViT and DeiT (timm's `forward_head`): pools the
 * backbone's final tokens — the class token, or the mean of the patch tokens —
 * then optional `fc_norm`, dropout and the linear classifier `fc` (timm's `head`).
 * When the backbone has DeiT's distillation token, a second classifier
 * `head_dist` reads it, and {@link forward} returns the AVERAGE of both logits
 * (DeiT at inference, and timm's default when not in distilled training);
 * {@link forwardTrain} returns both for a distillation loss.
 *
 * Input: a 'tokens' output of `VisionTransformer` (`[B, 1, T, C]`, see
 * `TokenFeatureSpec`); with `pool: 'mean'` an NHWC patch map ('featmap') works too.
 *
 * Parameters: `fc.weight` `[K, C]`, `fc.bias` `[K]` (timm `head.*`), `head_dist.*`
 * (DeiT ⚗), `fc_norm.*` (with `fcNorm`). Initialised as timm (trunc-normal 0.02, zero bias).
 */
export class VisionTransformerClsHead extends Module implements ClsHead {
  readonly headKind = 'classification' as const;
  readonly fcNorm: LayerNorm | null;
  readonly drop: Dropout;
  readonly fc: Linear;
  readonly headDist: Linear | null;
  readonly lossFn: LogitLoss;
  /** Index of the input feature among the head's inputs. */
  readonly inputIndex: number;
  /** Token layout of the input, or null for an NHWC map (mean pooling only). */
  readonly layout: TokenLayout | null;
  readonly pool: 'cls' | 'mean';

  constructor(
    inputs: readonly FeatureSpec[],
    readonly numClasses: number,
    options: Pick<VisionTransformerClsHeadOptions, 'inFeature' | 'pool' | 'fcNorm' | 'dropout'>,
    lossFn: LogitLoss,
  ) {
    super();
    const index = options.inFeature === null ? inputs.length - 1 : inputs.findIndex((s) => s.name === options.inFeature);
    if (index < 0) {
      throw new ConfigError(`VisionTransformerClsHead: inFeature '${options.inFeature}' is not among the inputs (${inputs.map((s) => s.name).join(', ')})`);
    }
    if (options.pool !== 'cls' && options.pool !== 'mean') {
      throw new ConfigError(`VisionTransformerClsHead: pool '${options.pool}' is not one of 'cls', 'mean'`);
    }
    this.pool = options.pool;
    this.inputIndex = index;
    this.layout = tokenLayoutOf(inputs[index]);
    if (this.layout === null && this.pool === 'cls') {
      throw new ConfigError(`VisionTransformerClsHead: pool 'cls' needs token input; set the backbone's outputMode: 'tokens' (input '${inputs[index].name}' is a feature map)`);
    }
    if (this.pool === 'cls' && this.layout !== null && !this.layout.classToken) {
      throw new ConfigError("VisionTransformerClsHead: pool 'cls' but the backbone has no class token (classToken: false); use pool 'mean'");
    }
    const distilled = this.layout?.distToken ?? false;
    if (distilled && this.pool !== 'cls') {
      throw new ConfigError("VisionTransformerClsHead: a backbone with a distillation token needs pool 'cls' (as DeiT)");
    }
    const c = inputs[index].channels;
    this.fcNorm = options.fcNorm ? this.addModule('fc_norm', new LayerNorm(c, VIT_LN_EPS)) : null;
    this.drop = this.addModule('drop', new Dropout(options.dropout));
    this.fc = this.addModule('fc', new Linear(c, numClasses));
    this.headDist = distilled ? this.addModule('head_dist', new Linear(c, numClasses)) : null;
    initVitLinears(this);
    this.lossFn = lossFn;
  }

  /** The input as `[B, T, C]` tokens (or `[B, h·w, C]` patch tokens of a map). */
  private tokens(features: tf.Tensor4D[]): tf.Tensor3D {
    const x = features[this.inputIndex];
    if (x === undefined || x.rank !== 4) {
      throw new ShapeError(`VisionTransformerClsHead: expected a 4-D input at index ${this.inputIndex}, got ${x === undefined ? 'none' : formatShape(x.shape)}`);
    }
    const [b, h, w, c] = x.shape;
    if (this.layout !== null && h !== 1) {
      throw new ShapeError(`VisionTransformerClsHead: token input must be [B, 1, T, C], got ${formatShape(x.shape)}`);
    }
    return x.reshape([b, h * w, c]);
  }

  /** Pooled features fed to the classifier(s), after `fc_norm` and dropout. */
  private pooled(tokens: tf.Tensor3D, index: number): tf.Tensor2D {
    const [b, t, c] = tokens.shape;
    let x: tf.Tensor2D;
    if (this.pool === 'cls') {
      x = tokens.slice([0, index, 0], [b, 1, c]).reshape([b, c]);
    } else {
      const skip = this.layout?.numPrefixTokens ?? 0;
      x = tokens.slice([0, skip, 0], [b, t - skip, c]).mean(1);
    }
    if (this.fcNorm !== null) x = this.fcNorm.forward(x) as tf.Tensor2D;
    return this.drop.forward(x);
  }

  /** Logits of both classifiers: class token → `fc`, distillation token → `head_dist` (null without it). */
  forwardTrain(features: tf.Tensor4D[]): DistilledLogits {
    const [cls, dist] = tf.tidy(() => {
      const tokens = this.tokens(features);
      const logits = [this.fc.forward(this.pooled(tokens, 0)) as tf.Tensor2D];
      if (this.headDist !== null) logits.push(this.headDist.forward(this.pooled(tokens, 1)) as tf.Tensor2D);
      return logits;
    });
    return { cls, dist: dist ?? null };
  }

  /** Features → logits `[B, numClasses]`; with a distillation head, the mean of both heads' logits (DeiT). */
  forward(features: tf.Tensor4D[]): tf.Tensor2D {
    return tf.tidy(() => {
      const { cls, dist } = this.forwardTrain(features);
      return dist === null ? cls : (cls.add(dist).div(2) as tf.Tensor2D);
    });
  }

  /** The loss of logits `[B, K]` against int32 labels `[B]` or soft targets `[B, K]`. */
  loss(logits: tf.Tensor2D, target: tf.Tensor1D | tf.Tensor2D): tf.Scalar {
    return this.lossFn.forward(logits, target);
  }
}

/** Registry entry of {@link VisionTransformerClsHead}. */
export const vitClsHeadSpec: ComponentSpec<VisionTransformerClsHeadOptions, VisionTransformerClsHead, HeadContext> = {
  name: 'VisionTransformerClsHead',
  description: "ViT/DeiT head: class token (or mean of patch tokens) + linear classifier; DeiT's distillation head averaged at inference",
  defaults: { numClasses: null, inFeature: null, pool: 'cls', fcNorm: false, dropout: 0, loss: { type: 'CrossEntropyLoss' } },
  kinds: { numClasses: ['number', 'null'], inFeature: ['string', 'null'] },
  ranges: { numClasses: RANGES.positiveInt, dropout: RANGES.ratio },
  children: { loss: { registry: 'losses' } },
  docs: {
    numClasses: 'number of classes (null: from the dataset)',
    inFeature: "input feature name (null: the last backbone output); a VisionTransformer 'tokens' output",
    pool: "'cls' (class token) or 'mean' (mean of the patch tokens; also accepts a feature map)",
    fcNorm: "LayerNorm after pooling (timm's fc_norm)",
    dropout: 'dropout before the classifier',
    loss: 'classification loss',
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    const lossFn = asLogitLoss(LOSSES.build(options.loss, {}, `${path}.loss`), 'labels', `${path}.loss`, 'VisionTransformerClsHead');
    return new VisionTransformerClsHead(context.inputs, numClasses, options, lossFn);
  },
};

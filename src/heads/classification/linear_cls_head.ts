import { tf } from '../../core/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import type { FeatureSpec } from '../../backbones/backbone.js';
import { RANGES, type ComponentConfig } from '../../registry/options.js';
import type { ComponentSpec } from '../../registry/registry.js';
import { LOSSES, type HeadContext } from '../../registry/registries.js';
import { asLogitLoss, type LogitLoss } from '../../losses/loss.js';
import type { ClsHead } from './cls_head.js';
import { resolveHeadNumClasses } from '../num_classes.js';

/** Options of {@link LinearClsHead}. */
export interface LinearClsHeadOptions {
  /** Number of classes; null takes it from the dataset. Default null. */
  numClasses: number | null;
  /** Name of the input feature (a backbone output); null takes the last one. Default null. */
  inFeature: string | null;
  /** Dropout before the linear layer. Default 0. */
  dropout: number;
  /** Classification loss. Default `{type: 'CrossEntropyLoss'}`. */
  loss: ComponentConfig;
}

/**
 * Global average pooling over a feature map, then a linear classifier
 * (the head of Swin: the backbone's final LayerNorm is its `norm{last}` output norm).
 *
 * Parameters: `fc.weight` `[numClasses, C]`, `fc.bias` `[numClasses]`.
 */
export class LinearClsHead extends Module implements ClsHead {
  readonly headKind = 'classification' as const;
  readonly fc: Linear;
  readonly drop: Dropout;
  readonly lossFn: LogitLoss;
  /** Index of the input feature among the head's inputs. */
  readonly inputIndex: number;

  constructor(
    inputs: readonly FeatureSpec[],
    readonly numClasses: number,
    options: Pick<LinearClsHeadOptions, 'inFeature' | 'dropout'>,
    lossFn: LogitLoss,
  ) {
    super();
    const index = options.inFeature === null ? inputs.length - 1 : inputs.findIndex((s) => s.name === options.inFeature);
    if (index < 0) {
      throw new ConfigError(`LinearClsHead: inFeature '${options.inFeature}' is not among the inputs (${inputs.map((s) => s.name).join(', ')})`);
    }
    this.inputIndex = index;
    this.drop = this.addModule('drop', new Dropout(options.dropout));
    this.fc = this.addModule('fc', new Linear(inputs[index].channels, numClasses));
    this.lossFn = lossFn;
  }

  /** Feature maps → logits `[B, numClasses]`. */
  forward(features: tf.Tensor4D[]): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = features[this.inputIndex].mean([1, 2]); // [B, C]
      return this.fc.forward(this.drop.forward(pooled)) as tf.Tensor2D;
    });
  }

  /** The loss of logits `[B, K]` against int32 labels `[B]` or soft targets `[B, K]`. */
  loss(logits: tf.Tensor2D, target: tf.Tensor1D | tf.Tensor2D): tf.Scalar {
    return this.lossFn.forward(logits, target);
  }
}

/** Registry entry of {@link LinearClsHead}. */
export const linearClsHeadSpec: ComponentSpec<LinearClsHeadOptions, LinearClsHead, HeadContext> = {
  name: 'LinearClsHead',
  description: 'global average pooling + linear classifier',
  defaults: { numClasses: null, inFeature: null, dropout: 0, loss: { type: 'CrossEntropyLoss' } },
  kinds: { numClasses: ['number', 'null'], inFeature: ['string', 'null'] },
  ranges: { numClasses: RANGES.positiveInt, dropout: RANGES.ratio },
  children: { loss: { registry: 'losses' } },
  docs: {
    numClasses: 'number of classes (null: from the dataset)',
    inFeature: 'input feature name (null: the last backbone output)',
    dropout: 'dropout before the classifier',
    loss: 'classification loss',
  },
  build(options, context, path) {
    const numClasses = resolveHeadNumClasses(options.numClasses, context, path);
    const lossFn = asLogitLoss(LOSSES.build(options.loss, {}, `${path}.loss`), 'labels', `${path}.loss`, 'LinearClsHead');
    return new LinearClsHead(context.inputs, numClasses, options, lossFn);
  },
};

/** The neck contract: feature maps in, feature maps out, both declared. */
import type { tf } from '../core/tf.js';
import type { FeatureSpec } from '../backbones/backbone.js';
import { Module } from '../nn/module.js';

/** Build-time input of a neck: the declared outputs of what feeds it. */
export interface NeckContext {
  /** Specs of the feature maps the neck receives, in order. */
  inputs: readonly FeatureSpec[];
}

/** A module that maps multi-scale features to multi-scale features (e.g. FPN). */
export abstract class Neck extends Module {
  /** The outputs of {@link forward}, in order. */
  abstract readonly outputSpecs: readonly FeatureSpec[];

  /** @param features NHWC maps matching the context's input specs, in order. */
  abstract forward(features: tf.Tensor4D[]): tf.Tensor4D[];
}

/**
 * The backbone contract: every backbone declares its outputs, and necks and
 * heads are built from those declarations (never from channel lists repeated in
 * configs). Feature maps are NHWC.
 */
import type { tf } from '../core/tf.js';
import { Module } from '../nn/module.js';
import type { LayerId } from '../nn/layer_id.js';

/** One output feature map of a backbone or neck. */
export interface FeatureSpec {
  /** Name, e.g. `stage1` … `stage4` for backbones, `p2` … `p7` for FPN levels. */
  name: string;
  /** Number of channels (last dimension of the NHWC map). */
  channels: number;
  /** Downsampling factor relative to the input image (4, 8, 16, 32, ...). */
  stride: number;
}

/** A module that maps an image batch to multi-scale feature maps. */
export abstract class Backbone extends Module {
  /** The outputs of {@link forward}, in order. */
  abstract readonly outputSpecs: readonly FeatureSpec[];

  /**
   * @param images `[B, H, W, 3]` (normalised), any H and W.
   * @returns one `[B, ceil(H/stride), ceil(W/stride), channels]` map per entry of {@link outputSpecs}.
   */
  abstract forward(images: tf.Tensor4D): tf.Tensor4D[];

  /**
   * Depth of a model parameter (full name, e.g. `backbone.layers.1.blocks.0.attn.qkv.weight`)
   * for layer-wise learning-rate decay, or null when the backbone does not define it.
   */
  layerIdOf(paramName: string): LayerId | null {
    void paramName;
    return null;
  }
}

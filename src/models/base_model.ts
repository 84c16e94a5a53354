/** The contract every model (classifier, segmentor, detector) fulfils for the runner and tools. */
import type { tf } from '../core/tf.js';
import { Module } from '../nn/module.js';
import type { Backbone } from '../backbones/backbone.js';
import type { Batch } from '../structures/data_sample.js';
import type { Prediction } from '../structures/prediction.js';
import type { LossDict } from '../structures/loss_dict.js';

/** Named scalar loss terms (defined with the data structures, below the heads). */
export type { LossDict };

/** The tasks the framework trains. */
export type Task = 'classification' | 'segmentation' | 'detection';

/** A trainable model built from a config. */
export abstract class Model extends Module {
  /** What the model predicts. */
  abstract readonly task: Task;
  /** Its backbone (for freezing, layer-wise lr decay and reports). */
  abstract readonly backbone: Backbone;

  /** Loss terms of a training batch. Call inside `tf.tidy`/`variableGrads`. */
  abstract loss(batch: Batch): LossDict;

  /**
   * Called before {@link loss} outside the gradient computation, for work whose
   * gradient is not needed (e.g. a frozen teacher's outputs). Default: nothing.
   */
  beforeLoss(batch: Batch): void {
    void batch;
  }

  /** Called after the gradient computation of a batch, to release what {@link beforeLoss} kept. Default: nothing. */
  afterLoss(): void {}

  /** Predictions for a batch, in the frame of each original image. Runs in eval mode. */
  abstract predict(batch: Batch): Promise<Prediction[]>;

  /** The network's raw outputs (no post-processing) for `[B, H, W, 3]` images; used by benchmarks. */
  abstract forwardRaw(images: tf.Tensor4D): tf.Tensor[];
}

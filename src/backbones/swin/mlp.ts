import type { tf } from '../../core/tf.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers/linear.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { gelu } from '../../nn/layers/activation.js';

/**
 * The transformer feed-forward block: `fc1` → GELU (exact) → dropout → `fc2` → dropout.
 * Parameters: `fc1` `[hidden, C]`, `fc2` `[C, hidden]` (+ biases).
 */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly drop: Dropout;

  constructor(dim: number, hidden: number, dropRate = 0) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(dim, hidden));
    this.fc2 = this.addModule('fc2', new Linear(hidden, dim));
    this.drop = this.addModule('drop', new Dropout(dropRate));
  }

  /** `[..., C]` → `[..., C]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return this.drop.forward(this.fc2.forward(this.drop.forward(gelu(this.fc1.forward(x)))));
  }
}

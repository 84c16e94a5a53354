/** The loss terms a head or model returns. */
import type { tf } from '../core/tf.js';

/** Named scalar loss terms (mmdet names: `loss_cls`, `loss_bbox`, ...); the runner sums them. */
export type LossDict = Record<string, tf.Scalar>;

/**
 * The loss contracts: what a component built from the `LOSSES` registry must
 * offer, so that a head accepts any loss that fits — the framework's own or a
 * user's — by what it declares, not by its class.
 */
import type { tf } from '../core/tf.js';
import type { LossCallOptions } from './weight_reduce_loss.js';
import { ConfigError } from '../core/errors.js';

/**
 * Every registered loss: a prediction and a target in, a loss out (a scalar,
 * or element-wise for an unreduced call). The meaning of the tensors is the
 * loss family's (see {@link LogitLoss}; the detection losses take boxes or
 * sigmoid logits plus mmdet-style weights as a third argument).
 */
export interface Loss {
  forward(pred: tf.Tensor, target: tf.Tensor, ...rest: never[]): tf.Tensor;
}

/**
 * The target forms a {@link LogitLoss} can take, with logits of K classes:
 * - `'labels'`: logits `[N, K]`, int32 class indices `[N]`;
 * - `'soft'`: logits `[N, K]`, float32 target distributions `[N, K]` (rows sum to 1; mixup/cutmix);
 * - `'pixels'`: logits `[B, H, W, K]`, int32 class indices `[B, H, W]` (semantic segmentation).
 */
export type LogitTarget = 'labels' | 'soft' | 'pixels';

/** Per-call options of a {@link LogitLoss}. */
export interface LogitLossCall {
  /** Label value to skip (segmentation's ignore index), or null. Default null. A loss may use its own option instead (DiceLoss, as mmseg). */
  ignoreIndex?: number | null;
}

/**
 * A loss on class logits: classification heads call it with `'labels'` (or
 * `'soft'`) targets, decode heads with `'pixels'` targets.
 */
export interface LogitLoss extends Loss {
  /** Name of the term in loss dicts and logs (e.g. `'loss_ce'`). */
  readonly name: string;
  /** The target forms {@link forward} accepts. */
  readonly targets: readonly LogitTarget[];
  /**
   * @param logits `[N, K]` or `[B, H, W, K]` (see {@link LogitTarget}).
   * @param target `[N]` / `[B, H, W]` int32 indices or `[N, K]` float32 distributions.
   * @returns a scalar loss.
   */
  forward(logits: tf.Tensor, target: tf.Tensor, call?: LogitLossCall): tf.Scalar;
}

/**
 * Checks that a built loss is a {@link LogitLoss} taking `target` forms.
 * @param owner the component asking (for the message), e.g. `'LinearClsHead'`.
 * @throws ConfigError naming the config path, the loss and what it lacks.
 */
export function asLogitLoss(loss: Loss, target: LogitTarget, path: string, owner: string): LogitLoss {
  const candidate = loss as Partial<LogitLoss>;
  const kind = (loss as object).constructor?.name ?? 'loss';
  if (typeof candidate.name !== 'string' || !Array.isArray(candidate.targets)) {
    throw new ConfigError(`${path}: ${owner} needs a loss on class logits (with 'name' and 'targets' — the LogitLoss interface); ${kind} is not one`);
  }
  if (!candidate.targets.includes(target)) {
    throw new ConfigError(`${path}: ${owner} needs a loss taking '${target}' targets; ${kind} takes ${candidate.targets.map((t) => `'${t}'`).join(', ')}`);
  }
  return loss as LogitLoss;
}

/**
 * The detection-loss families, by what the loss computes from which tensors:
 * - `'sigmoid-labels'`: class logits `[N, K]` and int32 labels `[N]` in `[0, K]` (`K` = background),
 *   per-class sigmoid (FocalLoss);
 * - `'binary-logits'`: logits `[N]` and float32 targets `[N]` in {0, 1} (BCEWithLogitsLoss, RPN objectness);
 * - `'box-deltas'`: encoded box regressions `[P, 4]` against their targets `[P, 4]` (L1Loss, SmoothL1Loss);
 * - `'boxes-xyxy'`: decoded boxes `[P, 4]` against target boxes `[P, 4]`, x1 y1 x2 y2 (GIoULoss).
 */
export type DetectionLossKind = 'sigmoid-labels' | 'binary-logits' | 'box-deltas' | 'boxes-xyxy';

/**
 * A loss a dense or RoI detection head calls: mmdet's loss call (`weight`, `avgFactor`,
 * `reductionOverride`) on one of the {@link DetectionLossKind} forms it declares.
 */
export interface DetectionLoss extends Loss {
  /** The forms {@link forward} computes. */
  readonly detectionKinds: readonly DetectionLossKind[];
  /**
   * @param pred and @param target as the kind says.
   * @returns a scalar (or element-wise with `reductionOverride: 'none'`).
   */
  forward(pred: tf.Tensor, target: tf.Tensor, call?: LossCallOptions): tf.Tensor;
}

/**
 * Checks that a built loss is a {@link DetectionLoss} computing `kind`.
 * @param owner the component asking (for the message), e.g. `'RetinaHead.lossCls'`.
 * @throws ConfigError naming the config path, the loss and what it lacks.
 */
export function asDetectionLoss(loss: Loss, kind: DetectionLossKind, path: string, owner: string): DetectionLoss {
  const kinds = (loss as Partial<DetectionLoss>).detectionKinds;
  const name = (loss as object).constructor?.name ?? 'loss';
  if (!Array.isArray(kinds)) {
    throw new ConfigError(`${path}: ${owner} needs a detection loss ('detectionKinds' — the DetectionLoss interface) computing '${kind}'; ${name} is not one`);
  }
  if (!kinds.includes(kind)) {
    throw new ConfigError(`${path}: ${owner} needs a loss computing '${kind}'; ${name} computes ${kinds.map((k) => `'${k}'`).join(', ')}`);
  }
  return loss as DetectionLoss;
}

/**
 * The contract between a two-stage detector and its first stage: a head that scores anchors on the
 * neck's feature pyramid and turns them into per-image proposals (mmdet 3.x `RPNHead.loss_and_predict`
 * / `.predict`). Any module with these members plugs into a two-stage detector by config.
 */
import type { tf } from '../../../core/tf.js';
import type { Module } from '../../../nn/module.js';
import type { DataSample } from '../../../structures/data_sample.js';
import type { LossDict } from '../../../structures/loss_dict.js';
import type { Proposals } from './rpn_proposals.js';

/** Raw outputs of a proposal head for a batch, one NHWC map per level. */
export interface RPNOutputs {
  /** `[B, H_l, W_l, A]` objectness logits. */
  cls: tf.Tensor4D[];
  /** `[B, H_l, W_l, A·4]` deltas. */
  reg: tf.Tensor4D[];
}

/** The first stage of a two-stage detector. Feature maps are NHWC, finest first. */
export interface ProposalHead extends Module {
  /** Discriminates proposal heads among the `HEADS` registry's components. */
  readonly headKind: 'rpn';
  /** Raw maps of all levels (the detector's `forwardRaw`). */
  forward(features: tf.Tensor4D[]): RPNOutputs;
  /**
   * Training: the head's loss terms (e.g. `loss_rpn_cls`, `loss_rpn_bbox`) and, with `withProposals`
   * (default true), the training proposals of every image from the same forward pass.
   */
  lossAndProposals(features: tf.Tensor4D[], samples: readonly DataSample[], withProposals?: boolean): { losses: LossDict; proposals: Proposals[] };
  /** Test-time proposals per image, in the network input's frame (not rescaled). */
  predictProposals(features: tf.Tensor4D[], samples: readonly DataSample[]): Proposals[];
}

/** Whether a built head is a {@link ProposalHead} (checked by its declared members, not its class). */
export function isProposalHead(head: Module): head is ProposalHead {
  const h = head as unknown as Partial<ProposalHead>;
  return h.headKind === 'rpn' && typeof h.forward === 'function' && typeof h.lossAndProposals === 'function' && typeof h.predictProposals === 'function';
}

/**
 * mmdetection's `RandomSampler` on the host (mmdet/models/task_modules/samplers/random_sampler.py
 * and base_sampler.py, mmdet 3.x): after assignment, picks at most `num · posFraction` positives and
 * fills up to `num` with negatives, each uniformly at random without replacement; with
 * `addGtAsProposals` the ground-truth boxes are first prepended to the priors as positives of
 * themselves (IoU 1). Sampled indices are returned sorted ascending, as mmdet's `unique()` does.
 * The random stream is our seeded {@link Rng}, so the picks equal mmdet's in distribution, not
 * index by index (mmdet draws with `torch.randperm`).
 */
import type { Rng } from '../../../core/rng.js';
import type { InstanceTargets } from '../../../structures/data_sample.js';
import type { AssignResult } from '../assigners/max_iou_assigner.js';

/** Options of {@link RandomSampler}; mmdet's names in camelCase. */
export interface RandomSamplerOptions {
  /** Total samples per image. */
  num: number;
  /** Largest fraction of positives. */
  posFraction: number;
  /** Negatives at most `negPosUb · max(1, positives)`; < 0 means no bound. Default −1. */
  negPosUb: number;
  /** Prepend the gt boxes to the priors as positives. */
  addGtAsProposals: boolean;
}

/** mmdet's RPN `train_cfg.rpn.sampler` (Faster/Mask R-CNN). */
export const RPN_SAMPLER_OPTIONS: RandomSamplerOptions = { num: 256, posFraction: 0.5, negPosUb: -1, addGtAsProposals: false };
/** mmdet's RoI head `train_cfg.rcnn.sampler` (Faster/Mask R-CNN). */
export const RCNN_SAMPLER_OPTIONS: RandomSamplerOptions = { num: 512, posFraction: 0.25, negPosUb: -1, addGtAsProposals: true };

/** What a sampler picked (mmdet's `SamplingResult`). */
export interface SamplingResult {
  /** `[P]` indices into `priors` of the sampled positives, ascending. */
  posInds: Int32Array;
  /** `[Q]` indices into `priors` of the sampled negatives, ascending. */
  negInds: Int32Array;
  /** `[(G + N)·4]` with gt as proposals, else `[N·4]`: the priors the indices refer to. */
  priors: Float32Array;
  /** `[P]` the gt index of each positive. */
  posAssignedGtInds: Int32Array;
  /** `[P·4]` the gt box of each positive. */
  posGtBboxes: Float32Array;
  /** `[P]` the gt class of each positive. */
  posGtLabels: Int32Array;
  /** `[G + N]` or `[N]`: 1 where the prior is a prepended gt box. */
  gtFlags: Uint8Array;
}

/** Samples positives and negatives of an assignment. */
export class RandomSampler {
  /** Resolved options. */
  readonly options: RandomSamplerOptions;

  /**
   * @param options the sampler settings (see {@link RPN_SAMPLER_OPTIONS}, {@link RCNN_SAMPLER_OPTIONS}).
   * @param rng the random stream (seeded by the caller, e.g. from the runner's seed).
   */
  constructor(
    options: RandomSamplerOptions,
    private readonly rng: Rng,
  ) {
    if (!(Number.isInteger(options.num) && options.num > 0)) throw new RangeError(`RandomSampler: num must be a positive integer, got ${options.num}`);
    if (!(options.posFraction >= 0 && options.posFraction <= 1)) {
      throw new RangeError(`RandomSampler: posFraction must be in [0, 1], got ${options.posFraction}`);
    }
    this.options = { ...options };
  }

  /**
   * @param assign the assignment of `priors` (gtInds: −1 ignored, 0 negative, k+1 gt k).
   * @param priors `[N·4]` x1, y1, x2, y2.
   * @param gt the image's boxes `[G·4]` and labels `[G]`.
   */
  sample(assign: AssignResult, priors: Float32Array, gt: InstanceTargets): SamplingResult {
    const numGts = gt.bboxes.length / 4;
    if (assign.gtInds.length !== priors.length / 4) {
      throw new RangeError(`RandomSampler: assignment covers ${assign.gtInds.length} priors but ${priors.length / 4} priors given`);
    }
    let allPriors = priors;
    let gtInds = assign.gtInds;
    let gtFlags = new Uint8Array(priors.length / 4);
    if (this.options.addGtAsProposals && numGts > 0) {
      allPriors = new Float32Array(gt.bboxes.length + priors.length);
      allPriors.set(gt.bboxes, 0);
      allPriors.set(priors, gt.bboxes.length);
      gtInds = new Int32Array(numGts + assign.gtInds.length);
      for (let g = 0; g < numGts; g++) gtInds[g] = g + 1;
      gtInds.set(assign.gtInds, numGts);
      gtFlags = new Uint8Array(gtInds.length);
      gtFlags.fill(1, 0, numGts);
    }
    const positives: number[] = [];
    const negatives: number[] = [];
    gtInds.forEach((v, i) => {
      if (v > 0) positives.push(i);
      else if (v === 0) negatives.push(i);
    });
    const posInds = this.choose(positives, Math.trunc(this.options.num * this.options.posFraction));
    let numNeg = this.options.num - posInds.length;
    if (this.options.negPosUb >= 0) numNeg = Math.min(numNeg, Math.trunc(this.options.negPosUb * Math.max(1, posInds.length)));
    const negInds = this.choose(negatives, numNeg);
    const posAssignedGtInds = posInds.map((i) => gtInds[i] - 1);
    const posGtBboxes = new Float32Array(posInds.length * 4);
    const posGtLabels = new Int32Array(posInds.length);
    posAssignedGtInds.forEach((g, j) => {
      posGtBboxes.set(gt.bboxes.subarray(g * 4, g * 4 + 4), j * 4);
      posGtLabels[j] = gt.labels[g];
    });
    return { posInds, negInds, priors: allPriors, posAssignedGtInds, posGtBboxes, posGtLabels, gtFlags };
  }

  /** All of `gallery` when it has at most `count` items, else `count` of them at random; ascending. */
  private choose(gallery: number[], count: number): Int32Array {
    if (gallery.length <= count) return Int32Array.from(gallery);
    const pool = gallery.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.rng.random() * (pool.length - i)); // partial Fisher–Yates
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return Int32Array.from(pool.slice(0, Math.max(count, 0))).sort();
  }
}

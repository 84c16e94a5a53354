/**
 * mmdetection's `MaxIoUAssigner` on the host
 * (mmdet/models/task_modules/assigners/max_iou_assigner.py, mmdet 3.x).
 *
 * Every prior (anchor) gets
 *   - `-1`: ignored (neither positive nor negative),
 *   - `0`: negative (background),
 *   - `k + 1`: positive, matched to ground-truth box `k`,
 * in this order, which matters:
 *   1. every prior starts at -1;
 *   2. priors whose best IoU is in `[0, negIouThr)` (or in `[lo, hi)` for a range) become 0;
 *   3. priors whose best IoU is `≥ posIouThr` take the gt of that best IoU (first on ties);
 *   4. with `matchLowQuality`, for each gt in order whose best IoU is `≥ minPosIou`, the
 *      prior(s) with that best IoU take it (all of them with `gtMaxAssignAll`),
 *      overwriting earlier steps and earlier gts.
 * Priors whose IoF with an ignore box exceeds `ignoreIofThr` have their IoUs set
 * to −1 first, so they stay ignored unless step 4 picks them.
 *
 * Quirk kept from mmdet: with `minPosIou = 0` (RetinaNet), a gt that overlaps
 * no prior at all (best IoU 0) claims every prior whose IoU with it is 0.
 */
import type { InstanceTargets } from '../../../structures/data_sample.js';
import { bboxOverlaps } from '../../../structures/bbox/bbox_overlaps.js';

/** Options of {@link MaxIoUAssigner}; mmdet's argument names in camelCase. */
export interface MaxIoUAssignerOptions {
  /** IoU at or above which a prior is positive. Default 0.5 (RetinaNet). */
  posIouThr: number;
  /** IoU below which a prior is negative, or a `[lo, hi)` range. Default 0.4 (RetinaNet). */
  negIouThr: number | [number, number];
  /** Least IoU of a low-quality match. Default 0. */
  minPosIou: number;
  /** Low-quality matching gives a gt every prior that ties for its best IoU. Default true. */
  gtMaxAssignAll: boolean;
  /** IoF above which a prior covered by an ignore box is ignored; ≤ 0 disables it (mmdet tests `> 0`). Default −1. */
  ignoreIofThr: number;
  /** IoF is intersection / prior area (true) or intersection / ignore-box area (false). Default true. */
  ignoreWrtCandidates: boolean;
  /** Step 4 (each gt gets its best prior even below `posIouThr`). Default true. */
  matchLowQuality: boolean;
  /**
   * Whose step 4: `'mmdet'` gives the prior gt g itself (a later gt overwriting an earlier one);
   * `'torchvision'` (`Matcher.set_low_quality_matches_`) gives it back its *own* best gt
   * (the argmax over gts, first on ties) and ignores `minPosIou` (torchvision has none). Default 'mmdet'.
   */
  lowQualityRule?: 'mmdet' | 'torchvision';
}

/** RetinaNet's assigner settings (configs/_base_/models/retinanet_r50_fpn.py). */
export const RETINANET_ASSIGNER_OPTIONS: MaxIoUAssignerOptions = {
  posIouThr: 0.5,
  negIouThr: 0.4,
  minPosIou: 0,
  gtMaxAssignAll: true,
  ignoreIofThr: -1,
  ignoreWrtCandidates: true,
  matchLowQuality: true,
};

/** mmdet's RPN `train_cfg.rpn.assigner` (configs/_base_/models/faster-rcnn_r50_fpn.py, mask-rcnn_r50_fpn.py). */
export const RPN_ASSIGNER_OPTIONS: MaxIoUAssignerOptions = {
  ...RETINANET_ASSIGNER_OPTIONS,
  posIouThr: 0.7,
  negIouThr: 0.3,
  minPosIou: 0.3,
};

/** mmdet's RoI head `train_cfg.rcnn.assigner`; Mask R-CNN's config sets `matchLowQuality: true`, Faster R-CNN's false. */
export const RCNN_ASSIGNER_OPTIONS: MaxIoUAssignerOptions = {
  ...RETINANET_ASSIGNER_OPTIONS,
  posIouThr: 0.5,
  negIouThr: 0.5,
  minPosIou: 0.5,
  matchLowQuality: false,
};

/** The outcome of an assignment (mmdet's `AssignResult`). */
export interface AssignResult {
  /** Number of ground-truth boxes. */
  numGts: number;
  /** `[N]` −1 ignored, 0 negative, k+1 positive for gt k. */
  gtInds: Int32Array;
  /** `[N]` best IoU of each prior over the gts (−1 for ignored-box priors; 0 when there are no gts). */
  maxOverlaps: Float32Array;
  /** `[N]` class of the matched gt for positives, −1 elsewhere. */
  labels: Int32Array;
}

/** Assigns ground-truth boxes to priors by IoU. */
export class MaxIoUAssigner {
  /** Resolved options. */
  readonly options: MaxIoUAssignerOptions;

  /** @param options overrides of {@link RETINANET_ASSIGNER_OPTIONS}. */
  constructor(options: Partial<MaxIoUAssignerOptions> = {}) {
    this.options = { ...RETINANET_ASSIGNER_OPTIONS, ...options };
  }

  /**
   * @param priors `[N·4]` x1,y1,x2,y2 (e.g. the valid anchors of an image).
   * @param gt the image's boxes `[G·4]` and labels `[G]`.
   * @param ignoreBboxes `[I·4]` crowd boxes, or null. Default null.
   */
  assign(priors: Float32Array, gt: InstanceTargets, ignoreBboxes: Float32Array | null = null): AssignResult {
    const numPriors = priors.length / 4;
    const numGts = gt.bboxes.length / 4;
    if (gt.labels.length !== numGts) {
      throw new RangeError(`MaxIoUAssigner: ${numGts} gt boxes but ${gt.labels.length} labels`);
    }
    const overlaps = bboxOverlaps(gt.bboxes, priors); // [G, N]
    const { ignoreWrtCandidates } = this.options;
    const ignoreIofThr = Math.fround(this.options.ignoreIofThr);
    if (ignoreIofThr > 0 && ignoreBboxes !== null && ignoreBboxes.length > 0 && numPriors > 0) {
      const numIgnore = ignoreBboxes.length / 4;
      const ignored = new Uint8Array(numPriors);
      if (ignoreWrtCandidates) {
        const iof = bboxOverlaps(priors, ignoreBboxes, 'iof'); // [N, I]
        for (let j = 0; j < numPriors; j++) ignored[j] = rowMax(iof, j * numIgnore, numIgnore) > ignoreIofThr ? 1 : 0;
      } else {
        const iof = bboxOverlaps(ignoreBboxes, priors, 'iof'); // [I, N]
        for (let j = 0; j < numPriors; j++) {
          let best = -Infinity;
          for (let k = 0; k < numIgnore; k++) best = Math.max(best, iof[k * numPriors + j]);
          ignored[j] = best > ignoreIofThr ? 1 : 0;
        }
      }
      for (let g = 0; g < numGts; g++) {
        for (let j = 0; j < numPriors; j++) if (ignored[j] === 1) overlaps[g * numPriors + j] = -1;
      }
    }
    return this.assignWrtOverlaps(overlaps, numGts, numPriors, gt.labels);
  }

  /**
   * Steps 1–4 on a precomputed IoU matrix.
   * @param overlaps `[G·N]` row-major IoU of gt g and prior n.
   * @param gtLabels `[G]` class indices.
   */
  assignWrtOverlaps(overlaps: Float32Array, numGts: number, numPriors: number, gtLabels: Int32Array): AssignResult {
    const gtInds = new Int32Array(numPriors).fill(-1);
    const labels = new Int32Array(numPriors).fill(-1);
    const maxOverlaps = new Float32Array(numPriors);
    if (numGts === 0 || numPriors === 0) {
      if (numGts === 0) gtInds.fill(0);
      return { numGts, gtInds, maxOverlaps, labels };
    }
    // PyTorch compares a float32 tensor with a Python number in float32.
    const { negIouThr, gtMaxAssignAll, matchLowQuality } = this.options;
    const posIouThr = Math.fround(this.options.posIouThr);
    const minPosIou = Math.fround(this.options.minPosIou);
    // For each prior, the best gt (first on ties, as torch.max(dim=0)).
    const argmax = new Int32Array(numPriors);
    for (let j = 0; j < numPriors; j++) {
      let best = overlaps[j];
      let arg = 0;
      for (let g = 1; g < numGts; g++) {
        const v = overlaps[g * numPriors + j];
        if (v > best) {
          best = v;
          arg = g;
        }
      }
      maxOverlaps[j] = best;
      argmax[j] = arg;
    }
    const [negLo, negHi] = (Array.isArray(negIouThr) ? negIouThr : [0, negIouThr]).map(Math.fround);
    for (let j = 0; j < numPriors; j++) {
      const m = maxOverlaps[j];
      if (m >= negLo && m < negHi) gtInds[j] = 0;
      if (m >= posIouThr) gtInds[j] = argmax[j] + 1;
    }
    const torchvisionRule = this.options.lowQualityRule === 'torchvision';
    if (matchLowQuality && torchvisionRule) {
      for (let g = 0; g < numGts; g++) {
        const row = g * numPriors;
        const gtMax = rowMax(overlaps, row, numPriors);
        for (let j = 0; j < numPriors; j++) if (overlaps[row + j] === gtMax) gtInds[j] = argmax[j] + 1;
      }
    } else if (matchLowQuality) {
      for (let g = 0; g < numGts; g++) {
        const row = g * numPriors;
        const gtMax = rowMax(overlaps, row, numPriors);
        if (!(gtMax >= minPosIou)) continue;
        if (gtMaxAssignAll) {
          for (let j = 0; j < numPriors; j++) if (overlaps[row + j] === gtMax) gtInds[j] = g + 1;
        } else {
          let j = 0;
          while (overlaps[row + j] !== gtMax) j++;
          gtInds[j] = g + 1;
        }
      }
    }
    for (let j = 0; j < numPriors; j++) if (gtInds[j] > 0) labels[j] = gtLabels[gtInds[j] - 1];
    return { numGts, gtInds, maxOverlaps, labels };
  }
}

function rowMax(values: Float32Array, start: number, length: number): number {
  let best = values[start];
  for (let k = 1; k < length; k++) if (values[start + k] > best) best = values[start + k];
  return best;
}

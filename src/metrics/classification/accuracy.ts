/**
 * Single-label classification accuracy, a pure-TypeScript port of the math in
 * mmpretrain (mmpretrain/evaluation/metrics/single_label.py):
 * - top-k accuracy = `Accuracy.calculate` on scores: one `pred.topk(maxk)`
 *   call, a sample is a hit at k when its label is among the first k indices;
 * - per-class accuracy = top-1 recall of `SingleLabelMetric.calculate` with
 *   `average=None`, which calls `torch.topk(pred, k=1)` separately.
 *
 * Tie-breaking: torch.topk documents no order for equal scores; which of
 * several equal scores ends up inside the top k is decided by libstdc++'s
 * algorithms on CPU, which core/torch_order.ts replays exactly (`torchTopkIndices`),
 * so ties are broken as torch 1.13 on CPU breaks them.
 */
import { DataError, ShapeError } from '../../core/errors.js';
import { PairQueue, topkInto } from '../../core/torch_order.js';

/** Options shared by {@link topKAccuracy} and {@link AccuracyAccumulator}. */
export interface TopKOptions {
  /**
   * Score threshold: a hit only counts when the label's score is `> thr`
   * (mmpretrain's `thrs`; its default is `0.`). `null` (our default) applies
   * no threshold, i.e. a pure "label among the k highest scores" test. Equal
   * to mmpretrain's default for any positive scores such as softmax outputs.
   */
  thr?: number | null;
}

/** Result of {@link AccuracyAccumulator.compute}; fractions in [0, 1]. */
export interface AccuracyResult {
  /** The k values, in the order requested. */
  ks: number[];
  /** `topk[i]` = accuracy at `ks[i]` = #hits at k / #samples. */
  topk: number[];
  /** Top-1 accuracy (first column of the `topk(maxk)` result). */
  top1: number;
  /** Top-5 accuracy, present only when 5 is one of the `ks`. */
  top5?: number;
  /**
   * Per class c: #(samples of class c whose `topk(k=1)` index is c) /
   * #(samples of class c), i.e. top-1 recall; `null` when class c has no
   * samples (mmpretrain reports 0 there because it divides by `max(n, 1)`).
   */
  perClass: (number | null)[];
}

// ---------------------------------------------------------------------------
// Accuracy
// ---------------------------------------------------------------------------

/**
 * Default k values: `[1, 5]`, or `[1]` when `numClasses < 5` (mmpretrain has
 * no fallback: it raises for any k larger than the number of classes, and so
 * do we when such a k is requested explicitly).
 */
export function defaultTopK(numClasses: number): number[] {
  return numClasses >= 5 ? [1, 5] : [1];
}

interface Counts {
  samples: number;
  /** Hits at rank 0 of the topk(maxk) ranking (top-1 even if 1 ∉ ks). */
  top1Hits: number;
  hitsByK: Float64Array;
  classSamples: Float64Array;
  classHits: Float64Array;
}

function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
}

function checkKs(ks: readonly number[], numClasses: number): void {
  if (ks.length === 0) throw new RangeError('topk: at least one k is required');
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`topk: k must be a positive integer, got ${k}`);
  }
  const maxk = Math.max(...ks);
  if (maxk > numClasses) {
    // mmpretrain single_label.py: "Top-{maxk} accuracy is unavailable since
    // the number of categories is {C}."
    throw new RangeError(`Top-${maxk} accuracy is unavailable since the number of categories is ${numClasses}.`);
  }
}

function checkInputs(scores: Float32Array, numClasses: number, labels: Int32Array): void {
  if (scores.length !== labels.length * numClasses) {
    throw new ShapeError(`accuracy: scores has ${scores.length} values but labels has ${labels.length} samples × ${numClasses} classes = ${labels.length * numClasses}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= numClasses) {
      throw new DataError(`accuracy: label ${l} of sample ${i} is outside [0, ${numClasses})`);
    }
  }
}

/** Adds the hits of a batch into `counts`; inputs must be validated. */
function countHits(scores: Float32Array, numClasses: number, labels: Int32Array, ks: readonly number[], thr: number | null, counts: Counts): void {
  const maxk = Math.max(...ks);
  const q = new PairQueue(numClasses);
  const q1 = new PairQueue(numClasses);
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n];
    const offset = n * numClasses;
    const score = scores[offset + label];
    const passes = thr === null || score > thr;
    // Accuracy.calculate: pred.topk(maxk), hit at k if label in first k.
    topkInto(q, scores, offset, numClasses, maxk);
    let rank = -1;
    for (let j = 0; j < maxk; j++) {
      if (q.ix[j] === label) {
        rank = j;
        break;
      }
    }
    if (passes && rank >= 0) {
      ks.forEach((k, i) => {
        if (rank < k) counts.hitsByK[i] += 1;
      });
      if (rank === 0) counts.top1Hits += 1;
    }
    // SingleLabelMetric.calculate: a separate torch.topk(pred, k=1).
    let top1: number;
    if (maxk === 1) {
      top1 = q.ix[0];
    } else {
      topkInto(q1, scores, offset, numClasses, 1);
      top1 = q1.ix[0];
    }
    counts.classSamples[label] += 1;
    if (passes && top1 === label) counts.classHits[label] += 1;
  }
  counts.samples += labels.length;
}

function emptyCounts(numKs: number, numClasses: number): Counts {
  return {
    samples: 0,
    top1Hits: 0,
    hitsByK: new Float64Array(numKs),
    classSamples: new Float64Array(numClasses),
    classHits: new Float64Array(numClasses),
  };
}

/**
 * Top-k accuracy as mmpretrain's `Accuracy.calculate` computes it from
 * scores, as fractions: `acc[k] = #{n : labels[n] ∈ topk(scores[n], maxk)[:k]
 * (and scores[n][labels[n]] > thr)} / N`, one value per entry of `ks`, ties
 * broken as torch.topk on CPU (see module comment). NaN when N = 0.
 *
 * @param scores N×C scores, row-major (row n = sample n)
 * @param numClasses C
 * @param labels N ground-truth classes in [0, C)
 * @param ks the k values (default {@link defaultTopK}: [1, 5], or [1] if C < 5)
 * @param options optional score threshold, see {@link TopKOptions}
 * @throws ShapeError naming both sizes when `scores.length !== N * C`
 * @throws RangeError when a k is not a positive integer or exceeds C
 * @throws DataError when a label is outside [0, C)
 */
export function topKAccuracy(scores: Float32Array, numClasses: number, labels: Int32Array, ks: readonly number[] = defaultTopK(numClasses), options: TopKOptions = {}): number[] {
  checkNumClasses(numClasses);
  checkKs(ks, numClasses);
  checkInputs(scores, numClasses, labels);
  const counts = emptyCounts(ks.length, numClasses);
  countHits(scores, numClasses, labels, ks, options.thr ?? null, counts);
  return Array.from(counts.hitsByK, (hits) => hits / counts.samples);
}

/**
 * Accumulates top-k hits and per-class top-1 recall batch by batch (only
 * counts are kept, so adding batches one by one equals adding their
 * concatenation) and reports them with {@link AccuracyAccumulator.compute}.
 */
export class AccuracyAccumulator {
  /** The k values reported by {@link AccuracyAccumulator.compute}. */
  readonly topk: readonly number[];
  /** Score threshold; `null` = none. See {@link TopKOptions}. */
  readonly thr: number | null;
  private counts: Counts;

  /**
   * @param numClasses C
   * @param topk k values (default {@link defaultTopK}: [1, 5], or [1] if
   *   C < 5, i.e. top-5 is omitted for fewer than 5 classes)
   * @param options optional score threshold, see {@link TopKOptions}
   * @throws RangeError when a k is not a positive integer or exceeds C
   *   (mmpretrain raises the same error, at compute time)
   */
  constructor(
    readonly numClasses: number,
    topk: readonly number[] = defaultTopK(numClasses),
    options: TopKOptions = {},
  ) {
    checkNumClasses(numClasses);
    checkKs(topk, numClasses);
    this.topk = [...topk];
    this.thr = options.thr ?? null;
    this.counts = emptyCounts(topk.length, numClasses);
  }

  /**
   * Adds a batch. Nothing is added when the batch is invalid.
   * @param scores N×C scores, row-major
   * @param labels N ground-truth classes in [0, C)
   * @throws ShapeError naming both sizes when `scores.length !== N * C`
   * @throws DataError when a label is outside [0, C)
   */
  add(scores: Float32Array, labels: Int32Array): void {
    checkInputs(scores, this.numClasses, labels);
    countHits(scores, this.numClasses, labels, this.topk, this.thr, this.counts);
  }

  /**
   * Accuracy of everything added so far: `topk[i] = hits@ks[i] / N` (NaN when
   * N = 0, as mmpretrain's `correct * (100 / N)` is), `top1` = hits@1 / N of
   * the same `topk(maxk)` ranking, and per-class top-1 recall (null for a
   * class without samples).
   */
  compute(): AccuracyResult {
    const { samples, top1Hits, hitsByK, classSamples, classHits } = this.counts;
    const ks = [...this.topk];
    const topk = Array.from(hitsByK, (hits) => hits / samples);
    const result: AccuracyResult = {
      ks,
      topk,
      top1: top1Hits / samples,
      perClass: Array.from(classSamples, (total, c) => (total === 0 ? null : classHits[c] / total)),
    };
    const i5 = ks.indexOf(5);
    if (i5 >= 0) result.top5 = topk[i5];
    return result;
  }

  /** Forgets everything added so far. */
  reset(): void {
    this.counts = emptyCounts(this.topk.length, this.numClasses);
  }
}

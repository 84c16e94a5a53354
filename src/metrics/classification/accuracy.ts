/**
 * Single-label classification accuracy, a pure-TypeScript port of the math in
 * mmpretrain (mmpretrain/evaluation/metrics/single_label.py):
 * - top-k accuracy = `Accuracy.calculate` on scores: one `pred.topk(maxk)`
 *   call, a sample is a hit at k when its label is among the first k indices;
 * - per-class accuracy = top-1 recall of `SingleLabelMetric.calculate` with
 *   `average=None`, which calls `torch.topk(pred, k=1)` separately.
 *
 * Tie-breaking: torch.topk documents no order for equal scores. On CPU
 * (ATen `TopKImpl.h`) it runs `std::partial_sort` when `k * 64 <= C`, else
 * `std::nth_element` at k-1 followed by `std::sort` of the first k-1 entries,
 * with the comparator "NaN first, then larger first". Which of several equal
 * scores ends up inside the top k is therefore decided by the libstdc++
 * algorithms (heap select / introselect / introsort), not by the class index.
 * {@link torchTopkIndices} replays those algorithms step by step (libstdc++ of
 * GCC 5 and later, unchanged since), so ties are broken exactly as torch 1.13
 * on CPU breaks them; the fixtures check this against real `torch.topk`.
 * CUDA's topk kernel may break ties differently.
 */
import { DataError, ShapeError } from '../../core/errors.js';

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
// torch.topk (CPU) emulation: libstdc++ partial_sort / nth_element / sort
// on (value, index) pairs with torch's "NaN first, then larger" comparator.
// ---------------------------------------------------------------------------

/** torch's comparator for largest=true: x goes before y. */
function before(x: number, y: number): boolean {
  return (Number.isNaN(x) && !Number.isNaN(y)) || x > y;
}

/** Floor of log2 for n >= 1 (libstdc++ `std::__lg`). */
function lg(n: number): number {
  return 31 - Math.clz32(n);
}

/** A std::vector<pair<value, index>> as two parallel arrays. */
class PairQueue {
  readonly v: Float64Array;
  readonly ix: Int32Array;

  constructor(size: number) {
    this.v = new Float64Array(size);
    this.ix = new Int32Array(size);
  }

  swap(a: number, b: number): void {
    const tv = this.v[a];
    const ti = this.ix[a];
    this.v[a] = this.v[b];
    this.ix[a] = this.ix[b];
    this.v[b] = tv;
    this.ix[b] = ti;
  }

  copy(from: number, to: number): void {
    this.v[to] = this.v[from];
    this.ix[to] = this.ix[from];
  }

  set(at: number, value: number, index: number): void {
    this.v[at] = value;
    this.ix[at] = index;
  }

  // -- heap (stl_heap.h); positions are relative to `first` -----------------

  private pushHeap(first: number, hole: number, top: number, val: number, vi: number): void {
    let parent = Math.trunc((hole - 1) / 2);
    while (hole > top && before(this.v[first + parent], val)) {
      this.copy(first + parent, first + hole);
      hole = parent;
      parent = Math.trunc((hole - 1) / 2);
    }
    this.set(first + hole, val, vi);
  }

  private adjustHeap(first: number, hole: number, len: number, val: number, vi: number): void {
    const top = hole;
    let second = hole;
    while (second < Math.trunc((len - 1) / 2)) {
      second = 2 * (second + 1);
      if (before(this.v[first + second], this.v[first + second - 1])) second--;
      this.copy(first + second, first + hole);
      hole = second;
    }
    if ((len & 1) === 0 && second === Math.trunc((len - 2) / 2)) {
      second = 2 * (second + 1);
      this.copy(first + second - 1, first + hole);
      hole = second - 1;
    }
    this.pushHeap(first, hole, top, val, vi);
  }

  private popHeap(first: number, last: number, result: number): void {
    const val = this.v[result];
    const vi = this.ix[result];
    this.copy(first, result);
    this.adjustHeap(first, 0, last - first, val, vi);
  }

  private makeHeap(first: number, last: number): void {
    const len = last - first;
    if (len < 2) return;
    for (let parent = Math.trunc((len - 2) / 2); ; parent--) {
      this.adjustHeap(first, parent, len, this.v[first + parent], this.ix[first + parent]);
      if (parent === 0) return;
    }
  }

  private heapSelect(first: number, middle: number, last: number): void {
    this.makeHeap(first, middle);
    for (let i = middle; i < last; i++) {
      if (before(this.v[i], this.v[first])) this.popHeap(first, middle, i);
    }
  }

  private sortHeap(first: number, last: number): void {
    while (last - first > 1) {
      last--;
      this.popHeap(first, last, last);
    }
  }

  /** std::partial_sort(first, middle, last). */
  partialSort(first: number, middle: number, last: number): void {
    this.heapSelect(first, middle, last);
    this.sortHeap(first, middle);
  }

  // -- sorting helpers (stl_algo.h) -----------------------------------------

  private moveMedianToFirst(result: number, a: number, b: number, c: number): void {
    const v = this.v;
    if (before(v[a], v[b])) {
      if (before(v[b], v[c])) this.swap(result, b);
      else if (before(v[a], v[c])) this.swap(result, c);
      else this.swap(result, a);
    } else if (before(v[a], v[c])) this.swap(result, a);
    else if (before(v[b], v[c])) this.swap(result, c);
    else this.swap(result, b);
  }

  private unguardedPartition(first: number, last: number, pivot: number): number {
    const v = this.v;
    for (;;) {
      while (before(v[first], v[pivot])) first++;
      last--;
      while (before(v[pivot], v[last])) last--;
      if (!(first < last)) return first;
      this.swap(first, last);
      first++;
    }
  }

  private unguardedPartitionPivot(first: number, last: number): number {
    const mid = first + Math.trunc((last - first) / 2);
    this.moveMedianToFirst(first, first + 1, mid, last - 1);
    return this.unguardedPartition(first + 1, last, first);
  }

  private unguardedLinearInsert(last: number): void {
    const val = this.v[last];
    const vi = this.ix[last];
    let next = last - 1;
    while (before(val, this.v[next])) {
      this.copy(next, last);
      last = next;
      next--;
    }
    this.set(last, val, vi);
  }

  private insertionSort(first: number, last: number): void {
    if (first === last) return;
    for (let i = first + 1; i !== last; i++) {
      if (before(this.v[i], this.v[first])) {
        const val = this.v[i];
        const vi = this.ix[i];
        for (let j = i; j > first; j--) this.copy(j - 1, j);
        this.set(first, val, vi);
      } else {
        this.unguardedLinearInsert(i);
      }
    }
  }

  private finalInsertionSort(first: number, last: number): void {
    const threshold = 16;
    if (last - first > threshold) {
      this.insertionSort(first, first + threshold);
      for (let i = first + threshold; i !== last; i++) this.unguardedLinearInsert(i);
    } else {
      this.insertionSort(first, last);
    }
  }

  private introsortLoop(first: number, last: number, depth: number): void {
    while (last - first > 16) {
      if (depth === 0) {
        this.partialSort(first, last, last);
        return;
      }
      depth--;
      const cut = this.unguardedPartitionPivot(first, last);
      this.introsortLoop(cut, last, depth);
      last = cut;
    }
  }

  /** std::sort(first, last). */
  sort(first: number, last: number): void {
    if (first === last) return;
    this.introsortLoop(first, last, lg(last - first) * 2);
    this.finalInsertionSort(first, last);
  }

  /** std::nth_element(first, nth, last). */
  nthElement(first: number, nth: number, last: number): void {
    if (first === last || nth === last) return;
    let depth = lg(last - first) * 2;
    while (last - first > 3) {
      if (depth === 0) {
        this.heapSelect(first, nth + 1, last);
        this.swap(first, nth);
        return;
      }
      depth--;
      const cut = this.unguardedPartitionPivot(first, last);
      if (cut <= nth) first = cut;
      else last = cut;
    }
    this.insertionSort(first, last);
  }
}

/** Fills `q` with row `r` of `scores` and runs torch's CPU topk selection. */
function topkInto(q: PairQueue, scores: ArrayLike<number>, offset: number, n: number, k: number): void {
  for (let j = 0; j < n; j++) q.set(j, scores[offset + j], j);
  if (k === 0) return;
  if (k * 64 <= n) {
    q.partialSort(0, k, n);
  } else {
    q.nthElement(0, k - 1, n);
    q.sort(0, k - 1);
  }
}

/**
 * Indices of the k largest entries of `row`, in the order
 * `torch.topk(row, k, largest=True, sorted=True)` returns them on CPU,
 * including its tie-breaking and its NaN handling (NaN ranks above +∞).
 * See the module comment for the algorithm.
 *
 * @param row the scores of one sample (one entry per class)
 * @param k 0 <= k <= row.length
 * @throws RangeError when k is not an integer in [0, row.length]
 */
export function torchTopkIndices(row: ArrayLike<number>, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 0 || k > row.length) {
    throw new RangeError(`torchTopkIndices: k must be an integer in [0, ${row.length}], got ${k}`);
  }
  const q = new PairQueue(row.length);
  topkInto(q, row, 0, row.length, k);
  return q.ix.slice(0, k);
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
    throw new ShapeError(
      `accuracy: scores has ${scores.length} values but labels has ${labels.length} samples × ${numClasses} classes = ${labels.length * numClasses}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= numClasses) {
      throw new DataError(`accuracy: label ${l} of sample ${i} is outside [0, ${numClasses})`);
    }
  }
}

/** Adds the hits of a batch into `counts`; inputs must be validated. */
function countHits(
  scores: Float32Array,
  numClasses: number,
  labels: Int32Array,
  ks: readonly number[],
  thr: number | null,
  counts: Counts,
): void {
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
export function topKAccuracy(
  scores: Float32Array,
  numClasses: number,
  labels: Int32Array,
  ks: readonly number[] = defaultTopK(numClasses),
  options: TopKOptions = {},
): number[] {
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

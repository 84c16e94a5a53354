/**
 * PyTorch's CPU ordering of values, replayed exactly, so that host-side code
 * breaks ties as the PyTorch references do (fixtures check it against real
 * torch 1.13):
 * - `Tensor.sort(descending=True)` is libstdc++'s `std::sort` (introsort, not
 *   stable: equal values keep index order only for ≤ 16 elements);
 * - `torch.topk(largest=True, sorted=True)` (ATen `TopKImpl.h`) runs
 *   `std::partial_sort` when `k * 64 <= n`, else `std::nth_element` at k-1
 *   followed by `std::sort` of the first k-1 entries.
 *
 * Both use the comparator "NaN first, then larger first" on (value, index)
 * pairs. {@link PairQueue} implements those libstdc++ algorithms (GCC 5 and
 * later, unchanged since) step by step. CUDA orders ties differently.
 */

/** torch's comparator for largest=true: x goes before y. */
function before(x: number, y: number): boolean {
  return (Number.isNaN(x) && !Number.isNaN(y)) || x > y;
}

/** Floor of log2 for n >= 1 (libstdc++ `std::__lg`). */
function lg(n: number): number {
  return 31 - Math.clz32(n);
}

/** A std::vector<pair<value, index>> as two parallel arrays. */
export class PairQueue {
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

/** Fills `q` with `n` scores from `offset` and runs torch's CPU topk selection of `k`. */
export function topkInto(q: PairQueue, scores: ArrayLike<number>, offset: number, n: number, k: number): void {
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

/**
 * Indices that sort `values` in descending order exactly as PyTorch's CPU
 * `sort(descending=True)` (NaN first).
 * @param values `[N]`.
 * @returns `[N]` permutation.
 */
export function sortIndicesDescending(values: ArrayLike<number>): Int32Array {
  const q = new PairQueue(values.length);
  for (let i = 0; i < values.length; i++) q.set(i, values[i], i);
  q.sort(0, values.length);
  return q.ix;
}

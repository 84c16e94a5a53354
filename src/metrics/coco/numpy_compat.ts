/**
 * The few numpy routines COCOeval relies on, reproduced bit for bit on
 * float64: `linspace`, stable (mergesort) argsort, `searchsorted(side='left')`
 * and `mean` with numpy's buffered pairwise summation.
 */

/**
 * `np.linspace(start, stop, num, endpoint=True)`: `i * step + start` with
 * `step = (stop - start) / (num - 1)`, and the last value set to `stop`.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `np.argsort(-keys, kind='mergesort')`: indices ordering `keys` from largest to
 * smallest, equal keys keeping their original order (a stable sort).
 */
export function stableArgsortDesc(keys: ArrayLike<number>): Uint32Array {
  const idx = Array.from({ length: keys.length }, (_, i) => i);
  idx.sort((a, b) => {
    const ka = keys[a];
    const kb = keys[b];
    return ka > kb ? -1 : ka < kb ? 1 : a - b;
  });
  return Uint32Array.from(idx);
}

/**
 * `np.searchsorted(sorted, value, side='left')`: the first index `i` with
 * `sorted[i] >= value` (`n` when there is none). `sorted` must be non-decreasing.
 */
export function searchsortedLeft(sorted: ArrayLike<number>, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** numpy's `pairwise_sum` for float64 (8-way unrolled below 128 values). */
function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** numpy's iterator buffer size: a 1-D reduction sums chunks of this length pairwise. */
const NUMPY_BUFSIZE = 8192;

/**
 * `np.sum` of a contiguous float64 vector: pairwise summation within chunks of
 * 8192 values, the chunk sums added one after the other.
 */
export function numpySum(a: ArrayLike<number>): number {
  let res = 0;
  for (let s = 0; s < a.length; s += NUMPY_BUFSIZE) {
    res += pairwiseSum(a, s, Math.min(NUMPY_BUFSIZE, a.length - s));
  }
  return res;
}

/** `np.mean` of a non-empty contiguous float64 vector: `np.sum(a) / len(a)`. */
export function numpyMean(a: ArrayLike<number>): number {
  return numpySum(a) / a.length;
}

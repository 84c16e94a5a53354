/** Softmax top-k of a row of logits (no Node dependency; shared by the Node and browser builds). */

/** One entry of a top-k list. */
export interface TopKEntry {
  /** Class index. */
  label: number;
  /** Class name, when known. */
  name: string | null;
  /** Softmax probability. */
  score: number;
}

/** Softmax of one row of logits, computed in float64 and returned as float32. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  return Float32Array.from(out, (e) => e / sum);
}

/** The k most probable classes of one row of logits (softmax applied here); ties go to the lower label. */
export function topK(logits: readonly number[], k: number, names: readonly string[] | null): TopKEntry[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, label) => ({ label, score: e / sum }))
    .sort((a, b) => b.score - a.score || a.label - b.label)
    .slice(0, k)
    .map((e) => ({ ...e, name: names?.[e.label] ?? null }));
}

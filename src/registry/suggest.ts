/** Levenshtein edit distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length];
}

/**
 * The candidate nearest to `name`, or `null` when none is plausibly a misspelling
 * (more than a third of the characters, and more than 2, would have to change).
 * Separators (`_`, `-`) are ignored, so `embed_dim` suggests `embedDim`.
 */
export function nearest(name: string, candidates: readonly string[]): string | null {
  const norm = (s: string): string => s.replace(/[_-]/g, '');
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(norm(name), norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : null;
}

/** `" Did you mean 'x'?"` or `''`. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const n = nearest(name, candidates);
  return n === null ? '' : ` Did you mean '${n}'?`;
}

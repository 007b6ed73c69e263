/** "Did you mean …?" for misspelt keys and names. */

/** Classic Levenshtein distance (insert, delete, substitute each cost 1), two-row variant. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr: number[] = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      curr[j] = Math.min((prev[j] ?? 0) + 1, (curr[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length] ?? 0;
}

// Case and separators are the commonest slips (`failure_threshold`, `baseUrl`), so they are
// compared away before counting edits.
function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * The candidate closest to `input`, or null when none is close enough to be a plausible typo
 * (1 edit for words of up to 3 letters, else 2 edits or a third of the word). Ties go to the earlier candidate so
 * the answer is deterministic.
 */
export function suggest(input: string, candidates: readonly string[]): string | null {
  const wanted = normalize(input);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const d = levenshtein(wanted, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = wanted.length <= 3 ? 1 : Math.max(2, Math.floor(wanted.length / 3));
  return best !== null && bestDistance <= limit ? best : null;
}
